// End-to-end tests of the delivery queue that the tabs of one site share. Two pages of one
// browser context share localStorage, and only one of them sends at a time: the holder of a Web
// Lock, or of a lease in storage without Web Locks. A closed tab's calls are sent by the next
// page, and the real herogi-server applies each call once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { admin, browser, getProfile, server, useServerAndBrowser } from "./harness.mjs";
import {
  initSdk,
  openBlank,
  queuedRequestIds,
  requestIdsBy,
  statuses,
  waitForQueueKeys,
  watchConsole,
  watchIdentify,
} from "./page-helpers.mjs";

/** Hides the Web Locks API, as in browsers without it, so the SDK takes the lease in storage. */
function hideWebLocks() {
  Object.defineProperty(Navigator.prototype, "locks", {
    get() {
      return undefined;
    },
  });
}

useServerAndBrowser({ testSwitches: true });

/** Returns the page that started a request of watchIdentify. */
function senderOf(post) {
  return post.request.frame().page();
}

/** Returns the recorded requests that got a 200 response. */
async function succeeded(posts) {
  const codes = await statuses(posts);
  return posts.filter((_, index) => codes[index] === 200);
}

/** Makes an identify call that records its outcome in the page's `outcomes` array. */
function identifyInPage(page, firstname) {
  return page.evaluate((name) => {
    window.outcomes ??= [];
    herogi.identify({ firstname: name }).then(
      (result) => window.outcomes.push({ firstname: name, hgid: result.hgid }),
      (error) => window.outcomes.push({ firstname: name, error: error.code }),
    );
  }, firstname);
}

/**
 * Makes three calls in each of two tabs while the context is offline, goes back online, and
 * checks that the server applied each call once, under one request id, with one hgid.
 */
async function checkTwoTabs(context) {
  const posts = watchIdentify(context);
  const tabA = await openBlank(context);
  const tabB = await openBlank(context);
  const messages = [watchConsole(tabA), watchConsole(tabB)];
  await initSdk(tabA);
  await initSdk(tabB);

  await context.setOffline(true);
  const names = [];
  for (let round = 1; round <= 3; round += 1) {
    for (const [tab, label] of [[tabA, "A"], [tabB, "B"]]) {
      names.push(`${label}${round}`);
      await identifyInPage(tab, `${label}${round}`);
    }
  }
  await waitForQueueKeys(tabA, names.length);
  await context.setOffline(false);

  await admin.waitForStats((stats) => stats.applied >= names.length, `${names.length} applied calls`);
  await waitForQueueKeys(tabA, 0);
  await tabA.waitForFunction(() => window.outcomes.length === 3, null, { timeout: 20000 });
  await tabB.waitForFunction(() => window.outcomes.length === 3, null, { timeout: 20000 });

  const stats = await admin.stats();
  assert.equal(stats.applied, names.length);
  const byCall = requestIdsBy(posts, "firstname");
  assert.deepEqual([...byCall.keys()].sort(), [...names].sort());
  for (const [name, ids] of byCall) {
    assert.equal(ids.size, 1, `${name} was sent with the request ids ${[...ids]}`);
  }
  const allIds = [...byCall.values()].flatMap((ids) => [...ids]);
  assert.equal(new Set(allIds).size, names.length);

  const outcomes = [
    ...(await tabA.evaluate(() => window.outcomes)),
    ...(await tabB.evaluate(() => window.outcomes)),
  ];
  assert.deepEqual(outcomes.filter((outcome) => outcome.error), []);
  const hgids = new Set(outcomes.map((outcome) => outcome.hgid));
  assert.equal(hgids.size, 1, `the calls got the hgids ${[...hgids]}`);
  for (const { errors } of messages) {
    assert.deepEqual(errors.filter((text) => !text.includes("Failed to load")), []);
  }
  return { tabA, tabB, posts };
}

test("two tabs apply each call once", async () => {
  const context = await browser.newContext();
  try {
    await checkTwoTabs(context);
  } finally {
    await context.close();
  }
});

test("interleaved tab calls keep order", async () => {
  const context = await browser.newContext();
  try {
    const posts = watchIdentify(context);
    const tabA = await openBlank(context);
    const tabB = await openBlank(context);
    await initSdk(tabA);
    await initSdk(tabB);

    // While A1 is in flight, B makes B2 and then A makes A3: B2 must go before A3.
    await admin.setFaults({ count: 1, delayMs: 1500 });
    await identifyInPage(tabA, "A1");
    await admin.waitForStats((stats) => stats.received >= 1, "A1 to be in flight");
    await identifyInPage(tabB, "B2");
    await tabB.waitForTimeout(100);
    await identifyInPage(tabA, "A3");
    await tabA.waitForFunction(() => window.outcomes.length === 2, null, { timeout: 20000 });
    await tabB.waitForFunction(() => window.outcomes.length === 1, null, { timeout: 20000 });

    const sent = (await succeeded(posts)).map((post) => post.body.firstname);
    assert.deepEqual(sent, ["A1", "B2", "A3"]);
    const { hgid } = (await tabA.evaluate(() => window.outcomes)).at(-1);
    assert.equal((await getProfile(server.url, hgid)).firstname, "A3");
  } finally {
    await context.close();
  }
});

test("closed tab's calls sent by next", async () => {
  const context = await browser.newContext();
  try {
    const posts = watchIdentify(context);
    const tabA = await openBlank(context);
    await initSdk(tabA);

    await context.setOffline(true);
    await identifyInPage(tabA, "Left1");
    await identifyInPage(tabA, "Left2");
    await waitForQueueKeys(tabA, 2);
    const leftIds = await queuedRequestIds(tabA);
    await tabA.close();
    await context.setOffline(false);

    const tabB = await openBlank(context);
    const messages = watchConsole(tabB);
    await initSdk(tabB);
    await admin.waitForStats((stats) => stats.applied >= 2, "the closed tab's calls to be applied");
    await waitForQueueKeys(tabB, 0);

    const stats = await admin.stats();
    assert.equal(stats.applied, 2);
    const sentByB = posts.filter((post) => senderOf(post) === tabB);
    assert.deepEqual([...new Set(sentByB.map((post) => post.requestId))].sort(), leftIds.sort());
    const succeededByB = await succeeded(sentByB);
    assert.deepEqual(succeededByB.map((post) => post.body.firstname), ["Left1", "Left2"]);
    assert.deepEqual(messages.errors, []);
  } finally {
    await context.close();
  }
});

test("two tabs without Web Locks", async () => {
  const context = await browser.newContext();
  try {
    await context.addInitScript(hideWebLocks);
    const { tabA } = await checkTwoTabs(context);

    assert.equal(await tabA.evaluate(() => navigator.locks), undefined);
    assert.equal(await tabA.evaluate(() => localStorage.getItem("herogi:lease")), null);
  } finally {
    await context.close();
  }
});

/**
 * Keeps two tabs open longer than one 10 s heartbeat, queues two calls in tab A and, while A
 * waits for its backoff, one in tab B, and checks that each call is sent by one tab only.
 */
async function checkLongLivedTabs(context) {
  const posts = watchIdentify(context);
  const tabA = await openBlank(context);
  const tabB = await openBlank(context);
  await initSdk(tabA);
  await initSdk(tabB);
  await delay(11000);

  await context.setOffline(true);
  await identifyInPage(tabA, "Alive1");
  await identifyInPage(tabA, "Alive2");
  await waitForQueueKeys(tabA, 2);
  // Tab A has tried once and waits for its backoff, so tab B can take the right to send.
  await tabA.waitForTimeout(200);
  await identifyInPage(tabB, "Alive3");
  await waitForQueueKeys(tabB, 3);
  await tabB.waitForTimeout(500);
  await context.setOffline(false);

  await admin.waitForStats((stats) => stats.applied >= 3, "three applied calls");
  await waitForQueueKeys(tabA, 0);
  await tabA.waitForFunction(() => window.outcomes.length === 2, null, { timeout: 20000 });
  await tabB.waitForFunction(() => window.outcomes.length === 1, null, { timeout: 20000 });
  // Both tabs retry at once when the browser is back online, so a second send of a call by the
  // other tab would come within this wait.
  await delay(1500);

  const sendersById = new Map();
  for (const post of await succeeded(posts)) {
    if (!sendersById.has(post.requestId)) sendersById.set(post.requestId, []);
    sendersById.get(post.requestId).push(senderOf(post) === tabA ? "A" : "B");
  }
  assert.equal(sendersById.size, 3);
  for (const [id, senders] of sendersById) {
    assert.equal(senders.length, 1, `call ${id} was sent by tabs ${senders}`);
  }
  const stats = await admin.stats();
  assert.equal(stats.applied, 3);
  assert.equal(stats.repeated, 0);
}

test("tabs alive past 10 s", async () => {
  const context = await browser.newContext();
  try {
    await checkLongLivedTabs(context);
  } finally {
    await context.close();
  }
});

test(
  "lease tabs alive past 10 s",
  async () => {
    const context = await browser.newContext();
    try {
      await context.addInitScript(hideWebLocks);
      await checkLongLivedTabs(context);
    } finally {
      await context.close();
    }
  },
);

test("slow request keeps the lease", { timeout: 60000 }, async () => {
  const context = await browser.newContext();
  try {
    await context.addInitScript(hideWebLocks);
    const tabA = await openBlank(context);
    const tabB = await openBlank(context);
    await initSdk(tabA);
    await initSdk(tabB);
    await identifyInPage(tabA, "Known");
    await tabA.waitForFunction(() => window.outcomes.length === 1, null, { timeout: 20000 });

    // Longer than the 10 s lease and shorter than the 15 s request deadline.
    await admin.setFaults({ count: 1, delayMs: 12000 });
    await identifyInPage(tabA, "Slow");
    await admin.waitForStats((stats) => stats.received >= 2, "the slow call to be in flight");
    await identifyInPage(tabB, "After");
    await tabA.waitForFunction(() => window.outcomes.length === 2, null, { timeout: 30000 });
    await tabB.waitForFunction(() => window.outcomes.length === 1, null, { timeout: 30000 });

    const [{ hgid }] = await tabB.evaluate(() => window.outcomes);
    assert.equal((await getProfile(server.url, hgid)).firstname, "After");
  } finally {
    await context.close();
  }
});

test("reloaded tab's calls go without locks", { timeout: 60000 }, async () => {
  const context = await browser.newContext();
  try {
    await context.addInitScript(hideWebLocks);
    const tabA = await openBlank(context);
    const tabB = await openBlank(context);
    await initSdk(tabA);
    await initSdk(tabB);

    // B holds the lease while it waits to retry; A's calls are stored when A reloads.
    await admin.setFaults({ count: 1, status: 503, retryAfter: "4" });
    await identifyInPage(tabB, "FromB");
    await admin.waitForStats((stats) => stats.faulted >= 1, "B's call to fail once");
    await identifyInPage(tabA, "FromA1");
    await identifyInPage(tabA, "FromA2");
    await waitForQueueKeys(tabA, 3);
    await tabA.reload();
    await initSdk(tabA);

    await admin.waitForStats((stats) => stats.applied >= 3, "the three calls to be applied", 40000);
    await waitForQueueKeys(tabA, 0);
  } finally {
    await context.close();
  }
});
