#!/usr/bin/env python3
"""Checks deploy/systemd/mdefleet-server.service without a running systemd.

1. `systemd-analyze verify` on a copy whose ExecStart names the built
   server: any complaint about the unit fails (verify exits 0 on an unknown
   key or a bad value, it only warns).
2. `systemd-analyze security --offline=yes`: the exposure score is at most
   MAX_EXPOSURE.
3. Every path the serve command writes (--db, --tls-dir, port files) is
   under the StateDirectory; an explicit --max-connections is below
   LimitNOFILE.
4. The unit's exact serve command, with the state directory moved to a
   temporary one and --listen (and --http-listen) on 127.0.0.1:0, after
   `mdefleet-server init` on the same database, under the unit's UMask and
   LimitNOFILE (as systemd applies them): the server logs that descriptor
   limit, answers `mdefleetctl` with init's admin token over TLS, writes
   nothing outside the state directory (working directory, TMPDIR, HOME),
   and on SIGTERM exits 0 within TimeoutStopSec.

--self-test instead breaks copies of the unit (a misspelt key, a bad value,
a misspelt section, no sandboxing, a database outside the state directory,
--max-connections over LimitNOFILE) and checks that steps 1 to 3 reject
each.

Exit status 77 (a CTest skip) when systemd-analyze is missing
(deploy/install-deps.sh installs Debian's systemd package).
"""

import argparse
import os
import re
import resource
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

# "OK" in systemd-analyze's scale is below 2.0 (it prints 🙂 up to there).
MAX_EXPOSURE = 2.0
# Flags of `serve` (and `init`) whose value is a path the server writes.
WRITTEN_PATH_FLAGS = ("--db", "--tls-dir", "--port-file", "--http-port-file")
STARTUP_TIMEOUT_S = 10
SKIP = 77


class CheckFailed(Exception):
    pass


def parse_unit(text):
    """Returns {section: [(key, value), ...]} in file order (keys repeat)."""
    sections = {}
    current = None
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip()
        pending = ""
        if not line or line[0] in "#;":
            continue
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        if current is None or "=" not in line:
            raise CheckFailed(f"unit: cannot parse line {raw!r}")
        key, value = line.split("=", 1)
        current.append((key.strip(), value.strip()))
    return sections


def last_value(sections, section, key):
    """The value systemd uses for a single-valued key: the last one."""
    values = [v for k, v in sections.get(section, []) if k == key]
    if not values:
        raise CheckFailed(f"unit: no {key}= in [{section}]")
    return values[-1]


def parse_seconds(text):
    """A systemd time span such as 30s, 1min 30s, 90 (seconds)."""
    units = {"": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600,
             "ms": 0.001}
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", text):
        if unit not in units:
            raise CheckFailed(f"unit: time span {text!r}: unit {unit!r}")
        total += float(number) * units[unit]
    return total


def exec_start_argv(sections):
    """ExecStart= as argv (one command; no specifiers or variables)."""
    commands = [v for k, v in sections.get("Service", [])
                if k == "ExecStart" and v]
    if len(commands) != 1:
        raise CheckFailed(f"unit: expected one ExecStart=, got {commands}")
    command = commands[0].lstrip("-@:+!")
    if "%" in command or "$" in command:
        raise CheckFailed("unit: ExecStart= uses a specifier or a variable, "
                          "which this test does not expand")
    return shlex.split(command)


def flag_values(argv, flag):
    """Values of `--flag VALUE` and `--flag=VALUE` in argv."""
    values = []
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            values.append(argv[i + 1])
        elif arg.startswith(flag + "="):
            values.append(arg.split("=", 1)[1])
    return values


def replace_flag(argv, flag, value):
    out = list(argv)
    for i, arg in enumerate(out):
        if arg == flag and i + 1 < len(out):
            out[i + 1] = value
        elif arg.startswith(flag + "="):
            out[i] = f"{flag}={value}"
    return out


def state_dir_of(sections):
    name = last_value(sections, "Service", "StateDirectory").split()[0]
    return "/var/lib/" + name.split(":")[0]


def check_command(sections):
    """Every path serve writes lies under the StateDirectory, and an explicit
    --max-connections is below LimitNOFILE."""
    argv = exec_start_argv(sections)
    state = state_dir_of(sections)
    if "serve" not in argv:
        raise CheckFailed(f"unit: ExecStart= does not run serve: {argv}")
    if not flag_values(argv, "--db"):
        raise CheckFailed("unit: ExecStart= has no --db")
    for flag in WRITTEN_PATH_FLAGS:
        for value in flag_values(argv, flag):
            if not os.path.normpath(value).startswith(state + "/"):
                raise CheckFailed(
                    f"unit: {flag} {value} is outside the state directory "
                    f"{state}: ProtectSystem=strict makes it read-only")
    # serve refuses to start otherwise; checked here too because the run
    # below may have to use a lower limit than the unit's.
    hard = nofile_limits(sections)[1]
    for value in flag_values(argv, "--max-connections"):
        if int(value) >= hard:
            raise CheckFailed(
                f"unit: --max-connections {value} is not below LimitNOFILE "
                f"({hard}): serve would refuse to start")


def copy_for_systemd(unit_text, unit_name, server, directory):
    """The unit with ExecStart's binary replaced by the built one."""
    match = re.search(r"^ExecStart=[-@:+!]*(\S+)", unit_text, re.M)
    if match is None:
        raise CheckFailed("unit: no ExecStart=")
    binary = match.group(1)
    path = os.path.join(directory, unit_name)
    with open(path, "w", encoding="utf-8") as out:
        out.write(unit_text.replace(binary, server))
    return path


def check_verify(unit_path):
    """systemd-analyze verify: no error and no warning about the unit."""
    name = os.path.basename(unit_path)
    result = subprocess.run(["systemd-analyze", "verify", unit_path],
                            capture_output=True, text=True, timeout=60,
                            check=False)
    output = (result.stdout + result.stderr).strip()
    complaints = [line for line in output.splitlines() if name in line]
    if result.returncode != 0 or complaints:
        first = complaints[0] if complaints else output
        raise CheckFailed(f"systemd-analyze verify (exit {result.returncode}): "
                          f"{first}\n{output}")
    return output


def check_security(unit_path):
    """The offline exposure score, at most MAX_EXPOSURE."""
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--no-pager",
         unit_path], capture_output=True, text=True, timeout=60, check=False)
    match = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?) (\w+)",
                      result.stdout)
    if match is None:
        raise CheckFailed("systemd-analyze security: no exposure level in:\n"
                          f"{result.stdout}{result.stderr}")
    score = float(match.group(1))
    if score > MAX_EXPOSURE:
        raise CheckFailed(f"systemd-analyze security: exposure {score} "
                          f"{match.group(2)}, above {MAX_EXPOSURE}:\n"
                          f"{result.stdout}")
    return f"{match.group(1)} {match.group(2)}"


def check_static(unit_text, unit_name, server, directory):
    """Steps 1 to 3; returns the exposure score."""
    path = copy_for_systemd(unit_text, unit_name, server, directory)
    check_verify(path)
    score = check_security(path)
    check_command(parse_unit(unit_text))
    return score


def nofile_limits(sections):
    """LimitNOFILE= as (soft, hard)."""
    text = last_value(sections, "Service", "LimitNOFILE")
    soft, _, hard = text.partition(":")
    hard = hard or soft
    if not soft.isdigit() or not hard.isdigit():
        raise CheckFailed(f"unit: LimitNOFILE={text}: expected numbers")
    return int(soft), int(hard)


def limits_to_apply(soft, hard):
    """The unit's limits, or the nearest this process may set.

    Raising a hard limit takes CAP_SYS_RESOURCE, which a container may lack;
    then the soft limit starts lower and the server must raise it itself.
    """
    probe = subprocess.run(["prlimit", f"--nofile={soft}:{hard}", "true"],
                           capture_output=True, check=False)
    if probe.returncode == 0:
        return soft, hard
    current_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    applied_hard = min(hard, current_hard)
    applied_soft = min(1024, applied_hard)
    print(f"note: cannot set the open-files limit {soft}:{hard} here "
          f"(hard limit {current_hard}, no CAP_SYS_RESOURCE); running with "
          f"{applied_soft}:{applied_hard}")
    return applied_soft, applied_hard


class Server:
    """mdefleet-server serve with its stderr collected line by line."""

    def __init__(self, argv, env, cwd, umask):
        self.lines = []
        self._cond = threading.Condition()
        self.process = subprocess.Popen(
            argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            preexec_fn=lambda: os.umask(umask))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stderr:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern, timeout):
        """The first match of pattern in the log, waiting up to timeout."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        with self._cond:
            while True:
                for line in self.lines:
                    match = regex.search(line)
                    if match:
                        return match
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and
                                 not self._reader.is_alive()):
                    raise CheckFailed(
                        f"server log: no line matching {pattern!r} (exit "
                        f"{self.process.poll()}):\n{self.log()}")
                self._cond.wait(min(left, 0.2))

    def log(self):
        with self._cond:
            return "\n".join(self.lines)


def run_unit(sections, server, ctl, tmp):
    """Step 4."""
    state = state_dir_of(sections)
    argv = exec_start_argv(sections)
    local_state = os.path.join(tmp, "state")
    os.mkdir(local_state, 0o700)  # as systemd makes it (StateDirectoryMode=)
    argv = [server] + [a.replace(state, local_state) for a in argv[1:]]
    argv = replace_flag(argv, "--listen", "127.0.0.1:0")
    http = bool(flag_values(argv, "--http-listen"))
    argv = replace_flag(argv, "--http-listen", "127.0.0.1:0")
    umask = int(last_value(sections, "Service", "UMask"), 8)
    stop_timeout = parse_seconds(
        last_value(sections, "Service", "TimeoutStopSec"))
    # What systemd gives a service: a clean environment; these three point
    # at empty directories that must stay empty.
    elsewhere = {name: os.path.join(tmp, name) for name in ("cwd", "tmp",
                                                              "home")}
    for path in elsewhere.values():
        os.mkdir(path)
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
           "LANG": "C.UTF-8", "TMPDIR": elsewhere["tmp"],
           "HOME": elsewhere["home"]}

    init = [server, "init", "--db", flag_values(argv, "--db")[0], "--san",
            "mdefleet.test"]
    for value in flag_values(argv, "--tls-dir"):
        init += ["--tls-dir", value]
    result = subprocess.run(init, env=env, cwd=elsewhere["cwd"],
                            capture_output=True, text=True, timeout=30,
                            preexec_fn=lambda: os.umask(umask), check=False)
    if result.returncode != 0:
        raise CheckFailed(f"init failed: {result.stderr}")
    printed = dict(line.split("=", 1) for line in result.stdout.splitlines()
                   if "=" in line)
    token, ca = printed.get("admin_token"), printed.get("ca_certificate")
    if not token or not ca or not ca.startswith(local_state + "/"):
        raise CheckFailed(f"init printed no admin token or a CA certificate "
                          f"outside the state directory:\n{result.stdout}")

    soft, hard = limits_to_apply(*nofile_limits(sections))
    explicit = flag_values(argv, "--max-connections")
    max_connections = (int(explicit[-1]) if explicit and int(explicit[-1]) > 0
                       else hard - min(1024, hard // 4))
    started = Server(["prlimit", f"--nofile={soft}:{hard}", "--"] + argv, env,
                     elsewhere["cwd"], umask)
    try:
        port = started.wait_for(r"listening on 127\.0\.0\.1:(\d+): TLS",
                                STARTUP_TIMEOUT_S).group(1)
        started.wait_for(
            rf"open files: limit {hard} .*refused from {max_connections} open "
            r"descriptors", 1)
        called = subprocess.run(
            [ctl, "--server", f"127.0.0.1:{port}", "--ca-cert", ca, "--timeout",
             "5s", "fleet", "summary"],
            env=dict(env, MDEFLEET_TOKEN=token), capture_output=True, text=True,
            timeout=30, check=False)
        if called.returncode != 0:
            raise CheckFailed(f"mdefleetctl fleet summary (exit "
                              f"{called.returncode}): {called.stderr}")
        if http:
            http_port = started.wait_for(
                r"http: listening on 127\.0\.0\.1:(\d+)", 1).group(1)
            request = urllib.request.Request(
                f"https://127.0.0.1:{http_port}/api/v1/summary",
                headers={"Authorization": f"Bearer {token}"})
            context = ssl.create_default_context(cafile=ca)
            with urllib.request.urlopen(request, context=context,
                                        timeout=5) as answer:
                if answer.status != 200:
                    raise CheckFailed(
                        f"GET /api/v1/summary: HTTP {answer.status}")
        stopping = time.monotonic()
        started.process.send_signal(signal.SIGTERM)
        try:
            code = started.process.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired as e:
            raise CheckFailed(f"still running {stop_timeout}s (TimeoutStopSec) "
                              f"after SIGTERM:\n{started.log()}") from e
        stop_seconds = time.monotonic() - stopping
        started.wait_for(r"\bstopped$", 1)
        if code != 0:
            raise CheckFailed(
                f"exit status {code} after SIGTERM (systemd would count a "
                f"failure):\n{started.log()}")
    finally:
        if started.process.poll() is None:
            started.process.kill()
            started.process.wait()

    for name, path in elsewhere.items():
        if os.listdir(path):
            raise CheckFailed(
                f"the server wrote outside its state directory, in its "
                f"{name}: {os.listdir(path)}")
    entries = sorted(os.listdir(local_state))
    for entry in entries:
        mode = os.stat(os.path.join(local_state, entry)).st_mode
        if mode & 0o077:
            raise CheckFailed(f"{entry} in the state directory has mode "
                              f"{mode & 0o777:o} (UMask={umask:04o})")
    print(f"served on 127.0.0.1:{port} with the open-files limit {hard}; "
          f"stopped by SIGTERM in {stop_seconds:.1f}s with exit status 0; "
          f"state directory: {', '.join(entries)}")
    print(started.log())


def breakages(unit_text):
    """(what, broken unit text) pairs the static checks must reject."""
    sandboxing = re.compile(
        r"^(Protect|Private|Restrict|SystemCall|Capability|NoNewPrivileges|"
        r"MemoryDeny|LockPersonality|RemoveIPC|UMask)", re.M)
    yield ("a misspelt key", unit_text.replace("\nNoNewPrivileges=",
                                                "\nNoNewPrivilege="))
    yield ("a bad value", unit_text.replace("\nRestart=on-failure",
                                            "\nRestart=on-failur"))
    yield ("a misspelt section", unit_text.replace("\n[Service]",
                                                   "\n[Servic]"))
    yield ("no sandboxing", sandboxing.sub("# ", unit_text))
    yield ("the database outside the state directory",
           unit_text.replace("--db /var/lib/mdefleet/", "--db /srv/"))
    yield ("--max-connections not below LimitNOFILE",
           unit_text.replace("--listen ", "--max-connections 65536 --listen "))


def self_test(unit_text, unit_name, server, tmp):
    check_static(unit_text, unit_name, server, tmp)  # the real one passes
    for what, broken in breakages(unit_text):
        if broken == unit_text:
            raise CheckFailed(
                f"self-test: could not make {what}: the unit did not change")
        directory = tempfile.mkdtemp(dir=tmp)
        try:
            check_static(broken, unit_name, server, directory)
        except CheckFailed as e:
            print(f"rejected {what}: {str(e).splitlines()[0]}")
            continue
        raise CheckFailed(f"self-test: a unit with {what} passed the checks")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unit", required=True)
    parser.add_argument("--server", required=True, help="built mdefleet-server")
    parser.add_argument("--ctl", help="built mdefleetctl")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if shutil.which("systemd-analyze") is None:
        print("skipped: no systemd-analyze (deploy/install-deps.sh installs "
              "Debian's systemd package)")
        return SKIP
    with open(args.unit, encoding="utf-8") as f:
        unit_text = f.read()
    unit_name = os.path.basename(args.unit)
    with tempfile.TemporaryDirectory(prefix="mdefleet-systemd-") as tmp:
        try:
            if args.self_test:
                self_test(unit_text, unit_name, args.server, tmp)
                return 0
            score = check_static(unit_text, unit_name, args.server, tmp)
            print("systemd-analyze verify: clean; security --offline "
                  f"exposure: {score}")
            run_unit(parse_unit(unit_text), args.server, args.ctl, tmp)
        except CheckFailed as e:
            print(f"FAILED: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
