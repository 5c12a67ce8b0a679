// End-to-end tests of identity storage when localStorage cannot be used, or returns odd values:
// the SDK keeps the hgid in memory for the page's life, warns once, and every identify call
// still succeeds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { browser, getProfile, server, useServerAndBrowser } from "./harness.mjs";
import { identify, initSdk, openBlank, storedHgid, watchConsole, watchIdentify } from "./page-helpers.mjs";

useServerAndBrowser();

/** Fills the page's localStorage with other data until not one more character fits. */
function fillStorage(page) {
  return page.evaluate(() => {
    let chunk = "x".repeat(1 << 20);
    for (let index = 0; chunk.length > 0; ) {
      try {
        localStorage.setItem("site-cache-" + index, chunk);
        index += 1;
      } catch {
        chunk = chunk.slice(0, chunk.length >> 1);
      }
    }
  });
}

/** Returns the stored hgid and the externalId stored as its owner. */
function storedPair(page) {
  return page.evaluate(() => [localStorage.getItem("herogi:hgid"), localStorage.getItem("herogi:externalUserId")]);
}

/** Returns the console warnings about storage, which the SDK's message names as localStorage. */
function storageWarnings(messages) {
  return messages.warnings.filter((text) => text.includes("localStorage"));
}

test("sandboxed frame keeps hgid in memory", async () => {
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    const messages = watchConsole(page);
    const posts = watchIdentify(page);

    const message = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const receive = (event) => resolve({ origin: event.origin, data: event.data });
          window.addEventListener("message", receive, { once: true });
          const frame = document.createElement("iframe");
          frame.setAttribute("sandbox", "allow-scripts");
          frame.src = "/storage-sandboxed.html";
          document.body.append(frame);
        }),
    );

    assert.equal(message.origin, "null");
    assert.equal(message.data.storageError, "SecurityError");
    assert.equal(message.data.error, undefined);
    assert.equal(typeof message.data.first.hgid, "string");
    assert.equal(message.data.second.hgid, message.data.first.hgid);
    assert.equal(posts.length, 2);
    // allHeaders() includes the headers that the browser adds as it sends, such as Origin.
    assert.equal((await posts[0].request.allHeaders()).origin, "null");
    assert.equal("hgid" in posts[0].body, false);
    assert.equal(posts[1].body.hgid, message.data.first.hgid);
    assert.equal(storageWarnings(messages).length, 1);
    assert.deepEqual(messages.errors, []);

    const profile = await getProfile(server.url, message.data.first.hgid);
    assert.equal(profile.firstname, "Sandy");
    assert.equal(profile.city, "Riga");
  } finally {
    await context.close();
  }
});

test("full quota keeps hgid in memory", async () => {
  const context = await browser.newContext();
  try {
    await context.addInitScript(() => {
      Storage.prototype.setItem = function setItem() {
        throw new DOMException("full", "QuotaExceededError");
      };
    });
    const page = await openBlank(context);
    const messages = watchConsole(page);
    const posts = watchIdentify(page);
    await initSdk(page);

    const first = await page.evaluate(() => herogi.identify({ firstname: "Quota" }));
    const second = await page.evaluate(() => herogi.identify({ city: "Tallinn" }));

    assert.equal(typeof first.hgid, "string");
    assert.equal(second.hgid, first.hgid);
    assert.equal(posts.length, 2);
    assert.equal(posts[1].body.hgid, first.hgid);
    assert.equal(await storedHgid(page), null);
    assert.equal(storageWarnings(messages).length, 1);
    assert.deepEqual(messages.errors, []);

    const profile = await getProfile(server.url, first.hgid);
    assert.equal(profile.firstname, "Quota");
    assert.equal(profile.city, "Tallinn");
  } finally {
    await context.close();
  }
});

test("getItem returning String objects keeps hgid", async () => {
  const context = await browser.newContext();
  try {
    // A wrapper of a consent tool or polyfill that returns String objects in place of strings.
    await context.addInitScript(() => {
      const getItem = Storage.prototype.getItem;
      Storage.prototype.getItem = function (key) {
        const value = getItem.call(this, key);
        return value == null ? value : new String(value);
      };
    });
    const page = await openBlank(context);
    const posts = watchIdentify(page);
    await initSdk(page);

    const first = await page.evaluate(() => herogi.identify({ firstname: "Boxed" }));
    const second = await page.evaluate(() => herogi.identify({ city: "Riga" }));

    assert.equal(second.hgid, first.hgid);
    assert.equal(posts[1].body.hgid, first.hgid);
    assert.equal(await page.evaluate(() => herogi.getHgid()), first.hgid);
    assert.equal(await page.evaluate(() => String(localStorage.getItem("herogi:hgid"))), first.hgid);
  } finally {
    await context.close();
  }
});

test("normal run logs no error", async () => {
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    const messages = watchConsole(page);
    await initSdk(page);

    const first = await page.evaluate(() => herogi.identify({ firstname: "Norma" }));
    await page.reload();
    await initSdk(page);
    const second = await page.evaluate(() => herogi.identify({ city: "Turku" }));

    assert.equal(second.hgid, first.hgid);
    assert.deepEqual(messages.errors, []);
    assert.deepEqual(messages.warnings, []);
  } finally {
    await context.close();
  }
});

test("full quota never mixes two identities", async () => {
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    await initSdk(page);
    const alice = await identify(page, "quota-alice", { firstname: "Alice" });
    await fillStorage(page);
    // Bob's hgid has the length of Alice's, so it would fit in her place, but his longer owner would not.
    const bobId = "quota-bob-whose-external-id-is-much-longer-than-alices";
    const bob = await identify(page, bobId, { firstname: "Bob" });

    assert.notEqual(bob.hgid, alice.hgid);
    const [hgid, owner] = await storedPair(page);
    if (hgid === alice.hgid) assert.equal(owner, "quota-alice");
    else if (hgid === bob.hgid) assert.equal(owner, bobId);
    else assert.equal(hgid, null);
    const again = await identify(page, bobId, { lastname: "Again" });
    assert.equal(again.hgid, bob.hgid, "this page keeps Bob's identity in memory");
  } finally {
    await context.close();
  }
});

test("reset is stored on a full quota", async () => {
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    await initSdk(page);
    const alice = await identify(page, "quota-reset-alice", { firstname: "Alice" });
    await fillStorage(page);
    await page.evaluate(() => herogi.reset());

    assert.notEqual(await page.evaluate(() => localStorage.getItem("herogi:visitor")), null);
    assert.deepEqual(await storedPair(page), [null, null]);
    const other = await openBlank(context);
    await initSdk(other);
    const guest = await identify(other, { firstname: "Guest" });
    assert.notEqual(guest.hgid, alice.hgid, "another tab starts from the reset");
  } finally {
    await context.close();
  }
});
