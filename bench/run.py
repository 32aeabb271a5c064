#!/usr/bin/env python3
"""Benchmarks the dashboard against its own ceiling, in one run.

Builds release, starts the server on a fresh database (SQLite, or Postgres when DATABASE_URL names a
server: a fresh database is created there and dropped afterwards), seeds one merchant with 1,000 tokens
and a logged-in session, then loads it with wrk (64 connections, after a warm-up; wrk pinned to another
CPU than the server with taskset). Each scenario runs in rounds, each right after its own GET /healthz
run, and is reported as the median of its ratios to those, because the machine is shared and noisy.

On Postgres it also runs two instances on the one database at once (the fleet: shared replay store,
rate-limit counts and change channel) and reports whoami Basic and signed against both instances'
/healthz.

Usage: python3 bench/run.py [--duration 12] [--rounds 3] [--connections 64] [--no-build] [--smoke]
"""
import argparse, base64, gzip, hashlib, hmac, http.client, json, os, re, secrets, shutil, socket
import subprocess, sys, tempfile, threading, time, urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "kwik-dashboard")
PASSWORD = "bench passphrase 2026"
BROWSER_ENCODINGS = "gzip, deflate, br, zstd"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk():
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk from Debian ...")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, stdout=subprocess.DEVNULL)
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        sys.exit("error: wrk is needed (apt-get install wrk)")


class Client:
    """A tiny keep-alive HTTP client that keeps the session cookie."""

    def __init__(self, port):
        self.port, self.cookie = port, None
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method, path, body=None, headers=None):
        h = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if self.cookie:
            h["Cookie"] = self.cookie
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        sc = r.getheader("Set-Cookie")
        if sc and sc.startswith("kwik_session="):
            self.cookie = sc.split(";")[0]
        return r.status, data

    def post_form(self, path, fields):
        token = self.csrf
        body = urllib.parse.urlencode([*fields, ("csrf_token", token)])
        return self.request("POST", path, body, {
            "Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://127.0.0.1:{self.port}"})

    def get(self, path):
        status, data = self.request("GET", path)
        m = re.search(rb'name="csrf_token" value="([^"]+)"|name="csrf-token" content="([^"]+)"', data)
        if m:
            self.csrf = (m.group(1) or m.group(2)).decode()
        return status, data

    def login(self, email):
        self.get("/login")
        status, _ = self.post_form("/login", [("email", email), ("password", PASSWORD)])
        return status


def parse_wrk(out):
    def ms(v, unit):
        return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "requests": requests, "p50": lat.get("50"), "p99": lat.get("99"),
            "non2xx": int(non2xx.group(1)) if non2xx else 0, "socket_errors": errors.group(1) if errors else ""}


def wrk(port, path, seconds, connections, script=None, pin=None):
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    if pin is not None:
        cmd = ["taskset", "-c", str(pin)] + cmd
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return parse_wrk(out)


def wrk_each(targets, path, seconds, connections, pin=None):
    """wrk against several servers at once, `connections` split between them: (port, script) each.
    Requests add up; p50 and p99 are the worst of them."""
    outs = [None] * len(targets)

    def one(i, port, script):
        outs[i] = wrk(port, path, seconds, max(1, connections // len(targets)), script, pin)
    threads = [threading.Thread(target=one, args=(i, p, sc)) for i, (p, sc) in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"rps": sum(o["rps"] for o in outs), "requests": sum(o["requests"] for o in outs),
            "p50": max(o["p50"] for o in outs), "p99": max(o["p99"] for o in outs),
            "non2xx": sum(o["non2xx"] for o in outs),
            "socket_errors": "; ".join(o["socket_errors"] for o in outs if o["socket_errors"])}


def cpu_seconds(pid):
    """CPU time the process has used so far, all its threads, user and system."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def median(values):
    v = sorted(values)
    return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2


def summary(runs, ceilings, proc):
    """One scenario's rounds, each beside its own ceiling run: totals, medians, and the worst p99."""
    pairs = list(zip(runs, ceilings))
    return {
        "rps": sum(r["requests"] for r in runs) / sum(r["secs"] for r in runs),
        "p50": median(r["p50"] for r in runs),
        "p99": median(r["p99"] for r in runs),
        "p99_worst": max(r["p99"] for r in runs),
        "ratio": median(r["rps"] / c["rps"] for r, c in pairs),
        "cpu_us": median(r["cpu_us"] for r in runs),
        "cpu_ratio": median(c["cpu_us"] / r["cpu_us"] for r, c in pairs),
        "ceiling": median(c["rps"] for c in ceilings),
        "ceiling_p99": median(c["p99"] for c in ceilings),
        "non2xx": sum(r["non2xx"] for r in runs),
        "socket_errors": "; ".join(r["socket_errors"] for r in runs if r["socket_errors"]),
        "rss": rss_mb(proc.pid),
    }


def rss_mb(pid):
    status = open(f"/proc/{pid}/status").read()
    peak = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024
    return peak


def reset_peak(pid):
    """Starts a new peak-RSS window (Linux: 5 > clear_refs resets VmHWM), so each scenario reports its own."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def rss_now_mb(pid):
    return int(re.search(r"VmRSS:\s+(\d+) kB", open(f"/proc/{pid}/status").read()).group(1)) / 1024


def header_script(tmp, name, headers):
    path = os.path.join(tmp, f"{name}.lua")
    with open(path, "w") as f:
        for k, v in headers.items():
            f.write(f'wrk.headers["{k}"] = "{v}"\n')
    return path


def signed_script(tmp, key, secret, count, phase, offset, path="/api/v2/whoami"):
    """Pre-computed signatures with fresh timestamps, distinct across phases: each is used once."""
    lines = os.path.join(tmp, f"signatures-{phase}.txt")
    body_sha = hashlib.sha256(b"").hexdigest()
    now = int(time.time())
    with open(lines, "w") as f:
        for i in range(offset, offset + count):
            ts = now - 200 + (i % 400)  # inside the ±300 s window for the whole run
            # distinct signatures even for equal timestamps: vary the query
            p = f"{path}?n={i}"
            msg = f"{ts}\nGET\n{p}\n{body_sha}".encode()
            sig = hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()
            f.write(f"{ts} {sig} {p}\n")
    script = os.path.join(tmp, f"signed-{phase}.lua")
    with open(script, "w") as f:
        f.write(f'''
local items = {{}}
for line in io.lines("{lines}") do items[#items + 1] = line end
local i = 0
request = function()
  i = i + 1
  local item = items[((i - 1) % #items) + 1]
  local ts, sig, p = item:match("(%S+) (%S+) (%S+)")
  return wrk.format("GET", p, {{["X-Kwik-Key"] = "{key}", ["X-Kwik-Timestamp"] = ts, ["X-Kwik-Signature"] = "v1=" .. sig}})
end
''')
    return script


def login_storm(port, stop, rate, results, paused):
    """`rate` logins per second with the real argon2id parameters, until `stop` is set; none are
    started while `paused` is set."""
    interval = 1.0 / rate
    def one():
        c = Client(port)
        try:
            status = c.login("bench@kwik.test")
            results.append(status)
        except Exception as e:  # noqa: BLE001 - counted as a failure
            results.append(repr(e))
    threads = []
    next_at = time.monotonic()
    while not stop.is_set():
        if paused.is_set():
            time.sleep(0.05)
            next_at = time.monotonic()
            continue
        t = threading.Thread(target=one)
        t.start()
        threads.append(t)
        next_at += interval
        time.sleep(max(0, next_at - time.monotonic()))
    for t in threads:
        t.join()


def wait_ready(port, tries=2000):
    """Polls GET /healthz until it answers 200; True if it did."""
    for _ in range(tries):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return True
        except OSError:
            time.sleep(0.002)
    return False


def stop_server(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def fleet_scenarios(results, tmp, env, server_cmd, first, key, secret, basic_script, args, rounds,
                    round_secs, ceiling_secs, rate, wrk_cpu):
    """Two instances on the one Postgres, loaded at once: the replay store, the rate-limit counts and
    the change channel shared, as a fleet runs. Each round: /healthz on both, then the scenario on
    both; the ratio is the pair's requests against the pair's /healthz."""
    port2 = free_port()
    second = subprocess.Popen(server_cmd, env={**env, "KWIK_BIND": f"127.0.0.1:{port2}"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs = [first[1], second]
    try:
        if not wait_ready(port2):
            sys.exit("error: the second instance did not start")
        ports = [first[0], port2]

        def both(path, secs, scripts):
            before = sum(cpu_seconds(p.pid) for p in procs)
            r = wrk_each(list(zip(ports, scripts)), path, secs, args.connections, wrk_cpu)
            r["cpu_us"] = (sum(cpu_seconds(p.pid) for p in procs) - before) * 1e6 / max(1, r["requests"])
            r["secs"] = secs
            return r

        def measure_both(name, path, scripts_of, secs, n, warmup, warmup_secs):
            log(f"{name}: warm-up, then {n} x {secs}s on 2 instances at {args.connections} connections")
            both(path, warmup_secs, warmup)
            runs, tops = [], []
            for i in range(n):
                tops.append(both("/healthz", ceiling_secs, [None, None]))
                runs.append(both(path, secs, scripts_of(i)))
            results[name] = summary(runs, tops, procs[1])
            results[name]["rounds"] = f"{n} x {secs}s"

        measure_both("2 instances: whoami Basic", "/api/v2/whoami", lambda i: [basic_script] * 2,
                     round_secs, rounds, [basic_script] * 2, args.warmup)
        # Every signature once, across both instances: each gets its own, never another's.
        per = int(rate)
        signed = [[signed_script(tmp, key, secret, per, f"fleet{i}-{j}", 10_000_000 + (2 * i + j) * per)
                   for j in range(2)] for i in range(rounds)]
        warm = [signed_script(tmp, key, secret, per, f"fleetwarm-{j}", 9_000_000 + j * per) for j in range(2)]
        measure_both("2 instances: whoami signed", "/api/v2/whoami", lambda i: signed[i], 1, rounds, warm, 1)
    finally:
        stop_server(second)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=12, help="seconds of measurement per scenario")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per scenario, each beside its own ceiling")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--tokens", type=int, default=1000)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--smoke", action="store_true",
                    help="CI: a few seconds per scenario, failing only if a scenario answered with errors")
    args = ap.parse_args()
    if args.smoke:
        args.duration, args.warmup, args.connections, args.tokens, args.rounds = 2, 1, 8, 200, 1

    ensure_wrk()
    if not args.no_build:
        log("building release ...")
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)

    tmp = tempfile.mkdtemp(prefix="kwik-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KWIK_")}
    env.update({"KWIK_DATA_DIR": tmp, "KWIK_LOG": "warn", "NO_COLOR": "1"})
    pg_admin = os.environ.get("DATABASE_URL", "")
    pg_db = None
    if pg_admin.startswith(("postgres://", "postgresql://")):
        pg_db = "kwik_bench_" + secrets.token_hex(4)
        subprocess.run(["psql", pg_admin, "-qc", f'CREATE DATABASE "{pg_db}"'], check=True)
        env["DATABASE_URL"] = re.sub(r"/[^/?]*(\?|$)", f"/{pg_db}\\1", pg_admin.split("://", 1)[1], count=1)
        env["DATABASE_URL"] = pg_admin.split("://", 1)[0] + "://" + env["DATABASE_URL"]
    else:
        env.pop("DATABASE_URL", None)
    backend = "postgres" if pg_db else "sqlite"

    def cli(*a, stdin=None):
        subprocess.run([BIN, *a], env=env, check=True, input=stdin, text=True, stdout=subprocess.DEVNULL)

    cli("user", "add", "--email", "bench@kwik.test", "--merchant", "Bench Merchant", "--role", "admin",
        "--password-stdin", stdin=PASSWORD + "\n")
    cli("seed", "--merchant", "Bench Merchant", "--tokens-per-merchant", str(args.tokens - 1))
    # The rate limiter stays on and counts every request (shared by the instances on Postgres), but
    # the limit is above what this machine can send, so it measures the limiter's cost, not refusals.
    cli("merchant", "set-rate-limit", "--merchant", "Bench Merchant", "--per-second", "1000000")

    port = free_port()
    env["KWIK_BIND"] = f"127.0.0.1:{port}"
    cpus = os.cpu_count() or 1
    server_cmd = [BIN, "serve"]
    wrk_cpu = None
    if cpus >= 2 and shutil.which("taskset"):
        server_cmd = ["taskset", "-c", f"0-{cpus - 2}"] + server_cmd
        wrk_cpu = cpus - 1
    started = time.perf_counter()
    server = subprocess.Popen(server_cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    startup_ms = (time.perf_counter() - started) * 1000 if wait_ready(port) else None
    if startup_ms is None:
        server.kill()
        sys.exit("error: the server did not start:\n" + server.stderr.read().decode())

    results = {}
    try:
        admin = Client(port)
        assert admin.login("bench@kwik.test") == 303, "login failed"
        admin.get("/developers/access-tokens/new")
        status, page = admin.post_form("/developers/access-tokens", [
            ("name", "Bench token"), ("sections", "payments"), ("permission", "read_only")])
        key = re.search(rb'data-credential="api_key">([^<]+)<', page).group(1).decode()
        secret = re.search(rb'data-credential="api_secret">([^<]+)<', page).group(1).decode()
        status, listing = admin.get("/developers/access-tokens")
        rows = listing.count(b'<tr id="token-')
        assert rows == min(args.tokens, 50), f"list page shows {rows} tokens, expected 50 a page"

        # The list page as a browser asks for it (Chrome's Accept-Encoding): a page whose rows are
        # cached goes out gzipped, only the rows compressed. The plain page has its own row.
        browser = {"Cookie": admin.cookie, "Accept-Encoding": BROWSER_ENCODINGS}
        admin.request("GET", "/developers/access-tokens", headers=browser)
        status, zipped = admin.request("GET", "/developers/access-tokens", headers=browser)
        assert gzip.decompress(zipped).count(b'<tr id="token-') == rows, "the gzipped page differs"
        cookie_script = header_script(tmp, "cookie", browser)
        plain_script = header_script(tmp, "cookie-plain", {"Cookie": admin.cookie})
        basic = base64.b64encode(f"{key}:{secret}".encode()).decode()
        basic_script = header_script(tmp, "basic", {"Authorization": f"Basic {basic}"})

        # The machine is shared: its speed drifts by a third within a minute. So each scenario runs in
        # rounds, each right after its own /healthz run, and its ratio is the median of the rounds'
        # ratios. The server's CPU time per request is measured in the same runs: the steadiest figure.
        rounds = args.rounds
        round_secs = max(1, args.duration // rounds)
        ceiling_secs = max(1, round_secs // 2)

        def timed(p, proc, path, secs, script):
            before = cpu_seconds(proc.pid)
            r = wrk(p, path, secs, args.connections, script, wrk_cpu)
            r["cpu_us"] = (cpu_seconds(proc.pid) - before) * 1e6 / max(1, r["requests"])
            r["secs"] = secs
            return r

        def measure(name, path, script=None, warmup_script=None, secs=None, ceilings=True,
                    on=(port, server), n=None, warmup_secs=None, paused=None):
            """Warm-up, then `n` (or `rounds`) measured runs on server `on` (`script(i)` when a
            function), each after a /healthz run when `ceilings` (with `paused` set meanwhile, when
            given); with its peak RSS. Without ceilings, the runs are their own ceiling (the /healthz
            row)."""
            (p, proc), secs, n = on, secs or round_secs, n or rounds
            script_of = script if callable(script) else (lambda i: script)
            warmup_secs = warmup_secs or args.warmup
            log(f"{name}: warm-up {warmup_secs}s, then {n} x {secs}s at {args.connections} connections")
            wrk(p, path, warmup_secs, args.connections, warmup_script or script_of(None), wrk_cpu)
            reset_peak(proc.pid)
            runs, tops = [], []
            for i in range(n):
                if ceilings and paused:
                    paused.set()
                    time.sleep(0.5)  # what is in flight finishes
                if ceilings:
                    tops.append(timed(p, proc, "/healthz", ceiling_secs, None))
                if ceilings and paused:
                    paused.clear()
                    time.sleep(0.5)
                runs.append(timed(p, proc, path, secs, script_of(i)))
            results[name] = summary(runs, tops or runs, proc)
            results[name]["rounds"] = f"{n} x {secs}s"
            return results[name]

        measure("healthz", "/healthz", ceilings=False)
        measure("list page", "/developers/access-tokens", cookie_script)
        measure("list page, no Accept-Encoding", "/developers/access-tokens", plain_script)
        basic_r = measure("whoami Basic", "/api/v2/whoami", basic_script)
        # Each signature is used once, and the server remembers 450,000 at most here (its replay
        # memory holds 500,000), so the signed warm-up and rounds are 1 s each, and as many rounds as
        # that many signatures last at 1.5x the Basic rate (never a reused one).
        rate = basic_r["rps"] * 1.5 + 1000
        per_round = int(rate)
        signed_rounds = max(1, min(rounds, 450_000 // per_round - 1))
        signed = [signed_script(tmp, key, secret, per_round, f"round{i}", (i + 1) * per_round)
                  for i in range(signed_rounds)]
        measure("whoami signed", "/api/v2/whoami", lambda i: signed[i],
                signed_script(tmp, key, secret, per_round, "warmup", 0), secs=1, n=signed_rounds,
                warmup_secs=1)

        # The storm's ceiling is the same machine without it: /healthz runs with the storm paused.
        stop, logins, paused = threading.Event(), [], threading.Event()
        storm = threading.Thread(target=login_storm, args=(port, stop, 20, logins, paused))
        storm.start()
        time.sleep(1)
        try:
            measure("list page + 20 logins/s", "/developers/access-tokens", cookie_script,
                    paused=paused)
        finally:
            stop.set()
            paused.clear()
            storm.join()
        results["list page + 20 logins/s"]["logins"] = logins
        final_rss = rss_now_mb(server.pid)

        # The list page's cost without reusing rendered rows: a second server on the same database
        # with the caches off (KWIK_TOKEN_CACHE_TTL_MS=0), so every request reads and renders its page.
        cold_port = free_port()
        cold_env = {**env, "KWIK_BIND": f"127.0.0.1:{cold_port}", "KWIK_TOKEN_CACHE_TTL_MS": "0"}
        cold_cmd = server_cmd[:]
        cold = subprocess.Popen(cold_cmd, env=cold_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(cold_port)
            viewer = Client(cold_port)
            assert viewer.login("bench@kwik.test") == 303, "login failed (cold server)"
            cold_script = header_script(tmp, "cookie-cold", {"Cookie": viewer.cookie,
                                                             "Accept-Encoding": BROWSER_ENCODINGS})
            wrk(cold_port, "/healthz", args.warmup, args.connections, None, wrk_cpu)
            measure("list page, caches off", "/developers/access-tokens", cold_script,
                    on=(cold_port, cold))
        finally:
            stop_server(cold)

        if pg_db:
            fleet_scenarios(results, tmp, env, server_cmd, (port, server), key, secret, basic_script,
                            args, rounds, round_secs, ceiling_secs, rate, wrk_cpu)
    finally:
        stop_server(server)
        if pg_db:
            subprocess.run(["psql", pg_admin, "-qc", f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)'], check=False)
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nkwik-dashboard bench: {backend}, {args.tokens} tokens, {args.connections} connections, "
          f"{args.duration}s per scenario, {cpus} CPUs (server on {cpus - 1 if wrk_cpu is not None else cpus}, wrk on 1)")
    print(f"start-up to first 200 on /healthz (migrations applied): {startup_ms:.0f} ms\n")
    print(f"server RSS after every scenario (replay memory of the signed run included): {final_rss:.1f} MB\n")
    print(f"Each scenario ran in rounds (its own column), each right after {ceiling_secs}s of /healthz on the same "
          "server (the storm's with the logins paused). requests/s is over all rounds; p50, p99 and both "
          "ratios are the rounds' medians. ratio = requests/s against the adjacent /healthz run; CPU ratio = "
          "server CPU time per /healthz request over that per scenario request (the steadiest figure on a "
          "shared machine). The adjacent /healthz p99 shows how noisy the machine was just then.\n")
    print("| scenario | rounds | requests/s | p50 ms | p99 ms | worst round p99 ms | ratio to /healthz | CPU us/request "
          "| CPU ratio | its /healthz req/s | its /healthz p99 ms | peak RSS MB (during it) | non-2xx |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['rounds']} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['p99_worst']:.2f} | "
              f"{r['ratio']:.1%} | {r['cpu_us']:.1f} | {r['cpu_ratio']:.1%} | {r['ceiling']:.0f} | "
              f"{r['ceiling_p99']:.2f} | {r['rss']:.1f} | {r['non2xx']} |")
    logins = results["list page + 20 logins/s"]["logins"]
    ok = sum(1 for s in logins if s == 303)
    idle_p99 = results["list page"]["p99"]
    storm_p99 = results["list page + 20 logins/s"]["p99"]
    print(f"\nlogin storm: {ok}/{len(logins)} logins succeeded; list p99 {storm_p99:.2f} ms vs idle "
          f"{idle_p99:.2f} ms ({storm_p99 / idle_p99:.2f}x)")
    if args.smoke:
        # Never a timing: only that every scenario ran and answered without errors.
        bad = [name for name, r in results.items() if r["rps"] <= 0 or r["non2xx"] or r["socket_errors"]]
        if bad or ok != len(logins) or not logins:
            sys.exit(f"bench smoke: failing scenarios {bad}, logins {ok}/{len(logins)}")
        print("bench smoke: every scenario answered without errors")
    json.dump({"backend": backend, "startup_ms": startup_ms, "results": {
        k: {kk: vv for kk, vv in v.items() if kk != "logins"} for k, v in results.items()},
        "logins_ok": ok, "logins": len(logins)}, open(os.path.join(ROOT, "target", "bench-last.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
