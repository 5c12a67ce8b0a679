// The inline stub snippet: calls made before herogi.min.js has loaded are queued and replayed
// in order once it arrives, and a page whose script is blocked never throws. A second copy of
// the script keeps the SDK that the first one installed.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { test } from "node:test";
import { APP_ID, APP_SECRET, getProfile, root, server, useServerAndBrowser } from "./harness.mjs";
import { newPageInNewContext, openBlankInNewContext } from "./page-helpers.mjs";

const PAGE = "/snippet-queue.html";

useServerAndBrowser();

/** Opens a new context whose requests for herogi.min.js go through `handleScript`. */
async function openContext(t, handleScript) {
  const { page, messages, bodies } = await newPageInNewContext(t);
  await page.route("**/herogi.min.js", handleScript);
  return { page, messages, bodies };
}

test("test page contains the unchanged snippet", () => {
  const snippet = readFileSync(join(root, "js/snippet.html"), "utf8").trim();
  const page = readFileSync(join(root, "tests/e2e/pages", PAGE), "utf8");
  assert.ok(page.includes(snippet), `${PAGE} does not contain the snippet of js/snippet.html`);
});

test("calls before script load are replayed", async (t) => {
  let scriptRequests = 0;
  const { page, messages, bodies } = await openContext(t, async (route) => {
    scriptRequests += 1;
    await delay(1000);
    await route.continue();
  });
  await page.goto(server.url + PAGE, { waitUntil: "domcontentloaded" });

  // The page's calls all went into the stub's queue before the script loaded.
  const early = await page.evaluate(() => ({ ...snippetPage, isStub: Array.isArray(herogi.q) }));
  assert.equal(early.isStub, true);
  assert.equal(early.queued, 4);
  assert.deepEqual(early.thrown, []);

  await page.waitForFunction(
    () => snippetPage.callback && snippetPage.promise && snippetPage.failedCallback,
  );
  const seen = await page.evaluate(() => ({ ...snippetPage, isStub: Array.isArray(herogi.q) }));
  assert.equal(scriptRequests, 1);
  assert.equal(seen.isStub, false);

  assert.equal(seen.callback.ok, true);
  assert.equal(typeof seen.callback.data, "string");
  const hgid = seen.callback.data;
  assert.ok(seen.promise.resolved, `the awaited call rejected: ${seen.promise.rejected}`);
  assert.equal(seen.promise.resolved.hgid, hgid);
  assert.deepEqual(seen.promise.resolved.dropped, []);
  assert.deepEqual(seen.failedCallback, { ok: false, code: "INVALID_ARGUMENT", field: "externalId" });

  // Replayed in call order: the first call creates the profile, the second one updates it.
  assert.equal(bodies.length, 2);
  assert.equal(bodies[0].externalUserId, "snippet-user");
  assert.equal(bodies[0].firstname, "Queued");
  assert.equal(bodies[0].hgid, undefined);
  assert.equal(bodies[1].city, "Lisbon");
  assert.equal(bodies[1].hgid, hgid);

  const profile = await getProfile(server.url, hgid);
  assert.equal(profile.externalUserId, "snippet-user");
  assert.equal(profile.firstname, "Queued");
  assert.equal(profile.city, "Lisbon");
  // No page error, and no unhandled rejection of the wrong-shape call, whose callback handles it.
  assert.deepEqual(messages.errors, []);
});

test("blocked script leaves stub calls harmless", async (t) => {
  const { page, messages, bodies } = await openContext(t, (route) => route.abort());
  await page.goto(server.url + PAGE);

  const seen = await page.evaluate(() => ({ ...snippetPage, isStub: Array.isArray(herogi.q) }));
  assert.equal(seen.isStub, true);
  assert.equal(seen.queued, 4);
  assert.deepEqual(seen.thrown, []);
  assert.equal(seen.callback, null);
  assert.equal(seen.promise, null);

  // Further calls, valid or not, still go to the stub without throwing.
  const later = await page.evaluate(() => {
    const calls = {
      "identify(Symbol())": () => herogi.identify(Symbol()),
      "init()": () => herogi.init(),
      "identify with a callback": () => herogi.identify("snippet-blocked", () => {}),
      "identify(attributes)": () => herogi.identify({ email: "blocked@example.com" }),
    };
    const results = {};
    for (const [name, call] of Object.entries(calls)) {
      try {
        results[name] = { threw: false, isPromise: call() instanceof Promise };
      } catch (error) {
        results[name] = { threw: true, message: String(error) };
      }
    }
    return { results, queued: herogi.q.length };
  });
  for (const [name, outcome] of Object.entries(later.results)) {
    assert.equal(outcome.threw, false, `${name} threw: ${outcome.message}`);
    assert.equal(outcome.isPromise, true, `${name} did not return a Promise`);
  }
  assert.equal(later.queued, 8);

  assert.equal(bodies.length, 0);
  // The blocked script is logged by Chromium as a failed resource, which is not a page error.
  assert.deepEqual(messages.errors.filter((text) => text.startsWith("pageerror")), []);
});

test("second script load keeps configured SDK", { timeout: 30000 }, async (t) => {
  const { page, messages } = await openBlankInNewContext(t);

  const seen = await page.evaluate(async ([appId, appSecret]) => {
    herogi.init(appId, appSecret, false, { apiUrl: location.origin });
    const first = herogi;
    // The same script again, as a second script tag or a tag manager that injects it twice does.
    await new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = "/herogi.min.js";
      script.onload = resolve;
      script.onerror = () => reject(new Error("herogi.min.js did not load again"));
      document.head.append(script);
    });
    const sameObject = herogi === first;
    // An unconfigured copy would keep the call waiting for an init that never comes.
    if (!sameObject) return { sameObject };
    try {
      const result = await herogi.identify("snippet-second-load", { firstname: "Twice" });
      return { sameObject, hgid: result.hgid, stored: herogi.getHgid() };
    } catch (error) {
      return { sameObject, failed: `${error.code}: ${error.message}` };
    }
  }, [APP_ID, APP_SECRET]);

  assert.equal(seen.sameObject, true, "the second load replaced window.herogi");
  assert.equal(seen.failed, undefined, "identify after the second load failed");
  assert.equal(seen.stored, seen.hgid);
  const profile = await getProfile(server.url, seen.hgid);
  assert.equal(profile.externalUserId, "snippet-second-load");
  assert.equal(profile.firstname, "Twice");
  assert.deepEqual(messages.errors, []);
});

test("kept stub reference reaches the SDK", async (t) => {
  const { page } = await openContext(t, async (route) => {
    await delay(1000);
    await route.continue();
  });
  await page.goto(server.url + PAGE, { waitUntil: "domcontentloaded" });
  const keptStub = await page.evaluate(() => {
    window.kept = herogi;
    return Array.isArray(kept.q);
  });
  assert.equal(keptStub, true, "the script loaded before the page kept the stub");
  await page.waitForFunction(() => !Array.isArray(herogi.q), null, { timeout: 10000 });

  const outcome = await page.evaluate(async ([appId, appSecret]) => {
    kept.init(appId, appSecret, false, { apiUrl: location.origin });
    const settled = kept.identify("kept-stub", { firstname: "Kept" }).then(
      (result) => ({ hgid: result.hgid }),
      (error) => ({ code: error.code }),
    );
    const timeout = new Promise((resolve) => setTimeout(() => resolve({ pending: true }), 10000));
    return Promise.race([settled, timeout]);
  }, [APP_ID, APP_SECRET]);
  assert.equal(typeof outcome.hgid, "string", JSON.stringify(outcome));
  assert.equal((await getProfile(server.url, outcome.hgid)).firstname, "Kept");
});
