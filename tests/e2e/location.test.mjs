// Location: the Geolocation API asked once at init with askLocation, in real Chromium with the
// permission granted or denied, with the position request left pending, and with
// locationOptin OPTOUT.
import assert from "node:assert/strict";
import { test } from "node:test";
import { APP_ID, APP_SECRET, getProfile, server, useServerAndBrowser } from "./harness.mjs";
import { identify, initSdk, openBlankInNewContext } from "./page-helpers.mjs";

const POSITION = { latitude: 12.12, longitude: 100.31 };
const LOCATION_TEXT = '{"latitude":12.12,"longitude":100.31}';

useServerAndBrowser();

test("granted position is stored", async (t) => {
  const { page, messages, bodies } = await openBlankInNewContext(t, {
    permissions: ["geolocation"],
    geolocation: POSITION,
  });
  await initSdk(page, { askLocation: true });
  const result = await identify(page, "location-granted", { firstname: "Geo" });

  assert.equal(bodies.length, 1);
  assert.equal(bodies[0].currentLocation, LOCATION_TEXT);
  const profile = await getProfile(server.url, result.hgid);
  assert.equal(profile.currentLocation, LOCATION_TEXT);
  assert.equal(profile.firstname, "Geo");
  assert.deepEqual(messages.errors, []);
});

test("locationSubscribe of old init form", async (t) => {
  const { page, bodies } = await openBlankInNewContext(t, {
    permissions: ["geolocation"],
    geolocation: POSITION,
  });
  await page.evaluate(
    ([appId, appSecret, apiUrl]) =>
      herogi.init({ appId, appSecret, apiUrl }, { locationSubscribe: true }),
    [APP_ID, APP_SECRET, server.url],
  );
  const result = await identify(page, "location-subscribe");

  assert.equal(bodies[0].currentLocation, LOCATION_TEXT);
  const profile = await getProfile(server.url, result.hgid);
  assert.equal(profile.currentLocation, LOCATION_TEXT);
});

test("no askLocation sends no position", async (t) => {
  const { page, bodies } = await openBlankInNewContext(t, {
    permissions: ["geolocation"],
    geolocation: POSITION,
  });
  await initSdk(page);
  const result = await identify(page, "location-not-asked");

  assert.equal(bodies.length, 1);
  assert.equal(bodies[0].currentLocation, undefined);
  const profile = await getProfile(server.url, result.hgid);
  assert.equal(profile.currentLocation, undefined);
});

test("denied permission still identifies", async (t) => {
  // Without a granted permission, headless Chromium denies the request.
  const { page, messages, bodies } = await openBlankInNewContext(t);
  await initSdk(page, { askLocation: true });
  const result = await identify(page, "location-denied", { city: "Hua Hin" });
  const second = await identify(page, { lastname: "Denied" });

  assert.equal(second.hgid, result.hgid);
  assert.equal(bodies.length, 2);
  for (const body of bodies) assert.equal(body.currentLocation, undefined);
  const profile = await getProfile(server.url, result.hgid);
  assert.equal(profile.currentLocation, undefined);
  assert.equal(profile.city, "Hua Hin");
  assert.equal(profile.lastname, "Denied");
  assert.deepEqual(messages.errors, []);
});

test("pending position does not block identify", async (t) => {
  // With the permission granted but no emulated position, Chromium has no position source on
  // loopback and leaves getCurrentPosition unanswered, so the call waits for it and gives up.
  const { page, messages, bodies } = await openBlankInNewContext(t, { permissions: ["geolocation"] });
  await page.evaluate(() => {
    window.pageProbe = "no answer";
    navigator.geolocation.getCurrentPosition(
      () => (window.pageProbe = "position"),
      (error) => (window.pageProbe = "error " + error.code),
    );
  });
  await initSdk(page, { askLocation: true });
  const result = await identify(page, "location-pending", { firstname: "Pending" });

  // The page's own request, made before the SDK's, is still pending, so Chromium had no
  // position to give the SDK either.
  assert.equal(await page.evaluate(() => window.pageProbe), "no answer");
  assert.equal(bodies.length, 1);
  assert.equal(bodies[0].currentLocation, undefined);
  const profile = await getProfile(server.url, result.hgid);
  assert.equal(profile.currentLocation, undefined);
  assert.equal(profile.firstname, "Pending");
  assert.deepEqual(messages.errors, []);
});

test("unanswered prompt does not block identify", async (t) => {
  // Headless Chromium denies a permission prompt at once, also after CDP Browser.setPermission
  // with "prompt", so a visitor who never responds to the prompt is modelled by a
  // getCurrentPosition that never calls back.
  const { context, page, messages, bodies } = await openBlankInNewContext(t);
  await context.addInitScript(() => {
    window.positionRequests = 0;
    navigator.geolocation.getCurrentPosition = function () {
      window.positionRequests += 1;
    };
  });
  await page.reload();
  await initSdk(page, { askLocation: true });
  const result = await identify(page, "location-unanswered", { firstname: "Silent" });

  assert.equal(await page.evaluate(() => window.positionRequests), 1);
  assert.equal(bodies.length, 1);
  assert.equal(bodies[0].currentLocation, undefined);
  const profile = await getProfile(server.url, result.hgid);
  assert.equal(profile.currentLocation, undefined);
  assert.equal(profile.firstname, "Silent");
  assert.deepEqual(messages.errors, []);
});

test("OPTOUT keeps position out and is remembered", async (t) => {
  const { page, messages, bodies } = await openBlankInNewContext(t, {
    permissions: ["geolocation"],
    geolocation: POSITION,
  });
  await initSdk(page, { askLocation: true });
  const first = await identify(page, "location-optout", { firstname: "Private" }, null, {
    locationOptin: "OPTOUT",
  });
  const second = await identify(page, { city: "Chiang Mai" });

  await page.reload();
  await initSdk(page, { askLocation: true });
  const third = await identify(page, { lastname: "Still private" });

  assert.equal(second.hgid, first.hgid);
  assert.equal(third.hgid, first.hgid);
  assert.equal(bodies.length, 3);
  assert.equal(bodies[0].locationOptin, "OPTOUT");
  assert.equal(bodies[0].currentLocation, undefined, "first call, with OPTOUT");
  assert.equal(bodies[1].locationOptin, undefined);
  assert.equal(bodies[1].currentLocation, undefined, "later call on the same page");
  assert.equal(bodies[2].locationOptin, undefined);
  assert.equal(bodies[2].currentLocation, undefined, "call after a reload");

  const profile = await getProfile(server.url, first.hgid);
  assert.equal(profile.currentLocation, undefined);
  assert.equal(profile.locationOptin, "OPTOUT");
  assert.equal(profile.lastname, "Still private");
  assert.deepEqual(messages.errors, []);
});

test("OPTIN after OPTOUT sends position again", async (t) => {
  const { page, bodies } = await openBlankInNewContext(t, {
    permissions: ["geolocation"],
    geolocation: POSITION,
  });
  await initSdk(page, { askLocation: true });
  const first = await identify(page, "location-optin-again", null, null, { locationOptin: "optout" });
  const second = await identify(page, null, null, null, { locationOptin: "OPT-IN" });

  assert.equal(second.hgid, first.hgid);
  assert.equal(bodies[0].currentLocation, undefined);
  assert.equal(bodies[1].locationOptin, "OPTIN");
  assert.equal(bodies[1].currentLocation, LOCATION_TEXT);
  const profile = await getProfile(server.url, first.hgid);
  assert.equal(profile.currentLocation, LOCATION_TEXT);
});

test("queued OPTOUT ignores later OPTIN", async (t) => {
  const { page, bodies } = await openBlankInNewContext(t, {
    permissions: ["geolocation"],
    geolocation: POSITION,
  });
  await initSdk(page, { askLocation: true });
  const [first, second] = await page.evaluate(() =>
    Promise.all([
      herogi.identify("location-queued-optout", null, null, { locationOptin: "OPTOUT" }),
      herogi.identify("location-queued-optout", null, null, { locationOptin: "OPTIN" }),
    ]),
  );

  assert.equal(second.hgid, first.hgid);
  assert.equal(bodies.length, 2);
  assert.equal(bodies[0].locationOptin, "OPTOUT");
  assert.equal(bodies[0].currentLocation, undefined, "the OPTOUT call carried a position");
  assert.equal(bodies[1].currentLocation, LOCATION_TEXT);
});

test("OPTOUT seen across tabs", async (t) => {
  const { context, page, bodies } = await openBlankInNewContext(t, {
    permissions: ["geolocation"],
    geolocation: POSITION,
  });
  await initSdk(page, { askLocation: true });
  const other = await context.newPage();
  await other.goto(server.url + "/blank.html");
  await initSdk(other, { askLocation: true });
  await identify(other, "location-other-tab", null, null, { locationOptin: "OPTOUT" });

  await identify(page, { city: "Lampang" });
  assert.equal(bodies.length, 1);
  assert.equal(bodies[0].city, "Lampang");
  assert.equal(bodies[0].currentLocation, undefined, "the other tab's OPTOUT was not seen");
});

test("OPTIN after reload asks again", async (t) => {
  const { page, bodies } = await openBlankInNewContext(t, {
    permissions: ["geolocation"],
    geolocation: POSITION,
  });
  await initSdk(page, { askLocation: true });
  await identify(page, "location-optin-reload", null, null, { locationOptin: "OPTOUT" });
  await page.reload();
  await initSdk(page, { askLocation: true });
  await identify(page, null, null, null, { locationOptin: "OPTIN" });
  await identify(page, { city: "Hat Yai" });

  assert.equal(bodies.length, 3);
  assert.equal(bodies[0].currentLocation, undefined);
  assert.equal(bodies[1].currentLocation, LOCATION_TEXT, "the OPTIN call had no position");
  assert.equal(bodies[2].currentLocation, LOCATION_TEXT);
});

test("unreadable position is left out", async (t) => {
  const { page, messages, bodies } = await openBlankInNewContext(t);
  await page.evaluate(() => {
    // A position whose getter throws, as a privacy extension's stand-in may give.
    const position = {
      get coords() {
        throw new Error("position withheld");
      },
    };
    const geolocation = { getCurrentPosition: (success) => setTimeout(() => success(position), 10) };
    Object.defineProperty(Navigator.prototype, "geolocation", { get: () => geolocation });
  });
  await initSdk(page, { askLocation: true });
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200)));
  await identify(page, "location-unreadable", { firstname: "Geo" });

  assert.equal(bodies.length, 1);
  assert.equal(bodies[0].currentLocation, undefined);
  assert.deepEqual(messages.errors, []);
});

test("OPTOUT holds when storage writes fail", async (t) => {
  const { context, page, bodies } = await openBlankInNewContext(t, {
    permissions: ["geolocation"],
    geolocation: POSITION,
  });
  await context.addInitScript(() => {
    Storage.prototype.setItem = function setItem() {
      throw new DOMException("full", "QuotaExceededError");
    };
  });
  await page.reload();
  await initSdk(page, { askLocation: true });
  await identify(page, "location-optout-full", { firstname: "Full" });
  await identify(page, null, null, null, { locationOptin: "OPTOUT" });
  await identify(page, { city: "After opt-out" });

  assert.equal(bodies.length, 3);
  assert.equal(bodies[1].currentLocation, undefined, "the call with OPTOUT");
  assert.equal(bodies[2].currentLocation, undefined, "the call after it");
});
