// End-to-end tests of `herogi.reset()` racing the delivery queue: a call in flight, a call of
// another tab, a call that a closed page left in storage, the old script's `_hgid` cookie, and
// a damaged stored hgid. After a reset the stored identity must stay empty until a new call
// gets a response, and no call may send the old visitor's hgid for the new one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { admin, browser, getProfile, identifyDirect, server, useServerAndBrowser } from "./harness.mjs";
import {
  identify,
  initSdk,
  openBlank,
  storedHgid,
  waitForQueueKeys,
  watchIdentifyBodies,
} from "./page-helpers.mjs";

useServerAndBrowser({ testSwitches: true });

test("reset during in-flight call holds", async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await openBlank(context);
  await initSdk(page);
  const { hgid: alice } = await identify(page, "reset-inflight-alice", { firstname: "Alice" });

  await admin.setFaults({ count: 1, delayMs: 1500 });
  await page.evaluate(() => {
    window.pending = herogi.identify({ city: "Oslo" });
  });
  await admin.waitForStats((stats) => stats.received >= 2, "the call to be in flight");
  await page.evaluate(() => herogi.reset());
  const answered = await page.evaluate(async () => (await window.pending).hgid);

  assert.equal(answered, alice, "the call made before reset belongs to the old visitor");
  assert.equal(await page.evaluate(() => herogi.getHgid()), null);
  assert.equal(await storedHgid(page), null);
  const { hgid: guest } = await identify(page, { firstname: "Guest" });
  assert.notEqual(guest, alice);
  assert.equal((await getProfile(server.url, alice)).city, "Oslo");
});

test("reset in another tab holds", async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const bodies = watchIdentifyBodies(context);
  const first = await openBlank(context);
  await initSdk(first);
  const { hgid: alice } = await identify(first, { firstname: "Alice" });

  const second = await openBlank(context);
  await initSdk(second);
  await admin.setFaults({ count: 1, delayMs: 1500 });
  await first.evaluate(() => {
    window.pending = herogi.identify({ city: "Bergen" });
  });
  await admin.waitForStats((stats) => stats.received >= 2, "the first tab's call to be in flight");
  await second.evaluate(() => herogi.reset());
  assert.equal(await first.evaluate(async () => (await window.pending).hgid), alice);

  assert.equal(await storedHgid(first), null);
  assert.equal(await first.evaluate(() => herogi.getHgid()), null);
  assert.equal(await second.evaluate(() => herogi.getHgid()), null);
  const { hgid: next } = await identify(first, { firstname: "Next" });
  assert.notEqual(next, alice);
  assert.equal(bodies.at(-1).hgid, undefined, "the call after reset sent the old hgid");
});

test("logout with a left-behind call", async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const bodies = watchIdentifyBodies(context);
  const left = await openBlank(context);
  await initSdk(left);
  const { hgid: alice } = await identify(left, "reset-orphan-alice", { firstname: "Alice" });

  // The next call fails for a while, so it is still queued when its page closes.
  await admin.setFaults({ count: 100, status: 503, retryAfter: "60" });
  await left.evaluate(() => {
    herogi.identify("reset-orphan-alice", { city: "Tromso" }).catch(() => {});
  });
  await admin.waitForStats((stats) => stats.faulted >= 1, "the call to fail once");
  await left.close({ runBeforeUnload: true });
  await admin.setFaults({ count: 0 });

  const next = await openBlank(context);
  await next.evaluate(
    ([appId, appSecret]) => {
      herogi.init(appId, appSecret, false, { apiUrl: location.origin });
      herogi.reset();
    },
    ["e2e-app", "e2e-secret"],
  );
  await admin.waitForStats((stats) => stats.applied >= 2, "the left call to be applied");
  await waitForQueueKeys(next, 0);

  assert.equal((await getProfile(server.url, alice)).city, "Tromso");
  assert.equal(await storedHgid(next), null, "the left call's response restored the old visitor");
  assert.equal(await next.evaluate(() => herogi.getHgid()), null);
  const { hgid: guest } = await identify(next, { firstname: "Guest" });
  assert.notEqual(guest, alice);
  assert.equal(bodies.at(-1).hgid, undefined);
});

test("cookie not adopted after reset", async (t) => {
  const direct = await identifyDirect(server.url, { email: "reset-cookie@example.com" });
  const oldHgid = direct.body.hgid;
  const context = await browser.newContext();
  t.after(() => context.close());
  await context.addCookies([{ name: "_hgid", value: oldHgid, url: server.url }]);
  const bodies = watchIdentifyBodies(context);
  const page = await openBlank(context);
  await initSdk(page);
  assert.equal(await page.evaluate(() => herogi.getHgid()), oldHgid);

  await page.evaluate(() => herogi.reset());
  assert.equal((await context.cookies()).find((cookie) => cookie.name === "_hgid"), undefined);
  await page.reload();
  await initSdk(page);
  assert.equal(await page.evaluate(() => herogi.getHgid()), null);

  // A cookie that comes back, set again by a page that still runs the old script, is not
  // adopted either.
  await context.addCookies([{ name: "_hgid", value: oldHgid, url: server.url }]);
  await page.reload();
  await initSdk(page);
  const { hgid: guest } = await identify(page, { firstname: "Guest" });
  assert.notEqual(guest, oldHgid);
  assert.equal(bodies.at(-1).hgid, undefined);
});

test("damaged stored hgid is dropped", async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const bodies = watchIdentifyBodies(context);
  const page = await openBlank(context);
  for (const damaged of ["undefined", "", " padded", "x".repeat(300), "a\u0001b"]) {
    await page.evaluate((value) => {
      localStorage.clear();
      localStorage.setItem("herogi:hgid", value);
      localStorage.setItem("herogi:externalUserId", "someone");
    }, damaged);
    await page.reload();
    await initSdk(page);
    const { hgid } = await identify(page, { firstname: "Fresh" });
    assert.equal(bodies.at(-1).hgid, undefined, `sent the damaged hgid ${JSON.stringify(damaged)}`);
    assert.equal(await storedHgid(page), hgid);
  }
});

test("reset in both tabs keeps old call", async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const bodies = watchIdentifyBodies(context);
  const first = await openBlank(context);
  await initSdk(first);
  const second = await openBlank(context);
  await initSdk(second);
  const { hgid: alice } = await identify(first, "reset-both-alice", { firstname: "Alice" });

  // The call fails once, so it waits in the first tab's queue while both tabs reset.
  await admin.setFaults({ count: 1, status: 503, retryAfter: "2" });
  await first.evaluate(() => {
    window.pending = herogi.identify({ city: "Narvik" });
  });
  await admin.waitForStats((stats) => stats.faulted >= 1, "the call to fail once");
  await second.evaluate(() => herogi.reset());
  await first.evaluate(() => herogi.reset());
  assert.equal(await first.evaluate(async () => (await window.pending).hgid), alice);

  assert.equal(bodies.filter((body) => body.city === "Narvik").at(-1).hgid, alice);
  assert.equal((await getProfile(server.url, alice)).city, "Narvik");
  assert.equal(await first.evaluate(() => herogi.getHgid()), null);
});

test("reset holds when setItem throws", async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  await context.addInitScript(() => {
    Storage.prototype.setItem = function () {
      throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
    };
  });
  const bodies = watchIdentifyBodies(context);
  const page = await openBlank(context);
  await initSdk(page);
  const { hgid: alice } = await identify(page, { firstname: "Alice" });

  await admin.setFaults({ count: 1, delayMs: 1500 });
  await page.evaluate(() => {
    window.pending = herogi.identify({ city: "Oslo" });
  });
  await admin.waitForStats((stats) => stats.received >= 2, "the call to be in flight");
  await page.evaluate(() => herogi.reset());
  assert.equal(await page.evaluate(async () => (await window.pending).hgid), alice);

  assert.equal(await page.evaluate(() => herogi.getHgid()), null);
  const { hgid: guest } = await identify(page, { firstname: "Guest" });
  assert.notEqual(guest, alice);
  assert.equal(bodies.at(-1).hgid, undefined, "the call after reset sent the old hgid");
});

test("reset behind a new visitor's call", async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await openBlank(context);
  await initSdk(page);

  // Both calls are made before reset; the second waits for the hgid the first brings.
  await admin.setFaults({ count: 1, delayMs: 1500 });
  await page.evaluate(() => {
    window.pending = [herogi.identify({ firstname: "Early" }), herogi.identify({ city: "Bodo" })];
  });
  await admin.waitForStats((stats) => stats.received >= 1, "the first call to be in flight");
  await page.evaluate(() => herogi.reset());
  const [early, later] = await page.evaluate(async () =>
    (await Promise.all(window.pending)).map((result) => result.hgid),
  );

  assert.equal(later, early, "the calls before reset made two profiles");
  const profile = await getProfile(server.url, early);
  assert.equal(profile.firstname, "Early");
  assert.equal(profile.city, "Bodo");
  assert.equal(await page.evaluate(() => herogi.getHgid()), null);
});

test("delivered calls leave no old identity", async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await openBlank(context);
  await initSdk(page);
  // The second call of the old visitor is still queued at the reset, so the old identity is
  // kept for it, and then dropped once it is delivered.
  const results = await page.evaluate(() => {
    const calls = [
      herogi.identify("logout-user", { firstname: "Alice" }),
      herogi.identify("logout-user", { city: "Oslo" }),
    ];
    herogi.reset();
    calls.push(herogi.identify({ firstname: "Next" }));
    return Promise.all(calls);
  });
  assert.equal(results.length, 3);
  assert.notEqual(results[2].hgid, results[0].hgid);
  await waitForQueueKeys(page, 0);
  await page.waitForFunction(
    () => !Object.keys(localStorage).some((key) => key.startsWith("herogi:visitor:")),
    null,
    { timeout: 5000 },
  );
  const stored = await page.evaluate(() => Object.values(localStorage).join("\n"));
  assert.ok(!stored.includes("logout-user"), "the old visitor's externalId is still stored");
  assert.ok(!stored.includes(results[0].hgid), "the old visitor's hgid is still stored");
});

test("storage cleared after reset holds", async (t) => {
  // A site's logout that calls reset and then clears localStorage, while a call of the old
  // visitor is in flight.
  const context = await browser.newContext();
  t.after(() => context.close());
  const bodies = watchIdentifyBodies(context);
  const page = await openBlank(context);
  await initSdk(page);
  const { hgid: alice } = await identify(page, "reset-cleared-alice", { firstname: "Alice" });

  await admin.setFaults({ count: 1, delayMs: 1500 });
  await page.evaluate(() => {
    window.pending = herogi.identify("reset-cleared-alice", { city: "Oslo" });
  });
  await admin.waitForStats((stats) => stats.received >= 2, "the call to be in flight");
  await page.evaluate(() => {
    herogi.reset();
    localStorage.clear();
  });
  assert.equal(await page.evaluate(async () => (await window.pending).hgid), alice);
  assert.equal(await page.evaluate(() => herogi.getHgid()), null);
  assert.equal(await storedHgid(page), null);

  await page.reload();
  await initSdk(page);
  const { hgid: guest } = await identify(page, { firstname: "Guest" });
  assert.notEqual(guest, alice);
  assert.equal(bodies.at(-1).hgid, undefined, "the guest's call sends no hgid");
  assert.equal((await getProfile(server.url, alice)).firstname, "Alice");
});
