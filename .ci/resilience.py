#!/usr/bin/env python3
"""SQL injection and secrets checks against the real release binary, on SQLite and on Postgres.

For each backend it starts `target/release/kwik-dashboard` on a fresh database, signs in as an admin
and as a support user, creates tokens through the real Create form (each reveals its API_KEY,
API_SECRET and PUBLIC_KEY once) and proves every credential authenticates with Basic. Then:

1. sqlmap (from PyPI) at level 3 and risk 2 against every query parameter of the signed-in list
   page, the history filters, the support search (as support) and the login form (its CSRF token
   refreshed for each request, X-Forwarded-For varied so the per-address throttle does not answer
   every probe the same). Any injectable parameter fails the run.
2. After the server stops: its log, every file of its data directory (the SQLite database and its
   WAL) and, on Postgres, a `pg_dump` of its database are scanned for every secret the run revealed
   or chose (API_KEY, API_SECRET, its random part, the Basic header, the passwords). Any hit fails
   the run. The scanner is first shown a planted secret, so it is known to find one.
3. The server's log must hold no ERROR line and no panic: sqlmap's thousands of probes are bad
   input, which gets a 4xx or the page, never a 500.

    python3 .ci/resilience.py            # both backends (the login form on Postgres only)
    python3 .ci/resilience.py --full     # the login form on SQLite too
    python3 .ci/resilience.py --sqlite   # SQLite only, login form included
    KWIK_SQLMAP_LEVEL=5 KWIK_SQLMAP_RISK=3 python3 .ci/resilience.py   # longer

Needs the release binary (`cargo build --release --locked`); installs sqlmap into target/sqlmap-venv.
"""

import argparse
import base64
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = Path(os.environ.get("KWIK_BINARY", ROOT / "target" / "release" / "kwik-dashboard"))
VENV = ROOT / "target" / "sqlmap-venv"
PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
LEVEL = os.environ.get("KWIK_SQLMAP_LEVEL", "3")
RISK = os.environ.get("KWIK_SQLMAP_RISK", "2")
ADMIN = ("ana@acme.test", "Correct-Horse-Battery-9")
SUPPORT = ("sam@kwik.test", "Staple-Lantern-Orbit-42")
LIST = "/developers/access-tokens"


def sqlmap() -> Path:
    """The sqlmap entry point, installed from PyPI into a venv of its own the first time."""
    exe = VENV / "bin" / "sqlmap"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "--quiet", "sqlmap==1.10.10"], check=True
        )
    return exe


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The release binary on a database of its own, its log in a file."""

    def __init__(self, data_dir: Path, database_url: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        self.env = {
            "PATH": os.environ["PATH"],
            "KWIK_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "KWIK_BIND": f"127.0.0.1:{self.port}",
            "KWIK_MASTER_KEY": base64.b64encode(bytes([11] * 32)).decode(),
            "KWIK_SESSION_KEY": base64.b64encode(bytes([13] * 64)).decode(),
            # sqlmap's login probes come through 'a proxy' so the per-address throttle sees many.
            "KWIK_TRUSTED_PROXIES": "127.0.0.1/32",
            # The support user signs in with a password alone: what is tested is the search.
            "KWIK_SUPPORT_REQUIRE_2FA": "false",
            "NO_COLOR": "1",
            # An access line a request, to count what sqlmap sent.
            "KWIK_LOG": "info,actix_server=warn,kwik_dashboard::access=info",
        }
        self.proc = None

    def cli(self, *args: str, stdin: str = "") -> str:
        done = subprocess.run(
            [str(BINARY), *args], env=self.env, input=stdin, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SystemExit(f"kwik-dashboard {' '.join(args)} failed: {done.stderr}")
        return done.stdout + done.stderr

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(BINARY)], env=self.env, stdout=log, stderr=log)
        for _ in range(300):
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited at start:\n{self.log()}")
            time.sleep(0.1)
        raise SystemExit(f"the server did not become ready:\n{self.log()}")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        if code != 0:
            raise SystemExit(f"the server exited {code} on SIGTERM:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A signed-in browser, as far as the server can tell: its cookies, Origin and CSRF token."""

    def __init__(self, server: Server):
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )

    def request(self, method: str, path: str, fields=None, headers=None):
        data = urllib.parse.urlencode(fields, doseq=True).encode() if fields is not None else None
        req = urllib.request.Request(self.server.base + path, data=data, method=method)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        if method == "POST":
            req.add_header("Origin", self.server.base)
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, r.read().decode(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace"), dict(e.headers)

    def csrf(self, body: str) -> str:
        m = re.search(r'name="csrf_token" value="([^"]+)"', body)
        if not m:
            raise SystemExit("no csrf_token in the page")
        return m.group(1)

    def login(self, email: str, password: str):
        _, body, _ = self.request("GET", "/login")
        fields = {"csrf_token": self.csrf(body), "email": email, "password": password, "next": ""}
        status, body, _ = self.request("POST", "/login", fields)
        if status != 303:
            raise SystemExit(f"sign-in of {email} answered {status}:\n{body[:2000]}")

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def create_token(self, name: str, sections, permission: str) -> dict:
        _, form, _ = self.request("GET", LIST + "/new")
        submission = re.search(r'name="submission_id" value="([^"]+)"', form).group(1)
        fields = [("csrf_token", self.csrf(form)), ("name", name), ("permission", permission)]
        fields += [("sections", s) for s in sections] + [("submission_id", submission)]
        status, body, _ = self.request("POST", LIST, fields)
        if status != 200:
            raise SystemExit(f"create {name!r} answered {status}:\n{body[:2000]}")
        found = {}
        for which in ("api_key", "api_secret", "public_key"):
            m = re.search(rf'data-credential="{which}">([^<]*)<', body)
            if not m:
                raise SystemExit(f"no {which} in the reveal of {name!r}")
            found[which] = m.group(1)
        return found


def authenticates(server: Server, creds: dict) -> bool:
    basic = base64.b64encode(f"{creds['api_key']}:{creds['api_secret']}".encode()).decode()
    req = urllib.request.Request(server.base + "/api/v2/whoami")
    req.add_header("Authorization", "Basic " + basic)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status == 200
    except urllib.error.HTTPError:
        return False


def run_sqlmap(label: str, args, out_dir: Path, dbms: str, threads: int = 4) -> int:
    """Runs one sqlmap target; how many injectable parameters it reports."""
    only = os.environ.get("KWIK_SQLMAP_ONLY")
    if only and only not in label:
        return 0
    cmd = [
        str(sqlmap()),
        "--batch",
        "--disable-coloring",
        "--flush-session",
        f"--output-dir={out_dir}",
        f"--level={LEVEL}",
        f"--risk={RISK}",
        f"--dbms={dbms}",
        f"--threads={threads}",
        *args,
    ]
    started = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True)
    took = time.monotonic() - started
    output = done.stdout + done.stderr
    injectable = len(re.findall(r"^Parameter: ", output, re.M))
    (ROOT / "target" / "resilience").mkdir(parents=True, exist_ok=True)
    (ROOT / "target" / "resilience" / f"sqlmap-{dbms}-{label.replace(' ', '-')}.txt").write_text(output)
    tested = sorted(set(re.findall(
        r"(?:testing for SQL injection on|heuristic \(basic\) test shows that) (?:GET|POST) parameter '([^']+)'",
        output)))
    verdict = "not injectable" if "do not appear to be injectable" in output else "see output"
    print(f"  sqlmap {label}: {injectable} injectable, parameters {tested}, {verdict}, {took:.0f} s")
    if done.returncode != 0 or (injectable == 0 and verdict != "not injectable"):
        print(output[-4000:])
        raise SystemExit(f"sqlmap on {label} did not finish cleanly")
    if injectable:
        print(output)
    return injectable


def scan(needles, files) -> list:
    """Every (needle, file) where a secret occurs in a file's bytes."""
    hits = []
    for path in files:
        data = Path(path).read_bytes()
        for needle in needles:
            if needle.encode() in data:
                hits.append((needle[:12] + "…", str(path)))
    return hits


def needles_of(creds_list, passwords) -> list:
    out = list(passwords)
    for c in creds_list:
        secret = c["api_secret"]
        out += [
            c["api_key"],
            secret,
            secret.removeprefix("kwik_sk_"),
            base64.b64encode(f"{c['api_key']}:{secret}".encode()).decode(),
        ]
    return out


def exercise(backend: str, work: Path, login: bool) -> dict:
    data_dir = work / backend
    data_dir.mkdir()
    if backend == "postgres":
        name = f"kwik_resilience_{os.getpid()}"
        subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        database_url = f"postgres://postgres@127.0.0.1:5432/{name}"
        dbms = "PostgreSQL"
    else:
        database_url = str(data_dir / "kwik.db")
        dbms = "SQLite"
    server = Server(data_dir, database_url)
    server.cli("user", "add", "--email", ADMIN[0], "--merchant", "Acme", "--role", "admin",
               "--password-stdin", stdin=ADMIN[1])
    server.cli("user", "add", "--email", SUPPORT[0], "--role", "support", "--password-stdin",
               stdin=SUPPORT[1])
    server.start()
    admin = Browser(server)
    admin.login(*ADMIN)
    revealed = [
        admin.create_token(f"Integration {n}", ["payments", "orders"][: 1 + n % 2],
                           ["read_only", "read_write"][n % 2])
        for n in range(1, 6)
    ]
    working = sum(authenticates(server, c) for c in revealed)
    if working != len(revealed):
        raise SystemExit(f"{len(revealed) - working} revealed credentials do not authenticate")
    print(f"{backend}: {len(revealed)} tokens created, each authenticates with Basic")

    support = Browser(server)
    support.login(*SUPPORT)
    out = work / f"sqlmap-{backend}"
    base = server.base
    # Each target is its page, not a way to another (sqlmap would test the wrong page).
    for who, path in [(admin, LIST), (admin, "/settings/history"), (support, "/support")]:
        status, _, _ = who.request("GET", path)
        if status != 200:
            raise SystemExit(f"{path} answered {status} before sqlmap; it must be the page itself")
    injectable = 0
    injectable += run_sqlmap(
        "list page",
        ["-u", f"{base}{LIST}?q=Integration&status=live&section=payments&permission=read_only"
         "&expiry=soon&sort=name&dir=asc&per=25&page=1",
         f"--cookie={admin.cookie_header()}", "-p", "q,status,section,permission,expiry,sort,dir,per,page"],
        out, dbms)
    injectable += run_sqlmap(
        "history filters",
        ["-u", f"{base}/settings/history?event=token.created&token=1&actor=1"
         "&from=2026-01-01&to=2036-12-31&page=1",
         f"--cookie={admin.cookie_header()}", "-p", "event,token,actor,from,to,page"],
        out, dbms)
    injectable += run_sqlmap(
        "support search",
        ["-u", f"{base}/support?q=Integration&filter=leaks",
         f"--cookie={support.cookie_header()}", "-p", "q,filter"],
        out, dbms)
    injectable += login and run_sqlmap(
        "login form",
        ["-u", f"{base}/login", "--data=csrf_token=x&next=%2Fsettings%2Fhistory&email=ana%40acme.test&password=guess",
         # A wrong password is a 401; after 5 for one email, or 20 from one address, sign-in
         # answers 429 for 15 minutes, whatever is sent (the throttle is part of what is tested).
         "--ignore-code=401,429", "--csrf-retries=3",
         "--csrf-token=csrf_token", f"--csrf-url={base}/login", f"--headers=Origin: {base}",
         "--tamper=xforwardedfor", "-p", "email,password,next"],
        # sqlmap refreshes a CSRF token on one thread only.
        out, dbms, threads=1)
    # The sessions still work: sqlmap's probes did not sign anyone out or break the page.
    status, _, _ = admin.request("GET", LIST)
    if status != 200:
        raise SystemExit(f"the list page answered {status} after sqlmap")
    server.stop()

    log = server.log()
    errors = [l for l in log.splitlines()
              if " ERROR " in l or "panicked" in l or re.search(r"\bstatus=5\d\d\b", l)]
    if errors:
        raise SystemExit(f"{len(errors)} ERROR lines in the server log, e.g.:\n" + "\n".join(errors[:5]))
    files = [server.log_path] + [p for p in data_dir.rglob("*") if p.is_file()]
    if backend == "postgres":
        dump = work / "pg_dump.sql"
        subprocess.run(["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "-f", str(dump), name], check=True)
        files.append(dump)
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    needles = needles_of(revealed, [ADMIN[1], SUPPORT[1]])
    hits = scan(needles, files)
    size = sum(Path(f).stat().st_size for f in files)
    requests = sum(1 for l in log.splitlines() if "kwik_dashboard::access" in l)
    print(f"  {requests} requests answered, none with a 5xx or an ERROR line")
    print(f"  secrets scan: {len(needles)} secrets over {len(files)} files ({size // 1024} KiB), "
          f"{len(hits)} found")
    if hits:
        raise SystemExit(f"secrets found at rest: {hits}")
    return {"injectable": injectable, "revealed": len(revealed), "hits": len(hits)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true", help="SQLite only")
    parser.add_argument("--full", action="store_true",
                        help="the login form on both backends (CI: on the last one only; the "
                             "throttle's 429s make sqlmap back off, about 7 minutes a run)")
    args = parser.parse_args()
    if not BINARY.exists():
        raise SystemExit(f"{BINARY} is missing: cargo build --release --locked")
    with tempfile.TemporaryDirectory(prefix="kwik-resilience-") as tmp:
        work = Path(tmp)
        # The scanner can find a secret: shown one planted in a file, it must report it.
        planted = work / "planted"
        planted.write_bytes(b"prefix kwik_sk_PLANTEDplanted suffix")
        if not scan(["kwik_sk_PLANTEDplanted"], [planted]):
            raise SystemExit("the secrets scanner misses a planted secret")
        results = [exercise("sqlite", work, login=args.full or args.sqlite)]
        if not args.sqlite:
            results.append(exercise("postgres", work, login=True))
    injectable = sum(r["injectable"] for r in results)
    print(f"resilience: {injectable} injectable parameters, "
          f"{sum(r['hits'] for r in results)} secrets at rest, on {len(results)} backends")
    sys.exit(1 if injectable else 0)


if __name__ == "__main__":
    main()
