// Content-Security-Policy: the built script under script-src 'self' 'wasm-unsafe-eval' works and
// needs no 'unsafe-eval'. Without 'wasm-unsafe-eval', every call fails at once with LOAD_FAILED.
// herogi-server cannot set headers per page, so the tests fetch the page from it and add the
// header through Playwright's routing. Code that page.evaluate runs directly is exempt from the
// page's CSP checks of eval (Chromium's DevTools protocol allows it), so each test calls the SDK
// from a timer task of the page, which the policy governs like any page script.
import assert from "node:assert/strict";
import { test } from "node:test";
import { APP_ID, APP_SECRET, getProfile, server, useServerAndBrowser } from "./harness.mjs";
import { newPageInNewContext } from "./page-helpers.mjs";

const WITH_WASM = "script-src 'self' 'wasm-unsafe-eval'";
const WITHOUT_WASM = "script-src 'self'";

/** Maximum time a call may stay pending before a test counts it as hanging. */
const SETTLE_BOUND_MS = 5000;

useServerAndBrowser();

/**
 * Opens csp-page.html served with `policy` as its Content-Security-Policy header. Every
 * securitypolicyviolation event of the page is recorded in `window.violations`, by a listener
 * installed before any script of the page runs.
 */
async function openPage(t, policy) {
  const { page, messages, requests } = await newPageInNewContext(t);
  await page.addInitScript(() => {
    window.violations = [];
    window.addEventListener("securitypolicyviolation", (event) => {
      window.violations.push({
        directive: event.effectiveDirective,
        blockedURI: event.blockedURI,
        disposition: event.disposition,
      });
    });
  });
  const pageUrl = `${server.url}/csp-page.html`;
  await page.route(pageUrl, async (route) => {
    const response = await route.fetch();
    await route.fulfill({
      response,
      headers: { ...response.headers(), "content-security-policy": policy },
    });
  });
  const response = await page.goto(pageUrl);
  assert.equal(response.headers()["content-security-policy"], policy);
  return { page, messages, requests };
}

test("wasm-unsafe-eval policy runs the SDK", async (t) => {
  const { page, messages } = await openPage(t, WITH_WASM);
  const seen = await page.evaluate(
    ([appId, appSecret]) =>
      new Promise((resolve) => setTimeout(resolve, 0)).then(async () => {
        herogi.init(appId, appSecret, false, { apiUrl: location.origin });
        await herogi.ready();
        const { hgid } = await herogi.identify("csp-allowed", { firstname: "Strict" });
        return { hgid, violations: [...window.violations] };
      }),
    [APP_ID, APP_SECRET],
  );
  assert.deepEqual(seen.violations, []);
  assert.deepEqual(messages.errors, []);
  const profile = await getProfile(server.url, seen.hgid);
  assert.equal(profile.externalUserId, "csp-allowed");
  assert.equal(profile.firstname, "Strict");
});

test("policy blocks eval in page tasks", async (t) => {
  // The SDK ran above under a policy that blocks eval and new Function. This shows that the
  // policy is enforced in the timer tasks the tests call the SDK from, and that the listener
  // records violations.
  const { page } = await openPage(t, WITH_WASM);
  const seen = await page.evaluate(() =>
    new Promise((resolve) => setTimeout(resolve, 0)).then(async () => {
      let evalError = null;
      try {
        new Function("return 1")();
      } catch (error) {
        evalError = error.name;
      }
      // The violation event is dispatched in a later task.
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { evalError, violations: window.violations };
    }),
  );
  assert.equal(seen.evalError, "EvalError");
  assert.equal(seen.violations.length, 1, JSON.stringify(seen.violations));
  assert.equal(seen.violations[0].directive, "script-src");
  assert.equal(seen.violations[0].blockedURI, "eval");
});

test("no wasm-unsafe-eval fails calls fast", async (t) => {
  const { page, messages, requests } = await openPage(t, WITHOUT_WASM);
  const seen = await page.evaluate(
    async ([appId, appSecret, boundMs]) => {
      /** Describes how a Promise settled, or that it was still pending after `boundMs`. */
      function settle(promise) {
        const pending = new Promise((resolve) => setTimeout(() => resolve({ state: "pending" }), boundMs));
        const outcome = promise.then(
          () => ({ state: "resolved" }),
          (error) => ({
            state: "rejected",
            name: error.name,
            code: error.code,
            message: error.message,
            isHerogiError: error instanceof herogi.HerogiError,
          }),
        );
        return Promise.race([outcome, pending]);
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
      const callbackCalls = [];
      herogi.init(appId, appSecret, false, { apiUrl: location.origin });
      const identify = await settle(herogi.identify("csp-blocked", { firstname: "Blocked" }));
      const withCallback = await settle(
        herogi.identify({ city: "Oslo" }, (ok, data) => callbackCalls.push([ok, data && data.code])),
      );
      const ready = await settle(herogi.ready());
      return { identify, withCallback, ready, callbackCalls, hgid: herogi.getHgid() };
    },
    [APP_ID, APP_SECRET, SETTLE_BOUND_MS],
  );

  for (const name of ["identify", "withCallback", "ready"]) {
    const outcome = seen[name];
    assert.equal(outcome.state, "rejected", `${name}: ${JSON.stringify(outcome)}`);
    assert.equal(outcome.code, "LOAD_FAILED", name);
    assert.equal(outcome.name, "EnvironmentError", name);
    assert.equal(outcome.isHerogiError, true, name);
    assert.match(outcome.message, /'wasm-unsafe-eval'/, name);
  }
  assert.deepEqual(seen.callbackCalls, [[false, "LOAD_FAILED"]]);
  assert.equal(seen.hgid, null);
  assert.deepEqual(requests.filter((url) => url.endsWith("/v1/identify")), []);

  const wasmErrors = messages.errors.filter((text) => text.includes("'wasm-unsafe-eval'"));
  assert.equal(wasmErrors.length, 1, messages.all.join("\n"));
  assert.match(wasmErrors[0], /^herogi: /);
  assert.deepEqual(messages.errors.filter((text) => text.startsWith("pageerror")), []);
});

test("no wasm-unsafe-eval rejects ready first", async (t) => {
  const { page, messages } = await openPage(t, WITHOUT_WASM);
  const seen = await page.evaluate(async (boundMs) => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    const pending = new Promise((resolve) => setTimeout(() => resolve("pending"), boundMs));
    const outcome = herogi.ready().then(
      () => "resolved",
      (error) => error.code,
    );
    const callback = new Promise((resolve) => herogi.ready((ok, error) => resolve([ok, error && error.code])));
    return {
      ready: await Promise.race([outcome, pending]),
      callback: await Promise.race([callback, pending]),
    };
  }, SETTLE_BOUND_MS);
  assert.equal(seen.ready, "LOAD_FAILED");
  assert.deepEqual(seen.callback, [false, "LOAD_FAILED"]);
  const wasmErrors = messages.errors.filter((text) => text.includes("'wasm-unsafe-eval'"));
  assert.equal(wasmErrors.length, 1, messages.all.join("\n"));
});
