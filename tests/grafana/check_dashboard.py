#!/usr/bin/env python3
"""Checks deploy/grafana/mdefleet-dashboard.json against the metrics
mdefleet-server exports (server/metrics, docs/server.md "Metrics").

- the file is well-formed JSON with a title, a uid and panels;
- every panel and query uses the ${DS_PROMETHEUS} data source variable, and
  the dashboard defines that variable;
- every query names only exported metrics (histograms by their _bucket, _sum
  and _count series) with only their labels, and names at least one;
- every exported metric is shown somewhere;
- panel ids are unique and each panel has a place on the grid.

Usage: check_dashboard.py [PATH]   (default: the dashboard beside this repo)
       check_dashboard.py --self-test [PATH]
Exits 0 when all holds, 1 listing every problem otherwise. --self-test
breaks copies of the dashboard in known ways and checks each is caught.
"""
import copy
import json
import pathlib
import re
import sys

# The exported metrics and their labels (the names agreed for issue 7;
# mdefleet_enrollments_total came with issue 16).
GAUGES = {
    "mdefleet_devices": {"os_family", "mde_state"},
    "mdefleet_runners": {"status"},
    "mdefleet_jobs": {"state"},
    "mdefleet_tasks": {"job_kind", "state"},
    "mdefleet_step_failures": {"step"},
    "mdefleet_api_offboard_queue_length": set(),
    "mdefleet_long_polls_held": set(),
}
COUNTERS = {
    "mdefleet_rpc_requests_total": {"service", "method", "code"},
    "mdefleet_http_requests_total": {"route", "code"},
    "mdefleet_client_certificate_renewals_total": set(),
    "mdefleet_enrollments_total": {"outcome"},
}
HISTOGRAMS = {
    "mdefleet_rpc_duration_seconds": {"service", "method"},
    "mdefleet_sqlite_write_batch_size": set(),
    "mdefleet_sqlite_write_seconds": set(),
}
# Labels Prometheus adds to every scraped series.
TARGET_LABELS = {"instance", "job"}

DATASOURCE_UID = "${DS_PROMETHEUS}"


def series_labels():
    """Every series name a query may use -> the labels it carries."""
    series = {}
    for name, labels in {**GAUGES, **COUNTERS}.items():
        series[name] = labels | TARGET_LABELS
    for name, labels in HISTOGRAMS.items():
        series[name + "_bucket"] = labels | TARGET_LABELS | {"le"}
        series[name + "_sum"] = labels | TARGET_LABELS
        series[name + "_count"] = labels | TARGET_LABELS
    return series


def family_of(series_name):
    for suffix in ("_bucket", "_sum", "_count"):
        base = series_name[: -len(suffix)]
        if series_name.endswith(suffix) and base in HISTOGRAMS:
            return base
    return series_name


METRIC_RE = re.compile(r"\b(mdefleet_[a-zA-Z0-9_:]*)\s*(\{[^}]*\})?")
MATCHER_RE = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*\"")
GROUPING_RE = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")


def check_expr(expr, where, series, problems, used):
    found = METRIC_RE.findall(expr)
    if not found:
        problems.append(f"{where}: the query names no mdefleet metric: {expr}")
    all_labels = set().union(*series.values())
    for name, selector in found:
        if name not in series:
            problems.append(f"{where}: unknown metric {name}")
            continue
        used.add(family_of(name))
        for label, _ in MATCHER_RE.findall(selector or ""):
            if label not in series[name]:
                problems.append(
                    f"{where}: {name} has no label {label!r} "
                    f"(it has {sorted(series[name])})")
    for group in GROUPING_RE.findall(expr):
        for label in filter(None, (g.strip() for g in group.split(","))):
            if label not in all_labels:
                problems.append(f"{where}: grouping by unknown label {label!r}")


def all_panels(panels):
    for panel in panels:
        yield panel
        yield from all_panels(panel.get("panels", []))


def check(path):
    try:
        dashboard = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return [f"{path}: not readable JSON: {e}"]
    return check_dashboard(dashboard, path)


def check_dashboard(dashboard, path):
    problems = []
    for key in ("title", "uid", "panels", "schemaVersion"):
        if key not in dashboard:
            problems.append(f"{path}: no {key!r}")
    variables = {v.get("name"): v for v in
                 dashboard.get("templating", {}).get("list", [])}
    ds_var = variables.get("DS_PROMETHEUS")
    if not ds_var or ds_var.get("type") != "datasource" or \
            ds_var.get("query") != "prometheus":
        problems.append("templating: no Prometheus datasource variable "
                        "DS_PROMETHEUS")

    series = series_labels()
    used = set()
    ids = set()
    for panel in all_panels(dashboard.get("panels", [])):
        title = panel.get("title", "?")
        where = f"panel {title!r}"
        pid = panel.get("id")
        if pid in ids:
            problems.append(f"{where}: duplicate id {pid}")
        ids.add(pid)
        grid = panel.get("gridPos", {})
        if not all(isinstance(grid.get(k), int) for k in "hwxy"):
            problems.append(f"{where}: no gridPos h/w/x/y")
        if panel.get("type") == "row":
            continue
        if panel.get("datasource", {}).get("uid") != DATASOURCE_UID:
            problems.append(f"{where}: data source is not {DATASOURCE_UID}")
        targets = panel.get("targets", [])
        if not targets:
            problems.append(f"{where}: no queries")
        for target in targets:
            twhere = f"{where} query {target.get('refId', '?')}"
            if target.get("datasource", {}).get("uid") != DATASOURCE_UID:
                problems.append(f"{twhere}: data source is not {DATASOURCE_UID}")
            expr = target.get("expr", "")
            if not expr:
                problems.append(f"{twhere}: empty expr")
                continue
            check_expr(expr, twhere, series, problems, used)
    for variable in variables.values():
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query", "")
        if variable.get("type") == "query":
            check_expr(query or "", f"variable {variable.get('name')!r}",
                       series, problems, set())

    exported = set(GAUGES) | set(COUNTERS) | set(HISTOGRAMS)
    for missing in sorted(exported - used):
        problems.append(f"no panel shows {missing}")
    return problems


def first_query(dashboard):
    return next(t for p in all_panels(dashboard["panels"])
                for t in p.get("targets", []))


def self_test(path):
    """Each breakage must be reported with the expected words."""
    original = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    if check_dashboard(original, path):
        return ["self-test: the dashboard itself does not pass"]

    def typo(d):
        first_query(d)["expr"] = "sum(mdefleet_device)"

    def bad_label(d):
        first_query(d)["expr"] = 'sum(mdefleet_jobs{kind="onboard"})'

    def bad_grouping(d):
        first_query(d)["expr"] = "sum by (hostname) (mdefleet_devices)"

    def no_metric(d):
        first_query(d)["expr"] = "vector(1)"

    def fixed_datasource(d):
        first_query(d)["datasource"] = {"type": "prometheus", "uid": "abc"}

    def no_variable(d):
        d["templating"]["list"] = [v for v in d["templating"]["list"]
                                   if v["name"] != "DS_PROMETHEUS"]

    def unshown_metric(d):
        for p in all_panels(d["panels"]):
            p["targets"] = [t for t in p.get("targets", [])
                            if "long_polls" not in t.get("expr", "")]
            if p.get("type") != "row" and not p["targets"]:
                p["targets"] = [{"refId": "A", "expr": "mdefleet_jobs",
                                 "datasource": {"uid": DATASOURCE_UID}}]

    def duplicate_id(d):
        d["panels"][2]["id"] = d["panels"][1]["id"]

    cases = [(typo, "unknown metric mdefleet_device"),
             (bad_label, "has no label 'kind'"),
             (bad_grouping, "unknown label 'hostname'"),
             (no_metric, "names no mdefleet metric"),
             (fixed_datasource, "data source is not"),
             (no_variable, "DS_PROMETHEUS"),
             (unshown_metric, "no panel shows mdefleet_long_polls_held"),
             (duplicate_id, "duplicate id")]
    failures = []
    for breakage, expected in cases:
        broken = copy.deepcopy(original)
        breakage(broken)
        found = check_dashboard(broken, path)
        if not any(expected in problem for problem in found):
            failures.append(f"self-test: {breakage.__name__} was not caught "
                            f"(expected {expected!r}, got {found})")
    return failures


def main(argv):
    args = argv[1:]
    testing = bool(args) and args[0] == "--self-test"
    if testing:
        args = args[1:]
    default = pathlib.Path(__file__).resolve().parents[2] / "deploy" / \
        "grafana" / "mdefleet-dashboard.json"
    path = args[0] if args else str(default)
    if testing:
        problems = self_test(path)
        for problem in problems:
            print(f"check_dashboard: {problem}", file=sys.stderr)
        if not problems:
            print("check_dashboard: self-test: every breakage was caught")
        return 1 if problems else 0
    problems = check(path)
    for problem in problems:
        print(f"check_dashboard: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_dashboard: {path} is well-formed and uses only exported "
          "metrics")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
