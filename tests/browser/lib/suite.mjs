// What every suite file sets up the same way: its own server and Chromium, started before its tests and
// stopped after them, then its quality-gate report printed; and fresh sessions on that server.
import { after, before } from "node:test";
import { launch, newSession } from "./browser.mjs";
import { printReport } from "./report.mjs";
import { startServer } from "./server.mjs";

/**
 * Registers the before/after hooks of the suite file whose report is `name` (artifacts/report-<name>.json).
 * What it returns is read inside the tests, once `before` has run: `server` (see startServer), `browser`,
 * `session(options)` and `inSession(options, flow)`. `serverOptions` go to startServer.
 */
export function useSuite(name, serverOptions = {}) {
  let server;
  let browser;

  before(async () => {
    server = await startServer(serverOptions);
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    printReport(name);
  });

  const session = (options) => newSession(browser, server.base, options);
  return {
    get server() { return server; },
    get browser() { return browser; },
    /** A fresh session (its own cookies) on this suite's server; `options` go to `browser.newContext`. */
    session,
    /** Runs `flow(session)` in a fresh session and closes it however the flow ends; `options` may be left out. */
    async inSession(options, flow) {
      if (typeof options === "function") [options, flow] = [{}, options];
      const s = await session(options);
      try {
        return await flow(s);
      } finally {
        await s.close();
      }
    },
  };
}
