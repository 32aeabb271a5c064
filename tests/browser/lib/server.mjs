// Starts the release build of the dashboard on a free port with a fresh temp data folder, adds the
// users the flows need through the real CLI, and stops it all afterwards.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const binary = process.env.KWIK_BINARY ?? join(repoRoot, "target", "release", "kwik-dashboard");

function freePort() {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
}

async function waitForHealth(base, child, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited early with code ${child.exitCode}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not answer ${base}/healthz within ${timeoutMs} ms`);
}

/** A running dashboard: `base` URL, the first-run admin, `addUser()`, and `stop()`. `options.env` adds
 * or overrides environment variables. */
export async function startServer(options = {}) {
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: run \`cargo build --release\` in ${repoRoot} first (run.sh does)`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), "kwik-browser-"));
  const port = await freePort();
  const env = {
    ...process.env,
    KWIK_DATA_DIR: dataDir,
    KWIK_BIND: `127.0.0.1:${port}`,
    KWIK_COOKIE_SECURE: "false",
    // Cheap password hashing: the suite logs in many times; production keeps the OWASP defaults.
    KWIK_ARGON2_MEMORY_KIB: "256",
    KWIK_ARGON2_ITERATIONS: "1",
    KWIK_LOG: process.env.KWIK_LOG ?? "warn",
    // Support staff sign in with a password alone here; the two-factor flows turn it on themselves
    // (a merchant's policy, or `options.env`).
    KWIK_SUPPORT_REQUIRE_2FA: "false",
    NO_COLOR: "1",
    ...(options.env ?? {}),
  };
  delete env.DATABASE_URL;
  delete env.KWIK_SESSION_KEY;

  // The temp folder as working directory keeps a developer's `.env` out of the run.
  const child = spawn(binary, ["serve"], { cwd: dataDir, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => { stdout += d; });
  child.stderr.on("data", (d) => { stderr += d; if (process.env.KWIK_SERVER_LOG) process.stderr.write(d); });
  // A server that dies mid-run otherwise shows only as "connection refused" in every later flow: say
  // how it ended (a signal from outside, or its own exit) and what it logged.
  let stopping = false;
  child.once("exit", (code, signal) => {
    if (stopping) return;
    process.stderr.write(`\nkwik-dashboard (pid ${child.pid}) on port ${port} exited during the run: ` +
      `${signal ? `killed by ${signal}` : `exit code ${code}`}\nits stderr:\n${stderr.slice(-4000)}\n`);
  });

  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(base, child);
  } catch (e) {
    stopping = true;
    child.kill("SIGTERM");
    throw new Error(`${e.message}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  }

  // On an empty database `serve` prints the first admin's credentials once, for a person to read.
  const email = /^\s*Email\s+(\S+)\s*$/m.exec(stdout)?.[1];
  const password = /^\s*Password\s+(\S+)\s*$/m.exec(stdout)?.[1];
  if (!email || !password) {
    stopping = true;
    child.kill("SIGTERM");
    throw new Error(`no first-run admin in the server's output:\n${stdout}`);
  }

  return {
    base,
    admin: { email, password },
    /** Where mail goes as `.eml` files: this server has no SMTP server. */
    mailDir: join(dataDir, "mail"),
    /** Adds a user with the CLI, as an operator would; returns its credentials. */
    addUser({ email, merchant, role = "admin" }) {
      const password = `browser-suite-${role}-password`;
      const args = ["user", "add", "--email", email, "--role", role, "--password-stdin"];
      if (merchant) args.push("--merchant", merchant);
      const run = spawnSync(binary, args, { cwd: dataDir, env, input: `${password}\n`, encoding: "utf8" });
      if (run.status !== 0) throw new Error(`user add ${email} failed: ${run.stderr}`);
      return { email, password };
    },
    async stop() {
      stopping = true;
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
    log: () => stderr,
  };
}
