#!/usr/bin/env python3
"""End-to-end benchmarks of ucx-sync against a synthetic tenant on loopback, side by side with
the Python tools administrators use instead. Standard library only; the Python tools are
installed from PyPI into a throwaway virtual environment.

    python3 bench/run.py                      # 10k and 100k users, every connector, Python tools
    python3 bench/run.py --sizes 1000000 --no-python
    python3 bench/run.py --rate-limit 20 --sizes 10000 --no-python
    python3 bench/run.py --overlapping --no-esn --connectors webex,webex-virtual --no-python

See bench/README.md for what each column means.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "target" / "release"
PYTHON_TOOLS = ["wxc_sdk==1.41.0", "zeep==4.3.3", "requests==2.34.2"]
WEBEX_ORG = "c71d77a3-36a7-5f3b-bd71-1f2e3fe169b4"

SOURCES = {
    "webex": """kind = "webex-users"
base_url = "{uri}/v1/"
org_id = "%s"
token = "env:BENCH_SECRET"
""" % WEBEX_ORG,
    "webex-virtual": """kind = "webex-virtual"
base_url = "{uri}/v1/"
org_id = "%s"
token = "env:BENCH_SECRET"
""" % WEBEX_ORG,
    "cucm": """kind = "cucm"
base_url = "{uri}/axl/"
username = "axl-sync"
password = "env:BENCH_SECRET"
params = {{ email_domain = "example.com" }}
""",
    "entra": """kind = "entra"
base_url = "{uri}/"
authority_url = "{uri}/"
tenant = "bench-tenant"
client_id = "bench-client"
client_secret = "env:BENCH_SECRET"
""",
}


# Source keys from --set, added to every source section.
EXTRA_KEYS = []
# --postgres: the server each run gets a fresh database on, instead of a SQLite file.
POSTGRES = []


def store_section(label):
    """The [store] keys of a run: a SQLite file, or a fresh PostgreSQL database."""
    if not POSTGRES:
        return 'path = "users.db"'
    admin = POSTGRES[0]
    db = f"bench_{label}".replace("-", "_")
    for sql in (f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}"):
        subprocess.run(["psql", admin, "-qc", sql], check=True)
    base = admin.rsplit("/", 1)[0]
    return f'url = "{base}/{db}"'


def source_section(name, uri):
    """The body of a source's section: its connection keys and those of --set."""
    return SOURCES[name].format(uri=uri) + "".join(f"{k}\n" for k in EXTRA_KEYS)


def measured(cmd, env=None, cwd=None):
    """Runs cmd; returns (seconds, the child's own peak RSS in MB, its output, its CPU seconds).
    wait4 gives the child's own figures (RUSAGE_CHILDREN would add up all children so far)."""
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            if cwd:
                os.chdir(cwd)
            out = os.open(os.path.join(tempfile.gettempdir(), f"ucx-bench-{os.getpid()}.out"),
                          os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.execve(cmd[0], [str(c) for c in cmd], env or os.environ)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    log = Path(tempfile.gettempdir(), f"ucx-bench-{pid}.out")
    text = log.read_text()
    log.unlink()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({os.waitstatus_to_exitcode(status)}):\n{text}")
    return elapsed, usage.ru_maxrss / 1024, text, usage.ru_utime + usage.ru_stime


class Loadgen:
    """ucx-loadgen in the background; it stops when this script's pipe to it closes."""

    def __init__(self, users, rate_limit=None, overlapping=False, esn=True, latency_ms=None):
        # As many virtual objects as users, so every connector reads `users` records.
        cmd = [RELEASE / "ucx-loadgen", "--users", str(users), "--objects", str(users),
               "--until-stdin-closes"]
        if rate_limit:
            cmd += ["--rate-limit", str(rate_limit)]
        if overlapping:
            cmd += ["--overlapping"]
        if not esn:
            cmd += ["--no-esn"]
        if latency_ms:
            cmd += ["--latency-ms", str(latency_ms)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        match = re.search(r"listening on (\S+)", line)
        if not match:
            sys.exit(f"ucx-loadgen did not start: {line!r}")
        self.uri = match.group(1)

    def stats(self):
        with urllib.request.urlopen(f"{self.uri}/stats") as r:
            return json.load(r)

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def build():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "ucx-cli", "-p", "ucx-loadgen"],
                   cwd=ROOT, check=True)


def venv(path):
    """A virtual environment with the Python tools (created once, reused)."""
    python = path / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", path], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", *PYTHON_TOOLS], check=True)
    return python


def axl_wsdl(work):
    """AXL 15.0's WSDL and schema for zeep, from the compressed copies in fixtures/."""
    import gzip
    target = work / "axl"
    target.mkdir(exist_ok=True)
    schema = ROOT / "fixtures" / "cucm" / "schema"
    for name, out in [("AXLAPI-15.0.wsdl.gz", "AXLAPI.wsdl"), ("AXLSoap-15.0.xsd.gz", "AXLSoap.xsd")]:
        with gzip.open(schema / name) as src, open(target / out, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return target / "AXLAPI.wsdl"


def step_times(log):
    """The step times `UCX_LOG=info` prints."""
    times = {}
    for key in ("read_s", "planned_s", "stored_s", "applied_s"):
        found = re.search(rf"{key}=([0-9.]+)", log)
        if found:
            times[key] = float(found.group(1))
    return times


def waited(log):
    """Seconds the client slept before retries, from its WARN lines."""
    return sum(int(ms) for ms in re.findall(r"wait_ms=(\d+)", log)) / 1000


def ucx_runs(name, gen, work, users):
    """First sync (every user added) and an unchanged re-sync of one source, each its own
    process and database; for Entra and CUCM, whose re-syncs go through their change feeds (the
    delta query, listChange), also a re-sync after 100 users changed. Each row counts the requests the tenant answered."""
    uri = gen.uri
    d = work / f"{name}-{users}"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    (d / "ucx-sync.toml").write_text(
        f'[store]\n{store_section(f"{name}_{users}")}\n\n[[sources]]\nname = "{name}"\n'
        + source_section(name, uri))
    env = dict(os.environ, BENCH_SECRET="bench-secret", UCX_LOG="info")
    cmd = [RELEASE / "ucx-sync", "--config", d / "ucx-sync.toml", "run", "--once"]
    rows = []
    runs = ["first sync", "unchanged re-sync"] + (["100 changed"] if name in ("entra", "cucm") else [])
    for run in runs:
        if run == "100 changed":
            urllib.request.urlopen(urllib.request.Request(f"{uri}/change?users=100", method="POST"))
        asked_before = gen.stats()["requests"]
        elapsed, rss, log, cpu = measured(cmd, env=env)
        asked = gen.stats()["requests"] - asked_before
        if f"{users} records" not in log:
            sys.exit(f"{name}: expected {users} records:\n{log}")
        # Every record imported (overlapping extensions included) and nothing left unapplied.
        expect = {"first sync": f"{users} added", "unchanged re-sync": f"{users} unchanged",
                  "100 changed": "100 updated"}[run]
        if expect not in log or " 0 not applied" not in log:
            sys.exit(f"{name}: expected {expect} and 0 not applied:\n{log}")
        rows.append(dict(tool="ucx-sync run --once", connector=name, users=users, run=run,
                         seconds=elapsed, cpu_s=cpu, rss_mb=rss, waited_s=waited(log),
                         requests=asked, **step_times(log)))
    return rows


# The listing script of each connector the Python tools cover.
PYTHON_SCRIPTS = {"webex": "webex_wxc_sdk.py", "cucm": "axl_zeep.py", "entra": "graph_requests.py"}


def python_run(python, name, uri, work, users, wsdl):
    script = PYTHON_SCRIPTS[name]
    tool = {"webex": "wxc_sdk", "cucm": "zeep", "entra": "requests"}[name]
    cmd = [python, ROOT / "bench" / "python" / script, uri, str(users)]
    if name == "cucm":
        cmd.append(wsdl)
    elapsed, rss, _, cpu = measured(cmd)
    return dict(tool=f"{tool} (list only)", connector=name, users=users, run="list",
                seconds=elapsed, cpu_s=cpu, rss_mb=rss)


def refresh_run(name, uri, work, users):
    """`ucx-sync refresh`: list and store the snapshot, the closest match to a listing script."""
    d = work / f"{name}-{users}-refresh"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    (d / "ucx-sync.toml").write_text(
        f'[store]\npath = "users.db"\n\n[[sources]]\nname = "{name}"\n'
        + source_section(name, uri))
    env = dict(os.environ, BENCH_SECRET="bench-secret")
    elapsed, rss, _, cpu = measured(
        [RELEASE / "ucx-sync", "--config", d / "ucx-sync.toml", "refresh"], env=env)
    return dict(tool="ucx-sync refresh (list + store)", connector=name, users=users,
                run="list", seconds=elapsed, cpu_s=cpu, rss_mb=rss)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000",
                    help="tenant sizes, comma-separated (default 10000,100000)")
    ap.add_argument("--connectors", default="webex,cucm,entra",
                    help="any of webex, webex-virtual, cucm, entra (default webex,cucm,entra)")
    ap.add_argument("--no-python", action="store_true", help="skip the Python tools")
    ap.add_argument("--python-max", type=int, default=100_000,
                    help="largest tenant the Python tools are run on (default 100000)")
    ap.add_argument("--rate-limit", type=int, help="requests per second the tenant answers")
    ap.add_argument("--overlapping", action="store_true",
                    help="extensions overlap: Webex people and virtual objects in two locations, "
                         "CUCM numbers in two partitions")
    ap.add_argument("--latency", type=int, metavar="MS",
                    help="every API answer waits this long, served side by side (a real API's round trip)")
    ap.add_argument("--no-esn", action="store_true",
                    help="no Webex location has a routing prefix (ESN off)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a source key added to every source section (TOML), e.g. read_concurrency=1")
    ap.add_argument("--postgres", metavar="URL",
                    help="store in PostgreSQL: a fresh database per run on this server (an admin URL)")
    ap.add_argument("--work", default=None, help="working directory (default: a temporary one)")
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    EXTRA_KEYS.extend(args.set)
    if args.postgres:
        POSTGRES.append(args.postgres)

    build()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="ucx-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    python = wsdl = None
    if not args.no_python:
        python = venv(work / "venv")
        wsdl = axl_wsdl(work)
    rows = []
    for users in [int(s) for s in args.sizes.split(",")]:
        for name in args.connectors.split(","):
            gen = Loadgen(users, args.rate_limit, args.overlapping, esn=not args.no_esn,
                          latency_ms=args.latency)
            try:
                rows += ucx_runs(name, gen, work, users)
                if python and users <= args.python_max and name in PYTHON_SCRIPTS:
                    rows.append(refresh_run(name, gen.uri, work, users))
                    rows.append(python_run(python, name, gen.uri, work, users, wsdl))
                stats = gen.stats()
            finally:
                gen.stop()
            for r in rows:
                if r["connector"] == name and r["users"] == users:
                    r.setdefault("requests_total", stats["requests"])
                    r.setdefault("throttled_total", stats["throttled"])
            print(f"# done: {name} {users}", file=sys.stderr)

    print("| tool | connector | users | run | wall s | CPU s | users/s | peak RSS MB | steps (read / plan / store / apply s) | waited s | requests |")
    print("|---|---|---:|---|---:|---:|---:|---:|---|---:|---:|")
    for r in rows:
        steps = " / ".join(f"{r[k]:.2f}" if k in r else "–"
                           for k in ("read_s", "planned_s", "stored_s", "applied_s"))
        print(f"| {r['tool']} | {r['connector']} | {r['users']:,} | {r['run']} | {r['seconds']:.2f} "
              f"| {r['cpu_s']:.2f} | {r['users'] / r['seconds']:,.0f} | {r['rss_mb']:.0f} | {steps} | {r.get('waited_s', 0):.1f} | {r.get('requests', '–')} |")
    ratios = {}
    for r in rows:
        if r["run"] == "list":
            ratios.setdefault((r["connector"], r["users"]), {})[r["tool"].split()[0]] = r
    if ratios:
        print("\n| connector | users | Python tool | ucx-sync refresh vs Python: speed | memory |")
        print("|---|---:|---|---:|---:|")
        for (name, users), pair in ratios.items():
            ours = pair.get("ucx-sync")
            theirs = next((v for k, v in pair.items() if k != "ucx-sync"), None)
            if ours and theirs:
                print(f"| {name} | {users:,} | {theirs['tool']} | {theirs['seconds'] / ours['seconds']:.1f}x "
                      f"| {theirs['rss_mb'] / ours['rss_mb']:.1f}x less |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
