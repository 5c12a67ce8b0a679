// The public functions besides init and identify: reset, getHgid, ready, version, and the error
// classes, against the built script and the real server.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { APP_ID, APP_SECRET, getProfile, root, server, useServerAndBrowser } from "./harness.mjs";
import { initSdk, openBlankInNewContext } from "./page-helpers.mjs";

useServerAndBrowser();

test("getHgid follows the stored visitor", async (t) => {
  const { page } = await openBlankInNewContext(t);
  await initSdk(page);
  const seen = await page.evaluate(async () => {
    await herogi.ready();
    const before = herogi.getHgid();
    const { hgid } = await herogi.identify({ city: "Oslo" });
    return { before, hgid, after: herogi.getHgid() };
  });
  assert.equal(seen.before, null);
  assert.equal(seen.after, seen.hgid);
});

test("getHgid right after ready reads storage", async (t) => {
  const { page } = await openBlankInNewContext(t);
  await initSdk(page);
  const { hgid } = await page.evaluate(() => herogi.identify({ city: "Oslo" }));
  await page.reload();
  // init leaves opening storage until the page is idle; getHgid in the task where ready resolves
  // opens it at once.
  const seen = await page.evaluate(
    ([appId, appSecret]) => {
      herogi.init(appId, appSecret, false, { apiUrl: location.origin });
      return herogi.ready().then(() => herogi.getHgid());
    },
    [APP_ID, APP_SECRET],
  );
  assert.equal(seen, hgid);
});

test("reset starts a new visitor", async (t) => {
  const { page, bodies } = await openBlankInNewContext(t);
  await initSdk(page);
  const seen = await page.evaluate(async () => {
    const first = await herogi.identify("api-reset-alice", { firstname: "Alice" });
    herogi.reset();
    const afterReset = herogi.getHgid();
    const second = await herogi.identify({ firstname: "Guest" });
    return { first: first.hgid, afterReset, second: second.hgid };
  });
  assert.equal(seen.afterReset, null);
  assert.notEqual(seen.second, seen.first);
  assert.equal(bodies.length, 2);
  assert.equal(bodies[1].hgid, undefined, "the call after reset sent the old hgid");
  const alice = await getProfile(server.url, seen.first);
  assert.equal(alice.firstname, "Alice");
  const guest = await getProfile(server.url, seen.second);
  assert.equal(guest.firstname, "Guest");
  assert.equal(guest.externalUserId, undefined);
});

test("call queued before reset keeps old visitor", async (t) => {
  const { page, bodies } = await openBlankInNewContext(t);
  await initSdk(page);
  const seen = await page.evaluate(async () => {
    const first = await herogi.identify({ firstname: "Before" });
    // Not awaited: this call is still queued when reset runs.
    const queued = herogi.identify({ city: "Bergen" });
    herogi.reset();
    const next = await herogi.identify({ city: "Tromso" });
    return { first: first.hgid, queued: (await queued).hgid, next: next.hgid, stored: herogi.getHgid() };
  });
  assert.equal(seen.queued, seen.first);
  assert.notEqual(seen.next, seen.first);
  assert.equal(seen.stored, seen.next);
  assert.equal(bodies[1].hgid, seen.first);
  assert.equal(bodies[2].hgid, undefined);
  const old = await getProfile(server.url, seen.first);
  assert.equal(old.city, "Bergen");
});

test("ready resolves after init", async (t) => {
  const { page } = await openBlankInNewContext(t);
  const order = await page.evaluate(async ([appId, appSecret]) => {
    const events = [];
    const ready = herogi.ready().then(() => events.push("ready"));
    herogi.ready((ok) => events.push(`callback ${ok}`));
    await new Promise((resolve) => setTimeout(resolve, 200));
    events.push("init");
    herogi.init(appId, appSecret, false, { apiUrl: location.origin });
    await ready;
    await new Promise((resolve) => setTimeout(resolve, 0));
    return events;
  }, [APP_ID, APP_SECRET]);
  assert.deepEqual(order, ["init", "ready", "callback true"]);
});

test("version matches package.json", async (t) => {
  const { page } = await openBlankInNewContext(t);
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  assert.equal(await page.evaluate(() => herogi.version), version);
});

test("errors are HerogiError instances", async (t) => {
  const { page } = await openBlankInNewContext(t);
  await initSdk(page);
  const error = await page.evaluate(async () => {
    try {
      await herogi.identify("undefined");
      return null;
    } catch (error) {
      return {
        isHerogiError: error instanceof herogi.HerogiError,
        isError: error instanceof Error,
        name: error.name,
        code: error.code,
        field: error.field,
      };
    }
  });
  assert.deepEqual(error, {
    isHerogiError: true,
    isError: true,
    name: "InvalidArgumentError",
    code: "INVALID_ARGUMENT",
    field: "externalId",
  });
});

test("http error has status and class", async (t) => {
  const { page, messages } = await openBlankInNewContext(t);
  const error = await page.evaluate(async () => {
    herogi.init("e2e-app", "wrong-secret", false, { apiUrl: location.origin });
    try {
      await herogi.identify({ city: "Oslo" });
      return null;
    } catch (error) {
      return { name: error.name, code: error.code, status: error.status };
    }
  });
  assert.deepEqual(error, { name: "HttpError", code: "HTTP_ERROR", status: 401 });
  assert.ok(!messages.all.join("\n").includes("wrong-secret"), "the secret reached the console");
});
