#!/usr/bin/env python3
"""Measures whether "Forgot password?" answers an email with an account as fast as one without.

Starts the release binary on a fresh SQLite database (its first-run admin is the known account), then
sends POST /forgot-password requests one at a time, each randomly for the known email or for a fresh
unknown one, interleaved so that the machine's noise falls on both alike, each from its own address
(X-Forwarded-For from a trusted proxy: the per-address limit stays out of the way). Reports the median
and p90 answer time of each, and the ratio of the medians (1.00: indistinguishable). Every answer must
be the same 303; nothing about timing is asserted.

Usage: python3 bench/forgot.py [--requests 600] [--smoke]
"""
import argparse, http.client, os, random, re, shutil, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "kwik-dashboard")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body, headers or {})
    res = conn.getresponse()
    data = res.read()
    conn.close()
    return res, data


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=600)
    ap.add_argument("--smoke", action="store_true", help="a few requests: the harness works (CI)")
    args = ap.parse_args()
    count = 40 if args.smoke else args.requests
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing: cargo build --release first")
    tmp = tempfile.mkdtemp(prefix="kwik-forgot-")
    port = free_port()
    env = dict(os.environ, KWIK_DATA_DIR=tmp, KWIK_BIND=f"127.0.0.1:{port}", KWIK_TRUSTED_PROXIES="127.0.0.1",
               KWIK_ARGON2_MEMORY_KIB="256", KWIK_ARGON2_ITERATIONS="1", KWIK_LOG="warn", KWIK_COOKIE_SECURE="false")
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen([BIN, "serve"], cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True)
    try:
        out = ""
        deadline = time.time() + 60
        while "Password" not in out and time.time() < deadline:
            out += server.stdout.readline()
        email = re.search(r"Email\s+(\S+)", out).group(1)
        # The first login is printed before the server listens: wait for the port, not the text.
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        res, page = request(port, "GET", "/forgot-password")
        cookie = res.getheader("Set-Cookie").split(";")[0]
        csrf = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        times = {"known": [], "unknown": []}
        answers = set()
        for i in range(count):
            kind = random.choice(["known", "unknown"])
            address = email if kind == "known" else f"nobody{i}@example.com"
            headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
                       "Origin": f"http://127.0.0.1:{port}", "X-Forwarded-For": f"10.{i // 62500}.{i // 250 % 250}.{i % 250}"}
            started = time.perf_counter()
            res, body = request(port, "POST", "/forgot-password", f"csrf_token={csrf}&email={address}", headers)
            times[kind].append((time.perf_counter() - started) * 1e6)
            answers.add((res.status, res.getheader("Location"), body))
        if len(answers) != 1:
            sys.exit(f"the answers differ: {answers}")
        for kind, values in times.items():
            values.sort()
            print(f"{kind:8} {len(values):4} requests  median {statistics.median(values):7.0f} µs"
                  f"  p90 {values[int(len(values) * 0.9)]:7.0f} µs")
        ratio = statistics.median(times["known"]) / statistics.median(times["unknown"])
        print(f"known/unknown, ratio of the medians: {ratio:.3f}  (one answer for all: {answers.pop()[:2]})")
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
