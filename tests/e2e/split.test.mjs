// The split build: dist/herogi.split.min.js fetches and compiles dist/herogi_bg.wasm at the first
// call, keeps the calls made meanwhile and runs them in order. The pages are written into a temporary folder
// that herogi-server serves after its usual ones, with a copy of the core under a name whose
// Content-Type is not application/wasm.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { after, before, test } from "node:test";
import { APP_ID, APP_SECRET, getProfile, root, server, startServer, useServerAndBrowser } from "./harness.mjs";
import { newPageInNewContext } from "./page-helpers.mjs";

/** A copy of the core that the server sends as application/octet-stream, by its extension. */
const WRONG_TYPE_CORE = "split-core-copy.bin";

let pagesDir;

/** Returns a page that loads the split script with the given extra attributes on its tag. */
function pageSource(scriptAttributes = "") {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><link rel="icon" href="data:,"><title>herogi split build</title></head>
<body>
<script src="/herogi.split.min.js"${scriptAttributes}></script>
</body>
</html>
`;
}

before(() => {
  pagesDir = mkdtempSync(join(tmpdir(), "herogi-split-"));
  writeFileSync(join(pagesDir, "split.html"), pageSource());
  writeFileSync(join(pagesDir, "split-wrong-type.html"), pageSource(` data-wasm="/${WRONG_TYPE_CORE}"`));
  writeFileSync(join(pagesDir, "split-missing.html"), pageSource(' data-wasm="/no-such-core.wasm"'));
  writeFileSync(join(pagesDir, "split-bad-url.html"), pageSource(' data-wasm="http://[::1"'));
  const preload = '<link rel="preload" href="/herogi_bg.wasm" as="fetch" crossorigin="anonymous">';
  writeFileSync(join(pagesDir, "split-preload.html"), pageSource().replace("</head>", `${preload}</head>`));
  copyFileSync(join(root, "dist/herogi_bg.wasm"), join(pagesDir, WRONG_TYPE_CORE));
});

// Registered after the hook above, so the server starts once the pages are written.
useServerAndBrowser({ start: () => startServer(["--static", pagesDir]) });

after(() => {
  if (pagesDir) rmSync(pagesDir, { recursive: true, force: true });
});

/**
 * Opens `path` in a new context. `routeCore`, when given, handles the requests for the core.
 * Returns the page, its console messages, the identify bodies it sent and the responses to its
 * requests for the core and the scripts.
 */
async function openPage(t, path, routeCore) {
  const { page: tab, messages, bodies } = await newPageInNewContext(t);
  const loads = [];
  tab.on("response", (response) => {
    const path = new URL(response.url()).pathname;
    if (/\.(wasm|bin|js)$/.test(path)) {
      loads.push({ path, status: response.status(), type: response.headers()["content-type"] });
    }
  });
  if (routeCore) await tab.route(/\.(wasm|bin)$/, routeCore);
  await tab.goto(server.url + path, { waitUntil: "domcontentloaded" });
  return { tab, messages, bodies, loads };
}

/** Calls init, then one identify, in the page; returns the outcome of the identify call. */
function initAndIdentify(tab, externalId, attributes) {
  return tab.evaluate(
    async ([appId, appSecret, id, user]) => {
      herogi.init(appId, appSecret, false, { apiUrl: location.origin });
      try {
        return { result: await herogi.identify(id, user) };
      } catch (error) {
        return { error: { name: error.name, code: error.code, message: error.message } };
      }
    },
    [APP_ID, APP_SECRET, externalId, attributes],
  );
}

test("split build identifies", async (t) => {
  const { tab, messages, loads } = await openPage(t, "/split.html");
  const { result, error } = await initAndIdentify(tab, "split-user", { firstname: "Split", city: "Oslo" });
  assert.equal(error, undefined, `identify rejected: ${JSON.stringify(error)}`);
  assert.deepEqual(result.dropped, []);
  assert.equal(typeof result.hgid, "string");
  assert.equal(await tab.evaluate(() => herogi.getHgid()), result.hgid);

  const profile = await getProfile(server.url, result.hgid);
  assert.equal(profile.externalUserId, "split-user");
  assert.equal(profile.firstname, "Split");
  assert.equal(profile.city, "Oslo");

  // The core came from herogi_bg.wasm beside the script, served as application/wasm.
  const paths = loads.map((load) => load.path).sort();
  assert.deepEqual(paths, ["/herogi.split.min.js", "/herogi_bg.wasm"]);
  const core = loads.find((load) => load.path === "/herogi_bg.wasm");
  assert.equal(core.status, 200);
  assert.equal(core.type, "application/wasm");
  assert.deepEqual(messages.errors, []);
  assert.deepEqual(messages.warnings, []);
});

test("preloaded core is fetched once", async (t) => {
  let coreRequests = 0;
  const { tab, messages } = await openPage(t, "/split-preload.html", (route) => {
    coreRequests += 1;
    return route.continue();
  });
  const { result, error } = await initAndIdentify(tab, "preload-user", { firstname: "Early" });
  assert.equal(error, undefined, `identify rejected: ${JSON.stringify(error)}`);
  assert.equal((await getProfile(server.url, result.hgid)).firstname, "Early");
  // The script's fetch of the core used the preloaded response instead of a second request.
  assert.equal(coreRequests, 1);
  assert.deepEqual(messages.errors, []);
  assert.deepEqual(messages.warnings, []);
});

test("calls before the core arrives run in order", async (t) => {
  let coreRequests = 0;
  const { tab, messages, bodies } = await openPage(t, "/split.html", async (route) => {
    coreRequests += 1;
    await delay(1000);
    await route.continue();
  });

  // The SDK, with its constants and error classes, is there at once. Its calls wait for the core.
  const early = await tab.evaluate(
    ([appId, appSecret]) => {
      herogi.init(appId, appSecret, false, { apiUrl: location.origin });
      window.outcomes = [];
      const record = (index) => (value) => (window.outcomes[index] = value);
      const fail = (index) => (error) => (window.outcomes[index] = { code: error.code });
      herogi.identify("queued-user", { firstname: "First", city: "Oslo" }).then(record(0), fail(0));
      herogi.identify("queued-user", { firstname: "Second" }).then(record(1), fail(1));
      herogi.ready().then(() => (window.outcomes[2] = "ready"), fail(2));
      return {
        hgid: herogi.getHgid(),
        version: herogi.version,
        errorClass: typeof herogi.HerogiError,
        outcomes: window.outcomes.length,
      };
    },
    [APP_ID, APP_SECRET],
  );
  assert.equal(early.hgid, null);
  assert.equal(early.version, JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version);
  assert.equal(early.errorClass, "function");
  assert.equal(early.outcomes, 0);
  assert.equal(bodies.length, 0);

  await tab.waitForFunction(() => window.outcomes.filter(Boolean).length === 3);
  const outcomes = await tab.evaluate(() => window.outcomes);
  assert.equal(coreRequests, 1);
  assert.equal(typeof outcomes[0].hgid, "string", JSON.stringify(outcomes));
  assert.equal(outcomes[1].hgid, outcomes[0].hgid);
  assert.equal(outcomes[2], "ready");

  // Sent in call order: the first call creates the profile, the second one updates it.
  assert.equal(bodies.length, 2);
  assert.equal(bodies[0].firstname, "First");
  assert.equal(bodies[1].firstname, "Second");
  const profile = await getProfile(server.url, outcomes[0].hgid);
  assert.equal(profile.firstname, "Second");
  assert.equal(profile.city, "Oslo");
  assert.equal(await tab.evaluate(() => Array.isArray(herogi.q)), false);
  assert.deepEqual(messages.errors, []);
});

test("core with wrong content type loads", async (t) => {
  const { tab, messages, loads } = await openPage(t, "/split-wrong-type.html");
  const { result, error } = await initAndIdentify(tab, "wrong-type-user", { firstname: "Octet" });
  assert.equal(error, undefined, `identify rejected: ${JSON.stringify(error)}`);
  const profile = await getProfile(server.url, result.hgid);
  assert.equal(profile.firstname, "Octet");

  const core = loads.find((load) => load.path === `/${WRONG_TYPE_CORE}`);
  assert.ok(core, `the page did not fetch /${WRONG_TYPE_CORE}: ${JSON.stringify(loads)}`);
  assert.equal(core.status, 200);
  assert.equal(core.type, "application/octet-stream");
  assert.deepEqual(messages.errors, []);
  assert.deepEqual(messages.warnings, []);
});

test("missing core fails calls with LOAD_FAILED", async (t) => {
  const { tab, messages, bodies } = await openPage(t, "/split-missing.html");
  const { error } = await initAndIdentify(tab, "missing-core-user", { firstname: "Nobody" });
  assert.equal(error?.name, "EnvironmentError");
  assert.equal(error.code, "LOAD_FAILED");
  assert.match(error.message, /fetching http:\S+\/no-such-core\.wasm failed \(.+\)\. Serve this release's herogi_bg\.wasm/);
  assert.equal(messages.errors.filter((text) => text.startsWith("herogi:")).length, 1, messages.all.join("\n"));
  assert.deepEqual(bodies, []);
});

test("stalled core fails calls with LOAD_FAILED", { timeout: 60_000 }, async (t) => {
  const { page: tab, messages, bodies } = await newPageInNewContext(t);
  // The core's request never gets a response, and the page's clock runs past the fetch timeout.
  await tab.route(/\.wasm$/, () => {});
  await tab.clock.install();
  await tab.goto(server.url + "/split.html", { waitUntil: "domcontentloaded" });
  const outcome = tab.evaluate(
    async ([appId, appSecret]) => {
      herogi.init(appId, appSecret, false, { apiUrl: location.origin });
      const ready = herogi.ready().then(
        () => "ready",
        (error) => error.code,
      );
      const call = herogi.identify("stalled-core-user", { firstname: "Waiting" }).then(
        () => ({ code: "fulfilled" }),
        (error) => ({ code: error.code, message: error.message }),
      );
      return [await ready, await call];
    },
    [APP_ID, APP_SECRET],
  );
  await tab.clock.runFor(31_000);
  const [ready, call] = await outcome;
  assert.equal(ready, "LOAD_FAILED");
  assert.equal(call.code, "LOAD_FAILED");
  assert.match(call.message, /herogi_bg\.wasm failed \(it did not arrive within 30 s\)/);
  assert.equal(messages.errors.filter((text) => text.startsWith("herogi:")).length, 1, messages.all.join("\n"));
  assert.deepEqual(bodies, []);
});

test("altered core is rejected by its integrity", async (t) => {
  const core = readFileSync(join(root, "dist/herogi_bg.wasm"));
  const altered = Buffer.from(core);
  altered[altered.length - 1] ^= 0xff;
  const { tab, bodies } = await openPage(t, "/split.html", (route) =>
    route.fulfill({ status: 200, contentType: "application/wasm", body: altered }),
  );
  const { error } = await initAndIdentify(tab, "altered-core-user", { firstname: "Mallory" });
  assert.equal(error?.code, "LOAD_FAILED");
  assert.deepEqual(bodies, []);
});

test("split after inline keeps the SDK", async (t) => {
  const { tab, messages } = await openPage(t, "/blank.html");
  const { result, error } = await tab.evaluate(
    async ([appId, appSecret]) => {
      herogi.init(appId, appSecret, false, { apiUrl: location.origin });
      const installed = herogi;
      await new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = "/herogi.split.min.js";
        script.onload = resolve;
        script.onerror = reject;
        document.head.append(script);
      });
      if (herogi !== installed) return { error: "the split script replaced the installed SDK" };
      try {
        return { result: await herogi.identify("split-after-inline", { firstname: "Kept" }) };
      } catch (error) {
        return { error: error.code };
      }
    },
    [APP_ID, APP_SECRET],
  );
  assert.equal(error, undefined);
  assert.equal((await getProfile(server.url, result.hgid)).firstname, "Kept");
  assert.deepEqual(messages.errors, []);
});

test("unreadable core URL fails calls", async (t) => {
  const { tab } = await openPage(t, "/split-bad-url.html");
  const { error } = await initAndIdentify(tab, "split-bad-url", { firstname: "Nobody" });
  assert.equal(error?.code, "LOAD_FAILED");
  assert.match(error.message, /data-wasm http:\/\/\[::1 is not a URL/);
});
