// End-to-end tests of the delivery queue: calls made offline, failed with 5xx, 429 or 400, or
// left behind by a page that went away reach the real herogi-server once each. Faults come from
// the server's test switches (--test-switches), Playwright's offline mode and routing, and init
// scripts that make localStorage throw.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import {
  APP_ID,
  APP_SECRET,
  admin,
  browser,
  getProfile,
  queryDatabase,
  root,
  server,
  uniqueId,
  useServerAndBrowser,
} from "./harness.mjs";
import {
  QUEUE_PREFIX,
  initSdk,
  openBlank,
  queueKeys,
  requestIdsBy,
  statuses,
  storeHgidBeforeLoad,
  storedHgid,
  waitForQueueKeys,
  watchConsole,
  watchIdentify,
} from "./page-helpers.mjs";

useServerAndBrowser({ testSwitches: true });

/** Returns the hgid of the profile that carries `externalUserId`, or undefined. */
function hgidOfExternalId(externalUserId) {
  assert.match(externalUserId, /^[\w-]+$/, "the id must be safe to put in SQL text");
  const sql = `SELECT hgid FROM profiles WHERE external_user_id = '${externalUserId}'`;
  return queryDatabase(server.dbPath, sql)[0];
}

/** Returns the request ids that the server applied, in the order it applied them. */
function appliedRequestIds() {
  return queryDatabase(server.dbPath, "SELECT request_id FROM identify_requests ORDER BY rowid");
}

/**
 * Serves blank.html, herogi.min.js and delivery-away.html from disk, so that a page can load in
 * offline mode as if from the browser's cache. Chromium cannot load a page from the network then.
 */
async function servePagesFromDisk(context) {
  const files = {
    "/blank.html": join(root, "tests/e2e/pages/blank.html"),
    "/herogi.min.js": join(root, "dist/herogi.min.js"),
    "/delivery-away.html": join(root, "tests/e2e/pages/delivery-away.html"),
  };
  await context.route(
    (url) => url.pathname in files,
    (route) => route.fulfill({ path: files[new URL(route.request().url()).pathname] }),
  );
}

test("offline calls survive a reload", async () => {
  const context = await browser.newContext();
  try {
    await servePagesFromDisk(context);
    const posts = watchIdentify(context);
    const page = await openBlank(context);
    await initSdk(page);

    await context.setOffline(true);
    await page.evaluate(() => {
      const ignore = () => {};
      herogi.identify({ firstname: "First", city: "Oslo" }).catch(ignore);
      herogi.identify({ firstname: "Second", lastname: "Lovelace" }).catch(ignore);
      herogi.identify({ firstname: "Third" }, { plan: "gold" }).catch(ignore);
    });
    await waitForQueueKeys(page, 3);

    await page.reload();
    const messages = watchConsole(page);
    await initSdk(page);
    await context.setOffline(false);
    await admin.waitForStats((stats) => stats.applied >= 3, "three applied calls");
    await waitForQueueKeys(page, 0);

    const stats = await admin.stats();
    assert.equal(stats.applied, 3);
    assert.equal(stats.faulted, 0);
    const hgid = await storedHgid(page);
    const profile = await getProfile(server.url, hgid);
    assert.equal(profile.firstname, "Third");
    assert.equal(profile.city, "Oslo");
    assert.equal(profile.lastname, "Lovelace");
    assert.equal(profile.customAttributes.plan, "gold");

    const byCall = requestIdsBy(posts, "firstname");
    assert.deepEqual([...byCall.keys()].sort(), ["First", "Second", "Third"]);
    const ids = [];
    for (const [firstname, requestIds] of byCall) {
      assert.equal(requestIds.size, 1, `${firstname} was sent with ${[...requestIds]}`);
      ids.push(...requestIds);
    }
    assert.equal(new Set(ids).size, 3);
    for (const id of ids) assert.match(id, /^[0-9a-f-]{36}$/);

    const order = ["First", "Second", "Third"].map((name) => [...byCall.get(name)][0]);
    const applied = appliedRequestIds().filter((id) => order.includes(id));
    assert.deepEqual(applied, order);
    assert.deepEqual(await queueKeys(page), []);
    assert.deepEqual(messages.errors.filter((text) => !text.includes("Failed to load")), []);
  } finally {
    await context.close();
  }
});

test("burst writes each entry once", async () => {
  const context = await browser.newContext();
  try {
    // Counts the SDK's writes and removals of queue entries.
    await context.addInitScript((prefix) => {
      window.queueWrites = { set: 0, remove: 0 };
      const { setItem, removeItem } = Storage.prototype;
      Storage.prototype.setItem = function (key, value) {
        if (String(key).startsWith(prefix)) window.queueWrites.set += 1;
        return setItem.call(this, key, value);
      };
      Storage.prototype.removeItem = function (key) {
        if (String(key).startsWith(prefix)) window.queueWrites.remove += 1;
        return removeItem.call(this, key);
      };
    }, QUEUE_PREFIX);
    const posts = watchIdentify(context);
    const page = await openBlank(context);
    await initSdk(page);
    await page.evaluate(() => herogi.ready());
    await context.setOffline(true);

    const externalId = uniqueId("burst");
    await page.evaluate((id) => {
      for (let score = 1; score <= 150; score += 1) {
        herogi.identify(id, { firstname: "Burst" }, { score }).catch(() => {});
      }
    }, externalId);
    // The task of the burst has ended: storage contains the queue after its merges, one key per
    // entry, each written once.
    const stored = await page.evaluate((prefix) => {
      const entries = Object.keys(localStorage).filter((key) => key.startsWith(prefix));
      return { count: entries.length, writes: window.queueWrites };
    }, QUEUE_PREFIX);
    assert.equal(stored.count, 100);
    assert.ok(stored.writes.set <= 102, `the burst wrote queue entries ${stored.writes.set} times`);
    assert.ok(stored.writes.remove <= 2, `the burst removed queue entries ${stored.writes.remove} times`);

    await context.setOffline(false);
    await waitForQueueKeys(page, 0);
    const hgid = hgidOfExternalId(externalId);
    const profile = await getProfile(server.url, hgid);
    assert.equal(profile.customAttributes.score, 150);
    const sentScores = posts
      .filter((post) => post.body.externalUserId === externalId)
      .map((post) => JSON.parse(post.body.customAttributes).score);
    assert.ok(sentScores.length > 0);
    assert.deepEqual(sentScores, [...sentScores].sort((a, b) => a - b), "scores sent out of call order");
  } finally {
    await context.close();
  }
});

test("failed removals are retried", async () => {
  const context = await browser.newContext();
  try {
    // removeItem throws for queue entries during the first 1.5 s of the page.
    await context.addInitScript((prefix) => {
      const { removeItem } = Storage.prototype;
      const failUntil = Date.now() + 1500;
      Storage.prototype.removeItem = function (key) {
        if (String(key).startsWith(prefix) && Date.now() < failUntil) {
          throw new DOMException("removal failed", "UnknownError");
        }
        return removeItem.call(this, key);
      };
    }, QUEUE_PREFIX);
    const page = await openBlank(context);
    await initSdk(page);
    const externalId = uniqueId("removal");
    await page.evaluate(async (id) => {
      const calls = [];
      for (let score = 1; score <= 5; score += 1) calls.push(herogi.identify(id, {}, { score }));
      await Promise.all(calls);
    }, externalId);
    // Delivered while removals fail, the entries leave storage once removing works again.
    await waitForQueueKeys(page, 0);
    const stats = await admin.stats();
    assert.equal(stats.applied, 5);
    assert.equal(stats.repeated, 0);

    // A later page finds nothing left to send again.
    await page.reload();
    await initSdk(page);
    await page.evaluate(() => herogi.ready());
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await admin.stats()).received, 5);
  } finally {
    await context.close();
  }
});

test("two 500s then success", async () => {
  await admin.setFaults({ status: 500, count: 2 });
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    const posts = watchIdentify(context);
    await initSdk(page);

    const result = await page.evaluate(() => herogi.identify({ firstname: "Patience" }));

    assert.equal(typeof result.hgid, "string");
    const stats = await admin.stats();
    assert.equal(stats.faulted, 2);
    assert.equal(stats.applied, 1);
    assert.equal(stats.received, 3);
    assert.equal(posts.length, 3);
    assert.deepEqual(await statuses(posts), [500, 500, 200]);
    assert.equal(new Set(posts.map((post) => post.requestId)).size, 1);
    assert.ok(posts[0].requestId);
    const profile = await getProfile(server.url, result.hgid);
    assert.equal(profile.firstname, "Patience");
    assert.deepEqual(await queueKeys(page), []);
  } finally {
    await context.close();
  }
});

test("429 waits for Retry-After", async () => {
  await admin.setFaults({ status: 429, count: 1, retryAfter: "2" });
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    const posts = watchIdentify(context);
    await initSdk(page);

    const result = await page.evaluate(() => herogi.identify({ firstname: "Tarry" }));

    assert.equal(posts.length, 2);
    assert.deepEqual(await statuses(posts), [429, 200]);
    assert.equal(posts[1].requestId, posts[0].requestId);
    // startTime is the browser's clock, in milliseconds since the epoch.
    const [first, second] = posts.map((post) => post.request.timing().startTime);
    assert.ok(second - first >= 1900, `retried ${second - first} ms after the 429`);
    const stats = await admin.stats();
    assert.equal(stats.faulted, 1);
    assert.equal(stats.applied, 1);
    const profile = await getProfile(server.url, result.hgid);
    assert.equal(profile.firstname, "Tarry");
  } finally {
    await context.close();
  }
});

test("400 is final and reported", async () => {
  await admin.setFaults({ status: 400, count: 1 });
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    const messages = watchConsole(page);
    const posts = watchIdentify(context);
    await initSdk(page);

    const outcome = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const seen = {};
          const callback = (ok, error) => {
            seen.callback = { ok, code: error?.code, status: error?.status };
          };
          herogi.identify({ firstname: "Rejected" }, null, null, callback).then(
            () => resolve({ ...seen, promise: "fulfilled" }),
            (error) => resolve({ ...seen, promise: error.code, status: error.status }),
          );
        }),
    );

    assert.deepEqual(outcome.callback, { ok: false, code: "HTTP_ERROR", status: 400 });
    assert.equal(outcome.promise, "HTTP_ERROR");
    assert.equal(outcome.status, 400);
    assert.deepEqual(await queueKeys(page), []);

    // Calls go out in order, so once a later call has succeeded, a retry of the rejected one
    // would have been seen before it.
    await page.evaluate(() => herogi.identify({ firstname: "Accepted" }));
    assert.deepEqual(posts.map((post) => post.body.firstname), ["Rejected", "Accepted"]);
    assert.deepEqual(await statuses(posts), [400, 200]);
    const stats = await admin.stats();
    assert.equal(stats.received, 2);
    assert.equal(stats.faulted, 1);
    assert.equal(stats.applied, 1);
    assert.deepEqual(await queueKeys(page), []);
    assert.deepEqual(messages.errors.filter((text) => !text.includes("400")), []);
  } finally {
    await context.close();
  }
});

test("call then navigation arrives", async () => {
  const user = uniqueId("leaver");
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    await initSdk(page);

    await page.evaluate((id) => {
      herogi.identify(id, { firstname: "Leaving" }).catch(() => {});
    }, user);
    await page.goto(`${server.url}/delivery-away.html`);

    await admin.waitForStats((stats) => stats.applied >= 1, "the call to be applied");
    const hgid = hgidOfExternalId(user);
    assert.ok(hgid, `no profile has externalUserId ${user}`);
    const profile = await getProfile(server.url, hgid);
    assert.equal(profile.firstname, "Leaving");
    const stats = await admin.stats();
    assert.equal(stats.applied, 1);
  } finally {
    await context.close();
  }
});

test("call before init survives navigation", async () => {
  const user = uniqueId("early");
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    await page.evaluate(
      ([id, appId, appSecret]) => {
        // A page that stays busy until it leaves is never idle; a requestIdleCallback that never
        // calls back stands for it.
        window.requestIdleCallback = () => 0;
        herogi.identify(id, { firstname: "Early" }).catch(() => {});
        herogi.init(appId, appSecret, false, { apiUrl: location.origin });
        herogi.ready().then(() => {
          location.href = "/delivery-away.html";
        });
      },
      [user, APP_ID, APP_SECRET],
    );
    await page.waitForURL("**/delivery-away.html");

    await admin.waitForStats((stats) => stats.applied >= 1, "the call made before init to be applied");
    const profile = await getProfile(server.url, hgidOfExternalId(user));
    assert.equal(profile.firstname, "Early");
  } finally {
    await context.close();
  }
});

test("queued calls sent without idle time", async () => {
  const context = await browser.newContext();
  try {
    await servePagesFromDisk(context);
    const page = await openBlank(context);
    await initSdk(page);
    await context.setOffline(true);
    await page.evaluate(() => {
      herogi.identify({ firstname: "Stored" }).catch(() => {});
    });
    await waitForQueueKeys(page, 1);

    // The next page only calls init, and its requestIdleCallback never calls back, so only the
    // timer of the deferred set-up sends the stored call.
    await page.addInitScript(() => {
      window.requestIdleCallback = () => 0;
    });
    await page.reload();
    await context.setOffline(false);
    await initSdk(page);
    await admin.waitForStats((stats) => stats.applied >= 1, "the stored call to be applied");
    await waitForQueueKeys(page, 0);
  } finally {
    await context.close();
  }
});

test("stopped Date.now still retries", async () => {
  await admin.setFaults({ status: 503, count: 1, retryAfter: "1" });
  const context = await browser.newContext();
  try {
    await context.addInitScript(() => {
      const frozen = Date.now();
      Date.now = () => frozen;
    });
    const page = await openBlank(context);
    await initSdk(page);
    const outcome = await page.evaluate(() =>
      Promise.race([
        herogi.identify({ firstname: "StillClock" }).then(() => "delivered", (error) => error.code),
        new Promise((resolve) => setTimeout(() => resolve("pending after 10 s"), 10000)),
      ]),
    );
    assert.equal(outcome, "delivered");
  } finally {
    await context.close();
  }
});

test("throwing send loop releases the lock", async () => {
  await admin.setFaults({ status: 503, count: 1, retryAfter: "3" });
  const context = await browser.newContext();
  try {
    // The wait of 3 s after the 503, a timer of no other part of the SDK, throws once inside the
    // send loop's lock.
    await context.addInitScript(() => {
      const realSetTimeout = window.setTimeout;
      window.setTimeout = function (callback, ms, ...rest) {
        if (ms === 3000 && !window.timerThrew) {
          window.timerThrew = true;
          throw new Error("the timer is broken");
        }
        return realSetTimeout.call(this, callback, ms, ...rest);
      };
    });
    const page = await openBlank(context);
    const messages = watchConsole(page);
    await initSdk(page);
    const outcome = await page.evaluate(async () => {
      const settled = (promise) => promise.then(() => "delivered", (error) => error.code);
      const first = settled(herogi.identify({ firstname: "BrokenTimer" }));
      while (!window.timerThrew) await new Promise((resolve) => requestAnimationFrame(resolve));
      await new Promise((resolve) => requestAnimationFrame(resolve));
      const { held } = await navigator.locks.query();
      const second = settled(herogi.identify({ firstname: "AfterTheThrow" }));
      const deadline = new Promise((resolve) => setTimeout(() => resolve("pending after 10 s"), 10000));
      return {
        locks: held.map((lock) => lock.name).filter((name) => name === "herogi:send"),
        first: await Promise.race([first, deadline]),
        second: await Promise.race([second, deadline]),
      };
    });

    assert.deepEqual(outcome.locks, []);
    assert.equal(outcome.first, "delivered");
    assert.equal(outcome.second, "delivered");
    assert.ok(messages.errors.some((text) => text.includes("delivery stopped")), messages.all.join("\n"));
  } finally {
    await context.close();
  }
});

test("call from a clock ahead is adopted", { timeout: 60000 }, async () => {
  const context = await browser.newContext();
  try {
    const ahead = await context.newPage();
    await ahead.addInitScript(() => {
      const now = Date.now;
      Date.now = () => now() + 3600000;
    });
    await ahead.goto(`${server.url}/blank.html`);
    await initSdk(ahead);
    await admin.setFaults({ status: 503, count: 1, retryAfter: "60" });
    // Over 60 KiB, so the closing page does not send it with keepalive and it stays stored.
    const user = uniqueId("clock-ahead");
    await ahead.evaluate((id) => {
      herogi.identify(id, {}, { plan: "x".repeat(70000) }).catch(() => {});
    }, user);
    await admin.waitForStats((stats) => stats.faulted >= 1, "the call to fail once");
    await ahead.close();

    const next = await openBlank(context);
    await initSdk(next);
    await admin.waitForStats((stats) => stats.applied >= 1, "the next page to send the stored call");
    assert.ok(hgidOfExternalId(user), `no profile has externalUserId ${user}`);
  } finally {
    await context.close();
  }
});

test("delayed call outlives its page", async () => {
  await admin.setFaults({ count: 1, delayMs: 3000 });
  const user = uniqueId("closer");
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    await initSdk(page);

    await page.evaluate((id) => {
      herogi.identify(id, { firstname: "Closing" }).catch(() => {});
    }, user);
    // The server counts a request before its delay, so the page closes with it in flight.
    await admin.waitForStats((stats) => stats.received >= 1, "the request to reach the server");
    await page.close();

    await admin.waitForStats((stats) => stats.applied >= 1, "the delayed call to be applied");
    const profile = await getProfile(server.url, hgidOfExternalId(user));
    assert.equal(profile.firstname, "Closing");

    // The page went away before the response, so the call is still stored. The next page sends
    // it again with the same request id, and the server does not apply it twice.
    const next = await openBlank(context);
    const posts = watchIdentify(context);
    await initSdk(next);
    await waitForQueueKeys(next, 0);
    const stats = await admin.stats();
    assert.equal(stats.applied, 1);
    assert.equal(stats.repeated, posts.length);
  } finally {
    await context.close();
  }
});

test("stale hgid recovers in the queue", async () => {
  const stale = randomUUID();
  assert.equal(await getProfile(server.url, stale), null);
  const context = await browser.newContext();
  try {
    await storeHgidBeforeLoad(context, stale);
    const page = await openBlank(context);
    const posts = watchIdentify(context);
    await initSdk(page);

    const result = await page.evaluate(() => herogi.identify({ firstname: "Stale" }));

    assert.notEqual(result.hgid, stale);
    assert.equal(await storedHgid(page), result.hgid);
    assert.deepEqual(await statuses(posts), [404, 200]);
    assert.equal(posts[0].body.hgid, stale);
    assert.equal("hgid" in posts[1].body, false);
    assert.equal(posts[1].requestId, posts[0].requestId);
    const stats = await admin.stats();
    assert.equal(stats.received, 2);
    assert.equal(stats.applied, 1);
    const profile = await getProfile(server.url, result.hgid);
    assert.equal(profile.firstname, "Stale");
    assert.deepEqual(await queueKeys(page), []);
  } finally {
    await context.close();
  }
});

test("full storage with 200 offline calls", async () => {
  const context = await browser.newContext();
  try {
    // Models a nearly full localStorage: writes succeed until the stored text reaches 4000
    // characters, and then setItem throws QuotaExceededError as browsers do.
    await context.addInitScript(() => {
      const budget = 4000;
      const setItem = Storage.prototype.setItem;
      Storage.prototype.setItem = function (key, value) {
        let used = 0;
        for (let index = 0; index < this.length; index += 1) {
          const name = this.key(index);
          if (name !== key) used += name.length + this.getItem(name).length;
        }
        if (used + String(key).length + String(value).length > budget) {
          throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
        }
        return setItem.call(this, key, value);
      };
      window.pageProblems = [];
      window.addEventListener("error", (event) => window.pageProblems.push(event.message));
      window.addEventListener("unhandledrejection", (event) =>
        window.pageProblems.push(`unhandled rejection: ${event.reason?.code ?? event.reason}`),
      );
    });
    const page = await openBlank(context);
    const messages = watchConsole(page);
    await initSdk(page);
    await context.setOffline(true);

    await page.evaluate(() => {
      window.outcomes = [];
      for (let index = 0; index < 200; index += 1) {
        herogi.identify({ firstname: `Caller ${index}` }, { score: index }).then(
          () => window.outcomes.push("fulfilled"),
          (error) => window.outcomes.push(error.code),
        );
      }
    });
    await page.waitForTimeout(500);
    assert.ok((await queueKeys(page)).length > 0, "no call fit in localStorage before it was full");

    await context.setOffline(false);
    await page.waitForFunction(() => window.outcomes.length === 200, null, { timeout: 30000 });

    const outcomes = await page.evaluate(() => window.outcomes);
    const rejected = outcomes.filter((outcome) => outcome !== "fulfilled");
    assert.deepEqual(rejected, [], "calls for one visitor are merged, so none is dropped");
    const stats = await admin.stats();
    assert.ok(stats.received <= 100, `${stats.received} requests for a queue of at most 100`);
    assert.ok(stats.applied >= 1);
    const hgid = await storedHgid(page);
    const profile = await getProfile(server.url, hgid);
    assert.equal(profile.firstname, "Caller 199");
    assert.equal(profile.customAttributes.score, 199);

    assert.deepEqual(await page.evaluate(() => window.pageProblems), []);
    const queueWarnings = messages.warnings.filter((text) => text.includes("queue"));
    assert.equal(queueWarnings.length, 1, messages.warnings.join("\n"));
    const storageWarnings = messages.warnings.filter((text) => text.includes("localStorage"));
    assert.equal(storageWarnings.length, 1, messages.warnings.join("\n"));
    const quotaErrors = messages.all.filter((text) => text.includes("QuotaExceeded"));
    assert.deepEqual(quotaErrors, []);
    assert.deepEqual(await queueKeys(page), []);
  } finally {
    await context.close();
  }
});

/**
 * Returns identify arguments whose body, about 38 KiB, is near the largest the SDK sends. Each
 * free-text field has 255 characters of 4 bytes in UTF-8. The 8180 quotation marks of
 * customAttributes take 16 KiB as JSON text and 32 KiB once escaped again into the body. The SDK
 * drops larger customAttributes, and the server rejects longer customAttributes text.
 */
function largeCall(tag) {
  const wide = "\u{1F600}".repeat(255 - tag.length - 1);
  return {
    userAttributes: {
      firstname: `${tag} ${wide}`,
      lastname: wide,
      city: wide,
      facebookId: wide,
      twitterId: wide,
      lineId: wide,
    },
    customAttributes: { plan: '"'.repeat(8180) },
  };
}

test("largest call queued at unload", async () => {
  const user = uniqueId("large");
  const call = largeCall("Large");
  // The first call is delayed on the server, so the large one is still queued behind it when
  // the page goes away, and pagehide sends nothing while a request is in flight.
  await admin.setFaults({ count: 1, delayMs: 3000 });
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    await initSdk(page);

    await page.evaluate(
      ([id, { userAttributes, customAttributes }]) => {
        herogi.identify(id, { firstname: "Small" }).catch(() => {});
        herogi.identify(id, userAttributes, customAttributes).catch(() => {});
      },
      [user, call],
    );
    await admin.waitForStats((stats) => stats.received >= 1, "the first request to reach the server");
    await page.goto(`${server.url}/delivery-away.html`);
    await admin.waitForStats((stats) => stats.applied >= 1, "the first call to be applied");
    assert.ok(hgidOfExternalId(user), `no profile has externalUserId ${user}`);

    const next = await openBlank(context);
    const posts = watchIdentify(context);
    await initSdk(next);
    await waitForQueueKeys(next, 0);
    await admin.waitForStats((stats) => stats.applied >= 2, "the large call to be applied");

    const large = posts.find((post) => post.body.lastname === call.userAttributes.lastname);
    assert.ok(large, "the next page did not send the large call");
    const bodyBytes = Buffer.byteLength(large.request.postData());
    assert.ok(bodyBytes > 36 * 1024, `the large body has only ${bodyBytes} bytes`);
    const profile = await getProfile(server.url, hgidOfExternalId(user));
    assert.equal(profile.firstname, call.userAttributes.firstname);
    assert.equal(profile.customAttributes.plan, call.customAttributes.plan);
    const stats = await admin.stats();
    assert.equal(stats.applied, 2);
  } finally {
    await context.close();
  }
});

test(
  "merged large calls at unload",
  async () => {
    // Eleven large calls of about 22 KiB fill the 256 KiB byte bound of the queue, so the
    // twelfth makes the SDK merge the oldest calls for this visitor. The merged call is at the
    // head of the queue when the page goes away, and the next page must deliver it.
    const user = uniqueId("merged");
    const calls = Array.from({ length: 12 }, (_, index) => largeCall(`Call${index}`));
    const context = await browser.newContext();
    try {
      await servePagesFromDisk(context);
      const page = await openBlank(context);
      const messages = watchConsole(page);
      await initSdk(page);
      await context.setOffline(true);

      await page.evaluate(
        ([id, calls]) => {
          window.outcomes = [];
          for (const { userAttributes, customAttributes } of calls) {
            herogi.identify(id, userAttributes, customAttributes).then(
              () => window.outcomes.push("fulfilled"),
              (error) => window.outcomes.push(error.code),
            );
          }
        },
        [user, calls],
      );
      const stored = await queueKeys(page);
      assert.ok(stored.length < calls.length, `${stored.length} calls are stored, none merged`);
      const queueWarnings = messages.warnings.filter((text) => text.includes("queue"));
      assert.equal(queueWarnings.length, 1, messages.warnings.join("\n"));
      assert.deepEqual(await page.evaluate(() => window.outcomes), []);

      await page.goto(`${server.url}/delivery-away.html`);
      await context.setOffline(false);
      const next = await openBlank(context);
      const posts = watchIdentify(context);
      await initSdk(next);
      await waitForQueueKeys(next, 0);

      const hgid = hgidOfExternalId(user);
      assert.ok(hgid, `no profile has externalUserId ${user}`);
      const profile = await getProfile(server.url, hgid);
      assert.equal(profile.firstname, calls.at(-1).userAttributes.firstname);
      const bodySizes = posts.map((post) => Buffer.byteLength(post.request.postData()));
      const failed = (await statuses(posts)).filter((status) => status !== 200);
      assert.deepEqual(failed, [], `a queued call was rejected; bodies of ${bodySizes} bytes`);
    } finally {
      await context.close();
    }
  },
);

test(
  "byte bound drops no more than needed",
  async () => {
    // Each call stores about 16 KiB, so fifteen fit in the 256 KiB bound and the sixteenth
    // needs room. Merging two calls for one visitor, later values winning, makes that room.
    const context = await browser.newContext();
    try {
      const page = await openBlank(context);
      await initSdk(page);
      await context.setOffline(true);

      await page.evaluate(() => {
        window.outcomes = [];
        for (let index = 0; index < 16; index += 1) {
          herogi.identify({ firstname: `Bulky ${index}` }, { plan: '"'.repeat(8180) }).then(
            () => window.outcomes.push("fulfilled"),
            (error) => window.outcomes.push(error.code),
          );
        }
      });
      await context.setOffline(false);
      await page.waitForFunction(() => window.outcomes.length === 16, null, { timeout: 30000 });

      const outcomes = await page.evaluate(() => window.outcomes);
      const dropped = outcomes.filter((outcome) => outcome === "QUEUE_FULL");
      assert.ok(dropped.length <= 1, `${dropped.length} of 16 calls were dropped`);
      const hgid = await storedHgid(page);
      const profile = await getProfile(server.url, hgid);
      assert.equal(profile.firstname, "Bulky 15");
    } finally {
      await context.close();
    }
  },
);

test("silent server times out", { timeout: 60000 }, async () => {
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    await initSdk(page);
    // Twice the SDK's 15 s request deadline.
    await admin.setFaults({ count: 1, delayMs: 30000 });
    const user = uniqueId("patient");
    const result = await page.evaluate((id) => herogi.identify(id, { firstname: "Patient" }), user);

    assert.equal(result.hgid, hgidOfExternalId(user));
    const stats = await admin.stats();
    assert.equal(stats.received, 2, "the call was sent again after the deadline");
    assert.deepEqual(await queueKeys(page), []);
  } finally {
    await context.close();
  }
});

test("throwing fetch wrapper is retried", { timeout: 60000 }, async () => {
  const context = await browser.newContext();
  try {
    // A page's own fetch wrapper that throws synchronously on its first two calls.
    await context.addInitScript(() => {
      const fetch = window.fetch;
      let failures = 2;
      window.fetch = function (...args) {
        if (failures > 0) {
          failures -= 1;
          throw new TypeError("fetch wrapper refused the request");
        }
        return fetch.apply(this, args);
      };
    });
    const page = await openBlank(context);
    const messages = watchConsole(page);
    await initSdk(page);
    const user = uniqueId("wrapped");
    const result = await page.evaluate((id) => herogi.identify(id, { firstname: "Wrapped" }), user);

    assert.equal(result.hgid, hgidOfExternalId(user));
    const second = await page.evaluate(() => herogi.identify({ city: "Oslo" }));
    assert.equal(second.hgid, result.hgid);
    assert.deepEqual(messages.errors, []);
  } finally {
    await context.close();
  }
});

test("no storage: unload sends all", { timeout: 60000 }, async () => {
  const context = await browser.newContext();
  try {
    await context.addInitScript(() => {
      Storage.prototype.setItem = function () {
        throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
      };
    });
    const page = await openBlank(context);
    await initSdk(page);
    // The first call is in flight when the page goes; the others exist only in its memory.
    await admin.setFaults({ count: 1, delayMs: 3000 });
    const users = [uniqueId("first"), uniqueId("second"), uniqueId("third")];
    await page.evaluate((ids) => {
      for (const id of ids) herogi.identify(id, { firstname: id }).catch(() => {});
      herogi.identify(ids[2], { lastname: "Merged" }).catch(() => {});
    }, users);
    await admin.waitForStats((stats) => stats.received >= 1, "the first call to be in flight");
    await page.goto(`${server.url}/delivery-away.html`);

    await admin.waitForStats((stats) => stats.applied >= 3, "the three visitors' calls to be applied");
    for (const user of users) {
      const hgid = hgidOfExternalId(user);
      assert.ok(hgid, `the call of ${user} was lost`);
      assert.equal((await getProfile(server.url, hgid)).firstname, user);
    }
    assert.equal((await getProfile(server.url, hgidOfExternalId(users[2]))).lastname, "Merged");
  } finally {
    await context.close();
  }
});

test("retry keeps cross-tab order", { timeout: 60000 }, async () => {
  const context = await browser.newContext();
  try {
    const first = await openBlank(context);
    await initSdk(first);
    const second = await openBlank(context);
    await initSdk(second);
    const user = uniqueId("ordered");

    await admin.setFaults({ count: 1, status: 503, retryAfter: "2" });
    await first.evaluate((id) => {
      window.pending = herogi.identify(id, { firstname: "Earlier" });
    }, user);
    await admin.waitForStats((stats) => stats.faulted >= 1, "the first tab's call to fail once");
    await second.evaluate((id) => herogi.identify(id, { firstname: "Later" }), user);
    await first.evaluate(() => window.pending);

    assert.equal((await getProfile(server.url, hgidOfExternalId(user))).firstname, "Later");
  } finally {
    await context.close();
  }
});

test("invalid hgid in a 200 is rejected", async () => {
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    const messages = watchConsole(page);
    await initSdk(page);
    const { hgid } = await page.evaluate(() => herogi.identify("invalid-hgid-user", { firstname: "Kept" }));

    for (const answer of ["   ", "abc\ndef", " padded ", "undefined", "é".repeat(256)]) {
      await page.route("**/v1/identify", (route) =>
        route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ hgid: answer }) }),
      );
      const code = await page.evaluate(() =>
        herogi.identify({ city: "Oslo" }).then(
          () => "fulfilled",
          (error) => error.code,
        ),
      );
      await page.unroute("**/v1/identify");
      assert.equal(code, "BAD_RESPONSE", JSON.stringify(answer));
      assert.equal(await page.evaluate(() => herogi.getHgid()), hgid, JSON.stringify(answer));
      assert.equal(await storedHgid(page), hgid, JSON.stringify(answer));
    }
    const next = await page.evaluate(() => herogi.identify({ lastname: "Again" }));
    assert.equal(next.hgid, hgid);
    assert.deepEqual(messages.errors, []);
  } finally {
    await context.close();
  }
});

test("dropped call settles after the dropping call", async () => {
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    await initSdk(page);
    await context.setOffline(true);
    // Calls of two visitors in turn cannot merge, so the 101st call drops the oldest.
    const seen = await page.evaluate(() => {
      const seen = [];
      let inCall = false;
      const record = (ok, error) => seen.push({ ok, code: error && error.code, inCall });
      for (let index = 0; index < 101; index += 1) {
        inCall = true;
        herogi.identify(index % 2 ? "drop-a" : "drop-b", { firstname: `Call ${index}` }, null, null, record);
        inCall = false;
      }
      return new Promise((resolve) => setTimeout(() => resolve(seen), 200));
    });
    assert.deepEqual(seen, [{ ok: false, code: "QUEUE_FULL", inCall: false }]);
  } finally {
    await context.close();
  }
});

test("call waiting for Retry-After is not flushed", async () => {
  await admin.setFaults({ status: 429, count: 1000, retryAfter: "120" });
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    await initSdk(page);
    await page.evaluate(() => {
      herogi.identify("retry-after-leaver", { firstname: "Patient" });
    });
    await admin.waitForStats((stats) => stats.received >= 1, "the first attempt");
    await waitForQueueKeys(page, 1);

    // The page goes away while the call waits 120 s, so nothing may go out with keepalive.
    await page.goto(`${server.url}/delivery-away.html`);
    await page.waitForTimeout(500);
    assert.equal((await admin.stats()).received, 1);
  } finally {
    await context.close();
  }
});
