#!/usr/bin/env python3
"""Fleet benchmark: the real server and N simulated devices started at once.

Starts `mdefleet-server` (TLS, its embedded SQLite in a temporary folder) and
K `mdefleet-sim-runner --simulate-fleet` processes holding N devices between them
(one TLS connection per device, as real servers have), all at once, then:

  1. waits until every device is enrolled        -> enroll time (cold start)
  2. submits one onboard job to all of them      -> submit time
  3. waits until every task is final             -> job time, devices/s

and prints, from the server's /metrics and /proc: per-method RPC p50/p99,
SQLite write transactions and the writes they carried, the server's peak RSS
and open descriptors, and runner memory per device. A benchmark, not a test:
it prints numbers and fails only when the run itself breaks (a timeout, a
process that dies).

  tests/bench/fleet_bench.py [--devices 1000] [--runners 4]
      [--max-in-flight 0] [--build-dir build] [--timeout 600]
      [--multiplexed K [--poll-wait SECONDS]]
      [--store sqlite|postgres [--replicas N]]

With --store postgres the store is a private PostgreSQL cluster started in
the temporary folder (durable: fsync and synchronous commit on, as SQLite's
synchronous=FULL), and --replicas N servers share it; the runner or load
processes are spread over the replicas in turn, as a TCP load balancer
would. Metrics of the store (devices, jobs) are the cluster's; CPU and memory
are summed over the replicas.

The open-files limit bounds N in this mode (one descriptor per device in the
server, one per device in the runners): about 15,000 on a machine whose hard
limit is 20,000.

With --multiplexed K the devices are `mdefleet-fleet-load` processes instead:
simulated devices sharing K TLS channels per process (each call still carries
its own device's token; the server runs with --allow-token-only-runners),
driven by asynchronous calls with no thread or simulated disk per device and
steps that succeed at once, so that 100,000 devices fit on one machine and the
server's scheduler and store are what is measured. See docs/performance.md
for figures.
"""
import argparse
import json
import os
import re
import resource
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def log(message):
    print(f"[fleet-bench] {message}", flush=True)


def read_port(path, process, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return int(open(path).read().strip())
        if process.poll() is not None:
            sys.exit(f"{what} exited with {process.returncode}")
        time.sleep(0.05)
    sys.exit(f"{what} did not write {path} within {timeout}s")


def proc_status(pid, field):
    """A /proc/PID/status field (VmHWM, VmRSS in kB; Threads), 0 when gone."""
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def server_cpu_seconds(server):
    """CPU of every replica, and of PostgreSQL's processes when it is the
    store: the store's work is the server's cost too."""
    total_cpu = sum(cpu_seconds(p.pid) for p in server.processes)
    if server.postmaster:
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (int(entry) == server.postmaster or
                                    parent_pid(int(entry)) == server.postmaster):
                total_cpu += cpu_seconds(int(entry))
    return total_cpu


def parent_pid(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def cpu_seconds(pid):
    """User + system CPU time of a live process so far, 0 when gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            # After the command name (in parentheses, may hold spaces):
            # fields 14 and 15 of proc(5) are utime and stime, in ticks.
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def open_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


class Metrics:
    """Scrapes /metrics with the admin token, pinned to the server's CA."""

    def __init__(self, url, token, ca):
        self.url = url
        self.token = token
        self.context = ssl.create_default_context(cafile=ca)

    def scrape(self):
        request = urllib.request.Request(
            self.url, headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, context=self.context,
                                    timeout=30) as response:
            return response.read().decode()


LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)$')


def samples(text, name):
    """[(labels dict, value)] of metric `name`."""
    out = []
    for line in text.splitlines():
        m = LINE.match(line)
        if not m or m.group(1) != name:
            continue
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out.append((labels, float(m.group(4))))
    return out


def total(text, name, **match):
    return sum(v for labels, v in samples(text, name)
               if all(labels.get(k) == want for k, want in match.items()))


def quantile(buckets, q):
    """Quantile from cumulative histogram buckets [(le, count)], linear within
    the bucket (as Prometheus' histogram_quantile)."""
    buckets = sorted(buckets)
    count = buckets[-1][1] if buckets else 0
    if count == 0:
        return None
    rank = q * count
    previous_le, previous_count = 0.0, 0.0
    for le, cumulative in buckets:
        if cumulative >= rank:
            if le == float("inf"):
                return previous_le
            width = cumulative - previous_count
            fraction = (rank - previous_count) / width if width else 0
            return previous_le + (le - previous_le) * fraction
        previous_le, previous_count = le, cumulative
    return previous_le


def rpc_table(text):
    methods = {}
    for labels, value in samples(text, "mdefleet_rpc_duration_seconds_bucket"):
        key = labels.get("method", "?")
        le = float("inf") if labels["le"] == "+Inf" else float(labels["le"])
        methods.setdefault(key, {}).setdefault(le, 0.0)
        methods[key][le] += value
    rows = []
    for method, by_le in sorted(methods.items()):
        buckets = sorted(by_le.items())
        count = buckets[-1][1]
        if count == 0:
            continue
        p50, p99 = quantile(buckets, 0.5), quantile(buckets, 0.99)
        rows.append((method, int(count), p50 * 1000, p99 * 1000))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--runners", type=int, default=4,
                        help="runner processes the devices are spread over")
    parser.add_argument("--multiplexed", type=int, default=0, metavar="K",
                        help="devices share K channels per load process "
                        "(mdefleet-fleet-load) instead of one TLS "
                        "connection each in mdefleet-sim-runner")
    parser.add_argument("--max-in-flight", type=int, default=0,
                        help="the onboard job's --max-in-flight (0: none)")
    parser.add_argument("--build-dir", default=os.environ.get(
        "MDEFLEET_BUILD_DIR", os.path.join(REPO, "build")))
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds each phase may take")
    parser.add_argument("--server-prefix", default="",
                        help="run the server under this command, e.g. "
                        "\"perf record -g -o perf.data --\"")
    parser.add_argument("--poll-wait", type=int, default=0, metavar="SECONDS",
                        help="how long idle polls wait (multiplexed mode): "
                        "the load's --poll-wait and the server's "
                        "--poll-timeout, with an --online-window three times "
                        "as long (0: their defaults, 30s and 90s)")
    parser.add_argument("--store", choices=("sqlite", "postgres"),
                        default="sqlite",
                        help="the server's store (postgres: a private "
                        "cluster in the temporary folder)")
    parser.add_argument("--replicas", type=int, default=1,
                        help="servers sharing the store (postgres only)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (logs, database)")
    args = parser.parse_args()
    if args.replicas < 1 or (args.replicas > 1 and args.store != "postgres"):
        sys.exit("--replicas: more than one needs --store postgres")
    if args.devices < 1 or args.runners < 1 or args.runners > args.devices:
        sys.exit("--devices and --runners must be positive, runners <= devices")

    build = os.path.abspath(args.build_dir)
    server_bin = os.path.join(build, "server", "mdefleet-server")
    runner_bin = os.path.join(build, "runner", "mdefleet-sim-runner")
    ctl_bin = os.path.join(build, "server", "cli", "mdefleetctl")
    load_bin = os.path.join(build, "tests", "bench", "mdefleet-fleet-load")
    if args.multiplexed < 0:
        sys.exit("--multiplexed must be a positive number of channels")
    if args.poll_wait < 0 or (args.poll_wait and not args.multiplexed):
        sys.exit("--poll-wait takes positive seconds, with --multiplexed")
    for b in (server_bin, ctl_bin,
              load_bin if args.multiplexed else runner_bin):
        if not os.access(b, os.X_OK):
            sys.exit(f"{b} not found: build first (deploy/build.sh)")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.multiplexed:
        shape = (f"{args.devices} devices in {args.runners} load processes "
                 f"sharing {args.multiplexed} TLS channels each")
    else:
        shape = (f"{args.devices} devices in {args.runners} runner processes "
                 f"(one TLS connection each)")
    log(f"open-files limit {hard} (was {soft}); {shape}")

    work = tempfile.mkdtemp(prefix="mdefleet-bench.")
    keep = False  # set when a failure's message points at the logs
    processes = []
    try:
        db = os.path.join(work, "mdefleet.db")
        store_args = []
        if args.store == "postgres":
            db = start_postgres(build, work)
            store_args = ["--tls-dir", os.path.join(work, "tls")]
        init = subprocess.run([server_bin, "init", "--db", db] + store_args,
                              capture_output=True, text=True, check=True)
        values = dict(line.split("=", 1) for line in init.stdout.splitlines()
                      if "=" in line)
        token, ca = values["admin_token"], values["ca_certificate"]
        secret_file = os.path.join(work, "enrollment-secret")
        with open(secret_file, "w") as f:
            f.write(values["enrollment_secret"])
        servers = []
        addresses = []
        for r in range(args.replicas):
            suffix = "" if r == 0 else f"-{r}"
            replica = subprocess.Popen(
                args.server_prefix.split() + [server_bin, "serve", "--db", db, "--listen", "127.0.0.1:0",
                 "--port-file", os.path.join(work, f"port{suffix}"),
                 "--http-listen", "127.0.0.1:0",
                 "--http-port-file", os.path.join(work, f"http.port{suffix}"),
                 "--max-enrollments-per-minute", "0",
                 "--max-auth-failures-per-minute", "0"]
                + store_args
                + (["--allow-token-only-runners"] if args.multiplexed else [])
                + (["--poll-timeout", f"{args.poll_wait}s", "--online-window",
                    f"{3 * args.poll_wait}s"] if args.poll_wait else []),
                stdout=subprocess.DEVNULL,
                stderr=open(os.path.join(work, f"server{suffix}.log"), "w"))
            processes.append(replica)
            servers.append(replica)
            port = read_port(os.path.join(work, f"port{suffix}"), replica,
                             "server")
            addresses.append(f"127.0.0.1:{port}")
            if r == 0:
                http_port = read_port(os.path.join(work, "http.port"), replica,
                                      "server")
        server = Replicas(servers, postgres_postmaster(work))
        address = addresses[0]
        # mdefleetctl talks to the first replica.
        metrics = Metrics(f"https://127.0.0.1:{http_port}/metrics", token, ca)
        env = dict(os.environ, MDEFLEET_SERVER=address, MDEFLEET_TOKEN=token,
                   MDEFLEET_CA_CERT=ca)

        def ctl(*argv):
            return subprocess.run([ctl_bin, *argv], env=env, check=True,
                                  capture_output=True, text=True).stdout

        # Artifacts first, so the job can be submitted the moment the fleet
        # is in.
        subprocess.run([os.path.join(REPO, "deploy/samples/make-md4ws-msi.sh"),
                        work], check=True, capture_output=True)
        ctl("artifacts", "upload", os.path.join(REPO, "deploy/samples/Install.ps1"),
            "--kind", "install_script")
        ctl("artifacts", "upload", os.path.join(work, "md4ws.msi"),
            "--kind", "installer_msi")
        onboarding = json.loads(ctl(
            "artifacts", "upload",
            os.path.join(REPO, "deploy/samples/WindowsDefenderATPOnboardingScript.cmd"),
            "--kind", "onboarding_script", "-o", "json"))
        onboarding_id = onboarding.get("artifact", onboarding).get("id")

        # 1. Enrollment, from a cold start.
        per_runner = [args.devices // args.runners] * args.runners
        for i in range(args.devices % args.runners):
            per_runner[i] += 1
        started = time.time()
        first = 0
        for i, n in enumerate(per_runner):
            # Spread over the replicas in turn, as a load balancer would.
            address = addresses[i % len(addresses)]
            if args.multiplexed:
                argv = [load_bin, "--server", address, "--ca-cert", ca,
                        "--enrollment-secret-file", secret_file,
                        "--devices", str(n), "--first", str(first),
                        "--channels", str(args.multiplexed)]
                if args.poll_wait:
                    argv += ["--poll-wait", f"{args.poll_wait}s"]
            else:
                argv = [runner_bin, "--server", address, "--ca-cert", ca,
                        "--enrollment-secret-file", secret_file,
                        "--state-dir", os.path.join(work, f"runner{i}"),
                        "--simulate-fleet", str(n), "--fleet-first", str(first),
                        "--sim-delay-ms", "0"]
            runner = subprocess.Popen(
                argv,
                stdout=subprocess.DEVNULL,
                stderr=open(os.path.join(work, f"runner{i}.log"), "w"))
            processes.append(runner)
            first += n
        peak_fds = 0
        peak_threads = 0
        enrolled = 0
        enroll_cpu_start = (server_cpu_seconds(server),
                            sum(cpu_seconds(p.pid) for p in processes[len(servers):]))
        while enrolled < args.devices:
            if time.time() - started > args.timeout:
                # Still report how far it got (the RPCs, the store, the
                # server's size), then fail with the logs kept.
                failure = (f"only {enrolled} of {args.devices} enrolled after "
                           f"{args.timeout:.0f}s; logs in {work}")
                keep = True
                elapsed = time.time() - started
                print()
                print(f"devices                 {shape}")
                print(f"enroll (cold start)     not done after {elapsed:.1f} s: "
                      f"{enrolled} of {args.devices} enrolled")
                print_server_report(
                    text=metrics.scrape(), server=server,
                    processes=processes, devices=args.devices,
                    cpu=(server_cpu_seconds(server) - enroll_cpu_start[0],
                         sum(cpu_seconds(p.pid) for p in processes[len(servers):])
                         - enroll_cpu_start[1]),
                    seconds=elapsed, during="enrollment",
                    idle_rss=None, peak_fds=peak_fds,
                    peak_threads=peak_threads)
                sys.exit(failure)
            for p in processes:
                if p.poll() is not None:
                    keep = True
                    sys.exit(f"a process exited ({p.args[0]}: {p.returncode}); "
                             f"logs in {work}")
            peak_fds = max(peak_fds, open_fds(server.pid))
            peak_threads = max(peak_threads, proc_status(server.pid, "Threads"))
            enrolled = int(total(metrics.scrape(), "mdefleet_devices"))
            time.sleep(0.25)
        enroll_seconds = time.time() - started
        log(f"enrolled {enrolled} devices in {enroll_seconds:.1f}s")
        idle_rss = proc_status(server.pid, "VmRSS")

        # 2. Submit, 3. run the job.
        # The submit is measured, not bounded: past the CLI's default 30 s
        # deadline (100,000 devices) it still counts.
        submit_args = ["--timeout", f"{args.timeout:.0f}s",
                       "jobs", "submit", "onboard", "--target", "all",
                       "--onboarding-script", onboarding_id, "-o", "json"]
        if args.max_in_flight:
            submit_args += ["--max-in-flight", str(args.max_in_flight)]
        submit_start = time.time()
        try:
            submitted = json.loads(ctl(*submit_args))
        except subprocess.CalledProcessError as e:
            keep = True
            sys.exit(f"submit failed after {time.time() - submit_start:.1f}s: "
                     f"{e.stderr.strip()}; logs in {work}")
        submit_seconds = time.time() - submit_start
        job_id = submitted["job"]["id"]
        log(f"submitted job {job_id} in {submit_seconds:.2f}s")
        job_start = time.time()
        server_cpu_start = server_cpu_seconds(server)
        runners_cpu_start = sum(cpu_seconds(p.pid) for p in processes[len(servers):])
        finished = 0
        timed_out = False
        while True:
            if time.time() - job_start > args.timeout:
                # Still report how far it got, then fail.
                timed_out = True
                state = f"not done after {args.timeout:.0f}s"
                break
            peak_fds = max(peak_fds, open_fds(server.pid))
            peak_threads = max(peak_threads, proc_status(server.pid, "Threads"))
            try:
                job = json.loads(ctl("jobs", "get", job_id, "-o", "json"))
            except subprocess.CalledProcessError as e:
                # A busy server may miss the CLI's deadline: say so, go on.
                log(f"jobs get failed: {e.stderr.strip()}")
                time.sleep(1)
                continue
            job = job.get("job", job)
            counts = job.get("counts", {})
            finished = sum(int(counts.get(k, 0)) for k in (
                "succeeded", "failed", "skipped", "cancelled", "timedOut",
                "timed_out", "expired"))
            state = str(job.get("state", ""))
            if state.upper().replace("JOB_STATE_", "") in (
                    "SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"):
                break
            time.sleep(0.25)
        job_seconds = time.time() - job_start
        server_cpu = server_cpu_seconds(server) - server_cpu_start
        runners_cpu = (sum(cpu_seconds(p.pid) for p in processes[len(servers):])
                       - runners_cpu_start)
        text = metrics.scrape()

        print()
        print(f"devices                 {shape}")
        print(f"enroll (cold start)     {enroll_seconds:8.1f} s")
        print(f"submit onboard          {submit_seconds:8.2f} s")
        print(f"onboard job             {job_seconds:8.1f} s  ({state}; "
              f"{finished} of {args.devices} tasks final)")
        print(f"devices/s               {finished / job_seconds:8.0f}")
        print_server_report(
            text=text, server=server, processes=processes,
            devices=args.devices, cpu=(server_cpu, runners_cpu),
            seconds=job_seconds, during="the job", idle_rss=idle_rss,
            peak_fds=peak_fds, peak_threads=peak_threads)
        if timed_out:
            sys.exit(f"job {job_id} not done after {args.timeout:.0f}s")
    finally:
        for p in processes:
            if p.poll() is None:
                p.terminate()
        for p in processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        stop_postgres(build, work)
        if args.keep or keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


class Replicas:
    """The server processes, as one: pid is the first's (its /metrics and
    descriptors are what the report reads), CPU and memory are summed."""

    def __init__(self, processes, postmaster=0):
        self.processes = processes
        self.pid = processes[0].pid
        self.postmaster = postmaster


def start_postgres(build, work):
    """A durable private PostgreSQL cluster in `work`; its database's URL."""
    tool = os.path.join(build, "tests", "testing", "mdefleet_test_postgres")
    where = os.path.join(work, "postgres")
    subprocess.run([tool, "start", where, "--durable"], check=True,
                   capture_output=True)
    port = open(os.path.join(where, "port")).read().strip()
    bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True,
                            text=True, check=True).stdout.strip()
    subprocess.run([os.path.join(bindir, "createdb"), "-h", "127.0.0.1",
                    "-p", port, "-U", "mdefleet", "mdefleet"], check=True)
    log(f"PostgreSQL on 127.0.0.1:{port} (fsync on)")
    return f"postgresql://mdefleet@127.0.0.1:{port}/mdefleet"


def postgres_postmaster(work):
    """The pid of the private PostgreSQL's postmaster, 0 without one."""
    try:
        data_dir = open(os.path.join(work, "postgres", "data_dir")).read().strip()
        return int(open(os.path.join(data_dir, "postmaster.pid")).readline())
    except (OSError, ValueError):
        return 0


def stop_postgres(build, work):
    where = os.path.join(work, "postgres")
    if os.path.exists(os.path.join(where, "port")):
        tool = os.path.join(build, "tests", "testing", "mdefleet_test_postgres")
        subprocess.run([tool, "stop", where], capture_output=True)


def print_server_report(text, server, processes, devices, cpu, seconds,
                        during, idle_rss, peak_fds, peak_threads):
    """What the server and the load cost over `seconds` of `during`."""
    server_cpu, runners_cpu = cpu
    runner_rss = sum(proc_status(p.pid, "VmRSS") for p in processes[len(server.processes):])
    # What each side cost: with everything on one box, the runners' share
    # is CPU the server did not get.
    label = f"CPU during {during}"
    what = "server"
    if len(server.processes) > 1:
        what = f"{len(server.processes)} servers"
    if server.postmaster:
        what += " + PostgreSQL"
    print(f"{label:23s} {server_cpu:8.1f} s {what}, "
          f"{runners_cpu:.1f} s runners ({os.cpu_count()} cores x "
          f"{seconds:.1f} s = {os.cpu_count() * seconds:.1f} s)")
    idle = (f"  (idle, all enrolled: {idle_rss / 1024:.0f} MB)"
            if idle_rss is not None else "")
    print(f"server peak RSS         "
          f"{proc_status(server.pid, 'VmHWM') / 1024:8.0f} MB{idle}"
          + ("" if len(server.processes) == 1 else " (the first replica)"))
    print(f"server descriptors      {peak_fds:8d} peak")
    print(f"server threads          {peak_threads:8d} peak")
    print(f"runner memory / device  {runner_rss / devices:8.0f} kB")
    tx = total(text, "mdefleet_sqlite_write_seconds_count")
    tx_seconds = total(text, "mdefleet_sqlite_write_seconds_sum")
    writes = total(text, "mdefleet_sqlite_write_batch_size_sum")
    print(f"write transactions      {tx:8.0f}  carrying {writes:.0f} writes, "
          f"{tx_seconds:.1f} s in all"
          + (f" ({1000 * tx_seconds / tx:.2f} ms each)" if tx else ""))
    print()
    print(f"{'RPC method':28s} {'calls':>8s} {'p50 ms':>9s} {'p99 ms':>9s}")
    for method, count, p50, p99 in rpc_table(text):
        print(f"{method:28s} {count:8d} {p50:9.1f} {p99:9.1f}")


if __name__ == "__main__":
    main()
