#!/usr/bin/env python3
"""Benchmarks the dashboard against its own ceiling, in one run.

Builds release, starts the server on a fresh database (SQLite, or Postgres when DATABASE_URL names a
server: a fresh database is created there and dropped afterwards), seeds one merchant with 1,000 tokens
and a logged-in session, then loads it with wrk (64 connections, after a warm-up; wrk pinned to another
CPU than the server with taskset). Each scenario runs in rounds, each right after its own GET /healthz
run, and is reported as the median of its ratios to those, because the machine is shared and noisy.

On Postgres it also runs two instances on the one database at once (the fleet: shared replay store,
rate-limit counts and change channel) and reports whoami Basic and signed against both instances'
/healthz; then, when a Redis answers at --redis, signed whoami with the replay store in Redis
(KWIK_REDIS_URL), on one instance and on two.

Usage: python3 bench/run.py [--duration 12] [--rounds 3] [--connections 64] [--no-build] [--smoke]
       python3 bench/run.py --scale [--scale-merchants 10000] [--scale-big 10000] [...]: see scale.py
"""
import argparse, base64, gzip, json, os, re, shutil, subprocess, sys, tempfile, threading, time

from kwikbench import (BIN, BROWSER_ENCODINGS, bench_env, drop_database, PASSWORD, ROOT, Client, cpu_seconds, ensure_wrk,
                       free_port, header_script, log, reset_peak, rss_now_mb, signed_script,
                       stop_server, summary, wait_ready, wrk, wrk_each, login_storm)


def fleet_scenarios(results, tmp, env, server_cmd, first, key, secret, basic_script, args, rounds,
                    round_secs, ceiling_secs, rate, wrk_cpu, label="2 instances", with_basic=True,
                    offset=10_000_000):
    """Two instances on the one Postgres, loaded at once: the replay store, the rate-limit counts and
    the change channel shared, as a fleet runs. Each round: /healthz on both, then the scenario on
    both; the ratio is the pair's requests against the pair's /healthz. The second instance runs
    with `env`; signatures are numbered from `offset`, so that no run reuses another's."""
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

        if with_basic:
            measure_both(f"{label}: whoami Basic", "/api/v2/whoami", lambda i: [basic_script] * 2,
                         round_secs, rounds, [basic_script] * 2, args.warmup)
        # Every signature once, across both instances: each gets its own, never another's.
        per = int(rate)
        signed = [[signed_script(tmp, key, secret, per, f"fleet{offset}-{i}-{j}", offset + (2 * i + j + 2) * per)
                   for j in range(2)] for i in range(rounds)]
        warm = [signed_script(tmp, key, secret, per, f"fleetwarm{offset}-{j}", offset + j * per) for j in range(2)]
        measure_both(f"{label}: whoami signed", "/api/v2/whoami", lambda i: signed[i], 1, rounds, warm, 1)
    finally:
        stop_server(second)


def redis_answers(url):
    """Whether a Redis answers PING at `url` (redis://host[:port][/db], no password), within 2 s."""
    import socket
    hostport = url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    host, _, port = hostport.partition(":")
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


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
    ap.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"),
                    help="on Postgres, also measure the replay store in this Redis (skipped if none answers)")
    ap.add_argument("--scale", action="store_true",
                    help="the scale scenario instead (bench/scale.py): a million tokens, caches off")
    ap.add_argument("--scale-merchants", type=int, default=10_000, help="--scale: merchants of 100 tokens")
    ap.add_argument("--scale-big", type=int, default=10_000, help="--scale: tokens of the big merchant")
    args = ap.parse_args()

    ensure_wrk()
    if not args.no_build:
        log("building release ...")
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    if args.scale:
        import scale
        return scale.main(args)
    if args.smoke:
        args.duration, args.warmup, args.connections, args.tokens, args.rounds = 2, 1, 8, 200, 1

    tmp = tempfile.mkdtemp(prefix="kwik-bench-")
    env, pg_admin, pg_db = bench_env(tmp)
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
        # The replay store in Redis instead of the database (KWIK_REDIS_URL): one instance, then two.
        redis_url = args.redis if pg_db and redis_answers(args.redis) else None
        if pg_db and not redis_url:
            log(f"no Redis answers at {args.redis}: its scenarios are skipped")
        if redis_url:
            redis_env = {**env, "KWIK_REDIS_URL": redis_url}
            redis_port = free_port()
            on_redis = subprocess.Popen(server_cmd, env={**redis_env, "KWIK_BIND": f"127.0.0.1:{redis_port}"},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                if not wait_ready(redis_port):
                    sys.exit("error: the server on Redis did not start")
                signed_redis = [signed_script(tmp, key, secret, per_round, f"redis{i}", 30_000_000 + (i + 1) * per_round)
                                for i in range(signed_rounds)]
                measure("whoami signed, replays in Redis", "/api/v2/whoami", lambda i: signed_redis[i],
                        signed_script(tmp, key, secret, per_round, "redis-warmup", 30_000_000), secs=1,
                        n=signed_rounds, warmup_secs=1, on=(redis_port, on_redis))
                fleet_scenarios(results, tmp, redis_env, server_cmd, (redis_port, on_redis), key, secret,
                                basic_script, args, rounds, round_secs, ceiling_secs, rate, wrk_cpu,
                                label="2 instances, replays in Redis", with_basic=False, offset=40_000_000)
            finally:
                stop_server(on_redis)
    finally:
        stop_server(server)
        if pg_db:
            drop_database(pg_admin, pg_db)
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
