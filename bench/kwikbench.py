"""What the dashboard's benchmarks share: wrk runs and their parsing, a keep-alive client that signs
in, CPU and peak-RSS readings from /proc, wrk Lua scripts, and starting and stopping servers."""
import hashlib, hmac, http.client, os, re, secrets, shutil, socket, subprocess, sys, threading, time
import urllib.parse

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


def bench_env(tmp):
    """The server's environment for a run in `tmp`: SQLite there, or, when DATABASE_URL names a
    Postgres server, a fresh database on it. Returns (env, the admin URL, the database or None)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KWIK_")}
    env.update({"KWIK_DATA_DIR": tmp, "KWIK_LOG": "warn", "NO_COLOR": "1"})
    pg_admin = os.environ.get("DATABASE_URL", "")
    pg_db = None
    if pg_admin.startswith(("postgres://", "postgresql://")):
        pg_db = "kwik_bench_" + secrets.token_hex(4)
        subprocess.run(["psql", pg_admin, "-qc", f'CREATE DATABASE "{pg_db}"'], check=True)
        scheme, rest = pg_admin.split("://", 1)
        env["DATABASE_URL"] = scheme + "://" + re.sub(r"/[^/?]*(\?|$)", f"/{pg_db}\\1", rest, count=1)
    else:
        env.pop("DATABASE_URL", None)
    return env, pg_admin, pg_db


def drop_database(pg_admin, pg_db):
    if pg_db:
        subprocess.run(["psql", pg_admin, "-qc", f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)'], check=False)
