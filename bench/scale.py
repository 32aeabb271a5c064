"""The scale scenario (`python3 bench/run.py --scale`): the dashboard over a million tokens.

Seeds 10,000 merchants of 100 tokens (1,000,000; `kwik-dashboard seed`, which also writes a random
sample of the live tokens' credentials for this run only), plus one merchant of 10,000 tokens whose
admin signs in. The server runs with its caches off (KWIK_TOKEN_CACHE_TTL_MS=0), so every page is
read and rendered and every key is looked up. Then, in rounds, each right after its own /healthz run:
the big merchant's list page 1, a search, a filter with a sort, page 20, and whoami Basic over keys
drawn at random from the sample (a key is seldom asked twice within a second). Reports p50/p99, the
ratios to /healthz and the server's peak RSS; the targets are printed beside them, never asserted.

Postgres when DATABASE_URL names a server (the scenario the issue asks for), else SQLite.
Smoke mode (CI): 20 merchants of 50 tokens and one of 500, one short round, failing only on errors.
"""
import base64, json, os, shutil, sqlite3, subprocess, sys, tempfile, time

from kwikbench import (BIN, BROWSER_ENCODINGS, PASSWORD, ROOT, Client, bench_env, cpu_seconds,
                       drop_database, free_port, header_script, log, reset_peak, stop_server, summary,
                       wait_ready, wrk)

VIEWS = [
    ("list page 1", "/developers/access-tokens"),
    ("search", "/developers/access-tokens?q=integration+77"),
    ("filter + sort", "/developers/access-tokens?status=live&permission=read_only&sort=name&dir=asc"),
    ("page 20", "/developers/access-tokens?page=20"),
]
WHOAMI = "whoami Basic, random keys"


def random_keys_script(tmp, sample_file, limit):
    """A wrk script sending each request with a Basic header drawn at random from the sample."""
    headers = os.path.join(tmp, "basic-headers.txt")
    with open(sample_file) as src, open(headers, "w") as out:
        for i, line in enumerate(src):
            if i >= limit:
                break
            out.write("Basic " + base64.b64encode(line.strip().encode()).decode() + "\n")
    script = os.path.join(tmp, "random-keys.lua")
    with open(script, "w") as f:
        f.write(f'''
local items = {{}}
for line in io.lines("{headers}") do items[#items + 1] = line end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v2/whoami", {{["Authorization"] = items[math.random(#items)]}})
end
''')
    return script


def main(args):
    if args.smoke:
        merchants, per, big, sample, secs, rounds, conns = 20, 50, 500, 200, 1, 1, 8
    else:
        merchants, per, big, sample = args.scale_merchants, 100, args.scale_big, 20_000
        secs, rounds, conns = max(1, args.duration // args.rounds), args.rounds, args.connections
    tmp = tempfile.mkdtemp(prefix="kwik-scale-")
    env, pg_admin, pg_db = bench_env(tmp)
    backend = "postgres" if pg_db else "sqlite"
    results, timings = {}, {}
    server = None
    try:
        def cli(*a, stdin=None):
            started = time.perf_counter()
            subprocess.run([BIN, *a], env=env, check=True, input=stdin, text=True, stdout=subprocess.DEVNULL)
            return time.perf_counter() - started

        sample_file = os.path.join(tmp, "sample.txt")
        log(f"seeding {merchants * per:,} tokens over {merchants:,} merchants ...")
        timings["seed"] = cli("seed", "--merchants", str(merchants), "--tokens-per-merchant", str(per),
                              "--sample-credentials", sample_file, "--sample", str(sample))
        cli("user", "add", "--email", "big@kwik.test", "--merchant", "Big Merchant", "--role", "admin",
            "--password-stdin", stdin=PASSWORD + "\n")
        log(f"seeding {big:,} tokens into the big merchant ...")
        timings["seed big"] = cli("seed", "--merchant", "Big Merchant", "--tokens-per-merchant", str(big))
        # The limiter stays on and counts every request. At scale each sampled key is asked about once
        # in a few seconds, far below its limit; in smoke mode a few hundred keys share the whole
        # load, so their merchants' limits are raised (this measures lookups, not refusals).
        raise_limits = "UPDATE merchants SET rate_limit = 1000000"
        if pg_db:
            if args.smoke:
                subprocess.run(["psql", env["DATABASE_URL"], "-qc", raise_limits], check=True)
            subprocess.run(["psql", env["DATABASE_URL"], "-qc", "VACUUM ANALYZE"], check=True)
        elif args.smoke:
            with sqlite3.connect(os.path.join(tmp, "kwik.db")) as db:
                db.execute(raise_limits)

        port = free_port()
        cpus = os.cpu_count() or 1
        cmd, wrk_cpu = [BIN, "serve"], None
        if cpus >= 2 and shutil.which("taskset"):
            cmd, wrk_cpu = ["taskset", "-c", f"0-{cpus - 2}"] + cmd, cpus - 1
        server = subprocess.Popen(cmd, env={**env, "KWIK_BIND": f"127.0.0.1:{port}", "KWIK_TOKEN_CACHE_TTL_MS": "0"},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_ready(port, tries=20_000):
            sys.exit("error: the server did not start")
        admin = Client(port)
        assert admin.login("big@kwik.test") == 303, "login failed"
        status, page = admin.get("/developers/access-tokens")
        assert status == 200 and page.count(b'<tr id="token-') == 50, "the big merchant's page 1"
        browser = header_script(tmp, "cookie", {"Cookie": admin.cookie, "Accept-Encoding": BROWSER_ENCODINGS})
        keys = random_keys_script(tmp, sample_file, sample)

        def timed(path, seconds, script):
            before = cpu_seconds(server.pid)
            r = wrk(port, path, seconds, conns, script, wrk_cpu)
            r["cpu_us"] = (cpu_seconds(server.pid) - before) * 1e6 / max(1, r["requests"])
            r["secs"] = seconds
            return r

        reset_peak(server.pid)
        for name, path, script in [*[(n, p, browser) for n, p in VIEWS], (WHOAMI, "/api/v2/whoami", keys)]:
            log(f"{name}: warm-up, then {rounds} x {secs}s at {conns} connections")
            wrk(port, path, 1, conns, script, wrk_cpu)
            runs, tops = [], []
            for _ in range(rounds):
                tops.append(timed("/healthz", max(1, secs // 2), None))
                runs.append(timed(path, secs, script))
            results[name] = summary(runs, tops, server)
    finally:
        if server:
            stop_server(server)
        drop_database(pg_admin, pg_db)
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nkwik-dashboard scale: {backend}, {merchants * per:,} tokens over {merchants:,} merchants "
          f"+ one merchant of {big:,}; caches off; {conns} connections, {rounds} x {secs}s a scenario")
    print(f"seeding took {timings['seed']:.0f} s (+{timings['seed big']:.0f} s for the big merchant)\n")
    print("| scenario | requests/s | p50 ms | p99 ms | ratio to /healthz | CPU us/request | CPU ratio "
          "| peak RSS MB | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['ratio']:.1%} | "
              f"{r['cpu_us']:.0f} | {r['cpu_ratio']:.1%} | {r['rss']:.1f} | {r['non2xx']} |")
    first = results["list page 1"]["p99"]
    print("\ntargets (not asserted): list p99 < 20 ms, verify p99 < 3 ms, views within 2x of page 1, RSS < 60 MB")
    for name, _ in VIEWS[1:]:
        print(f"  {name}: p99 {results[name]['p99'] / first:.2f}x page 1")
    print(f"  list p99 {first:.2f} ms; whoami p99 {results[WHOAMI]['p99']:.2f} ms; "
          f"peak RSS {max(r['rss'] for r in results.values()):.1f} MB")
    json.dump({"backend": backend, "results": results},
              open(os.path.join(ROOT, "target", "bench-scale-last.json"), "w"), indent=2)
    if args.smoke:
        bad = [name for name, r in results.items() if r["rps"] <= 0 or r["non2xx"] or r["socket_errors"]]
        if bad:
            sys.exit(f"scale smoke: failing scenarios {bad}")
        print("scale smoke: every scenario answered without errors")
