// End-to-end tests of the visitor's identity: which hgid each identify call sends, what the SDK
// keeps in localStorage, and what the real herogi-server stores.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import {
  APP_ID,
  APP_SECRET,
  browser,
  getProfile,
  identifyDirect,
  queryDatabase,
  server,
  uniqueId,
  useServerAndBrowser,
} from "./harness.mjs";
import {
  initSdk,
  openBlank,
  statuses,
  storeHgidBeforeLoad,
  storedHgid,
  watchConsole,
  watchIdentify,
} from "./page-helpers.mjs";

useServerAndBrowser();

/** Counts the profiles in the server's database, which stores one row per profile. */
function countProfiles() {
  return Number(queryDatabase(server.dbPath, "SELECT count(*) FROM profiles")[0]);
}

function storedOwner(page) {
  return page.evaluate(() => localStorage.getItem("herogi:externalUserId"));
}

/** Returns a loopback port that was free a moment ago, so a request to it is refused. */
async function closedPort() {
  const listener = createServer();
  await new Promise((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const { port } = listener.address();
  await new Promise((resolve) => listener.close(resolve));
  return port;
}

test("first visit creates one profile", async () => {
  const context = await browser.newContext({ timezoneId: "America/New_York", locale: "fr-FR" });
  try {
    const page = await openBlank(context);
    const posts = watchIdentify(page);
    await initSdk(page);
    const profilesBefore = countProfiles();

    const result = await page.evaluate(() =>
      herogi.identify({
        email: " ann@example.com ",
        firstName: "  Ann  ",
        gender: "female",
        mobileNo: "+1 (415) 555-0100",
      }),
    );

    assert.equal(typeof result.hgid, "string");
    assert.ok(result.hgid.length > 0);
    assert.deepEqual(result.dropped, []);
    assert.equal(countProfiles(), profilesBefore + 1);
    assert.equal(posts.length, 1);
    assert.equal("hgid" in posts[0].body, false);
    assert.equal(await storedHgid(page), result.hgid);

    const profile = await getProfile(server.url, result.hgid);
    assert.ok(profile);
    assert.equal(profile.email, "ann@example.com");
    assert.equal(profile.firstname, "Ann");
    assert.equal(profile.gender, "FEMALE");
    assert.equal(profile.mobileNo, "+14155550100");
    assert.equal(profile.timezone, "America/New_York");
    assert.equal(profile.language, "FR");
    assert.equal(profile.externalUserId, undefined);
  } finally {
    await context.close();
  }
});

test("time zone without Temporal", async () => {
  const context = await browser.newContext({ timezoneId: "Asia/Tokyo" });
  try {
    // Browsers without Temporal give the time zone through Intl only.
    await context.addInitScript(() => {
      delete globalThis.Temporal;
    });
    const page = await openBlank(context);
    const posts = watchIdentify(page);
    await initSdk(page);
    const hasTemporal = await page.evaluate(() => typeof Temporal !== "undefined");
    assert.equal(hasTemporal, false);

    await page.evaluate(() => herogi.identify({ firstname: "Aiko" }));
    assert.equal(posts.length, 1);
    assert.equal(posts[0].body.timezone, "Asia/Tokyo");
  } finally {
    await context.close();
  }
});

test("reload keeps the hgid", async () => {
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    await initSdk(page);
    const first = await page.evaluate(() => herogi.identify({ firstname: "Ruth" }));

    await page.reload();
    const posts = watchIdentify(page);
    await initSdk(page);
    const second = await page.evaluate(() => herogi.identify({ city: "Lyon" }));

    assert.equal(second.hgid, first.hgid);
    assert.equal(posts.length, 1);
    assert.equal(posts[0].body.hgid, first.hgid);
    assert.equal(await storedHgid(page), first.hgid);
    const profile = await getProfile(server.url, first.hgid);
    assert.equal(profile.city, "Lyon");
    assert.equal(profile.firstname, "Ruth");
  } finally {
    await context.close();
  }
});

test("known externalId switches hgid", async () => {
  const known = uniqueId("known");
  const direct = await identifyDirect(server.url, {
    externalUserId: known,
    email: "known@example.com",
  });
  assert.equal(direct.status, 200);
  const knownHgid = direct.body.hgid;

  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    await initSdk(page);
    const anonymous = await page.evaluate(() => herogi.identify({ firstname: "Kim" }));
    assert.notEqual(anonymous.hgid, knownHgid);

    const posts = watchIdentify(page);
    const loggedIn = await page.evaluate((id) => herogi.identify(id), known);

    assert.equal(loggedIn.hgid, knownHgid);
    assert.equal(posts.length, 1);
    assert.equal(posts[0].body.hgid, anonymous.hgid);
    assert.equal(await storedHgid(page), knownHgid);
    assert.equal(await storedOwner(page), known);
    const profile = await getProfile(server.url, knownHgid);
    assert.equal(profile.externalUserId, known);
    assert.equal(profile.email, "known@example.com");
  } finally {
    await context.close();
  }
});

test("login keeps anonymous profile", async () => {
  const alice = uniqueId("alice");
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    await initSdk(page);
    const anonymous = await page.evaluate(() => herogi.identify({ firstname: "Alice" }));
    const posts = watchIdentify(page);
    const loggedIn = await page.evaluate(
      (id) => herogi.identify(id, { lastname: "Liddell" }),
      alice,
    );

    assert.equal(loggedIn.hgid, anonymous.hgid);
    assert.equal(posts.length, 1);
    assert.equal(posts[0].body.hgid, anonymous.hgid);
    assert.equal(posts[0].body.externalUserId, alice);
    assert.equal(await storedHgid(page), anonymous.hgid);
    assert.equal(await storedOwner(page), alice);
    const profile = await getProfile(server.url, anonymous.hgid);
    assert.equal(profile.externalUserId, alice);
    assert.equal(profile.firstname, "Alice");
    assert.equal(profile.lastname, "Liddell");
  } finally {
    await context.close();
  }
});

test("two people on one browser", async () => {
  const alice = uniqueId("alice");
  const bob = uniqueId("bob");
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    const posts = watchIdentify(page);
    await initSdk(page);
    const first = await page.evaluate((id) => herogi.identify(id), alice);
    const second = await page.evaluate((id) => herogi.identify(id), bob);

    assert.notEqual(second.hgid, first.hgid);
    assert.equal(posts.length, 2);
    assert.equal("hgid" in posts[1].body, false);
    assert.equal(posts[1].body.externalUserId, bob);
    assert.equal(await storedHgid(page), second.hgid);
    assert.equal(await storedOwner(page), bob);
    const aliceProfile = await getProfile(server.url, first.hgid);
    assert.equal(aliceProfile.externalUserId, alice);
    const bobProfile = await getProfile(server.url, second.hgid);
    assert.equal(bobProfile.externalUserId, bob);
  } finally {
    await context.close();
  }
});

test("two quick calls, one profile", async () => {
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    const posts = watchIdentify(page);
    await initSdk(page);
    const profilesBefore = countProfiles();

    const [first, second] = await page.evaluate(() => {
      const firstCall = herogi.identify({ firstname: "Quinn" });
      const secondCall = herogi.identify({ lastname: "Quick" });
      return Promise.all([firstCall, secondCall]);
    });

    assert.equal(second.hgid, first.hgid);
    assert.equal(countProfiles(), profilesBefore + 1);
    assert.equal(posts.length, 2);
    assert.equal("hgid" in posts[0].body, false);
    assert.equal(posts[1].body.hgid, first.hgid);
    const profile = await getProfile(server.url, first.hgid);
    assert.equal(profile.firstname, "Quinn");
    assert.equal(profile.lastname, "Quick");
  } finally {
    await context.close();
  }
});

test("stale hgid is replaced", async () => {
  const stale = randomUUID();
  assert.equal(await getProfile(server.url, stale), null);
  const context = await browser.newContext();
  try {
    await storeHgidBeforeLoad(context, stale);
    const page = await openBlank(context);
    const posts = watchIdentify(page);
    await initSdk(page);

    const result = await page.evaluate(() => herogi.identify({ firstname: "Stella" }));

    assert.notEqual(result.hgid, stale);
    assert.equal(await storedHgid(page), result.hgid);
    assert.equal(posts.length, 2);
    assert.deepEqual(await statuses(posts), [404, 200]);
    assert.equal(posts[0].body.hgid, stale);
    assert.equal("hgid" in posts[1].body, false);
    assert.equal(JSON.stringify(posts[1].body).includes(stale), false);
    const profile = await getProfile(server.url, result.hgid);
    assert.equal(profile.firstname, "Stella");
  } finally {
    await context.close();
  }
});

/** Creates a profile with `email` through the API, as the old script did, and returns its hgid. */
async function oldScriptHgid(email) {
  const direct = await identifyDirect(server.url, { email });
  assert.equal(direct.status, 200);
  return direct.body.hgid;
}

test("old _hgid cookie is adopted", async () => {
  const oldHgid = await oldScriptHgid("cookie@example.com");

  const context = await browser.newContext();
  try {
    await context.addCookies([{ name: "_hgid", value: oldHgid, url: server.url }]);
    const page = await openBlank(context);
    const posts = watchIdentify(page);
    await initSdk(page);

    const result = await page.evaluate(() => herogi.identify({ city: "Oslo" }));

    assert.equal(result.hgid, oldHgid);
    assert.equal(posts.length, 1);
    assert.equal(posts[0].body.hgid, oldHgid);
    assert.equal(await storedHgid(page), oldHgid);
    const profile = await getProfile(server.url, oldHgid);
    assert.equal(profile.email, "cookie@example.com");
    assert.equal(profile.city, "Oslo");
  } finally {
    await context.close();
  }
});

test("empty narrower _hgid cookie is skipped", async () => {
  const oldHgid = await oldScriptHgid("cookie-path@example.com");

  const context = await browser.newContext();
  try {
    // document.cookie lists the cookie of the longer path first.
    const { hostname } = new URL(server.url);
    await context.addCookies([
      { name: "_hgid", value: oldHgid, domain: hostname, path: "/" },
      { name: "_hgid", value: "", domain: hostname, path: "/blank.html" },
    ]);
    const page = await openBlank(context);
    assert.match(await page.evaluate(() => document.cookie), /^_hgid=; _hgid=/);
    await initSdk(page);

    const result = await page.evaluate(() => herogi.identify({ city: "Lisbon" }));

    assert.equal(result.hgid, oldHgid);
    assert.equal((await getProfile(server.url, oldHgid)).city, "Lisbon");
  } finally {
    await context.close();
  }
});

test("_hgid cookie is trimmed as the field rules trim", async () => {
  const oldHgid = await oldScriptHgid("cookie-space@example.com");

  const context = await browser.newContext();
  try {
    // U+0085 (NEXT LINE) is white space to the field rules, which trim it, but not to
    // JavaScript's String.prototype.trim.
    await context.addCookies([{ name: "_hgid", value: `${oldHgid}%C2%85`, url: server.url }]);
    const page = await openBlank(context);
    await initSdk(page);

    const result = await page.evaluate(() => herogi.identify({ city: "Vilnius" }));

    assert.equal(result.hgid, oldHgid);
    assert.equal(await storedHgid(page), oldHgid);
  } finally {
    await context.close();
  }
});

test("server hgid with a line break is rejected", async () => {
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    const posts = watchIdentify(page);
    // A faulty proxy responds to the first call with an hgid that breaks the field rules.
    let answered = false;
    await page.route("**/v1/identify", (route) => {
      if (answered) return route.continue();
      answered = true;
      return route.fulfill({ status: 200, contentType: "application/json", body: '{"hgid":"h-1\\nalice"}' });
    });
    await initSdk(page);

    const first = await page.evaluate(() =>
      herogi.identify("alice", { city: "Oslo" }).then(
        () => "fulfilled",
        (error) => error.code,
      ),
    );
    const hgidAfterFirst = await page.evaluate(() => herogi.getHgid());
    const second = await page.evaluate(() => herogi.identify("alice", { city: "Bergen" }));

    assert.equal(first, "BAD_RESPONSE");
    assert.equal(hgidAfterFirst, null);
    assert.equal(posts[1].body.hgid, undefined);
    assert.equal(await storedHgid(page), second.hgid);
    assert.equal((await getProfile(server.url, second.hgid)).city, "Bergen");
  } finally {
    await context.close();
  }
});

test("callback form reports both outcomes", async () => {
  const user = uniqueId("u");
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    const messages = watchConsole(page);
    const posts = watchIdentify(page);
    await initSdk(page);

    const success = await page.evaluate(
      (id) =>
        new Promise((resolve) => {
          herogi.identify(id, { email: "x@y.co" }, null, null, (ok, data) => resolve({ ok, data }));
        }),
      user,
    );
    assert.equal(success.ok, true);
    assert.equal(typeof success.data, "string");
    assert.equal(await storedHgid(page), success.data);
    const profile = await getProfile(server.url, success.data);
    assert.equal(profile.externalUserId, user);
    assert.equal(profile.email, "x@y.co");
    assert.equal(posts.length, 1);

    const failure = await page.evaluate(async () => {
      const unhandled = [];
      let controlSeen;
      const control = new Promise((resolve) => {
        controlSeen = resolve;
      });
      window.addEventListener("unhandledrejection", (event) => {
        const isControl = event.reason?.message === "control rejection";
        unhandled.push(isControl ? "control" : String(event.reason?.code ?? event.reason));
        if (isControl) {
          event.preventDefault();
          controlSeen();
        }
      });

      const outcome = await new Promise((resolve) => {
        herogi.identify("undefined", { email: "x@y.co" }, null, null, (ok, error) =>
          resolve({ ok, code: error?.code, field: error?.field, message: error?.message }),
        );
      });
      // The browser reports unhandled rejections in the order they happened, so once this
      // deliberate one is reported, an unhandled rejection of the call above would be too.
      Promise.reject(new Error("control rejection"));
      await control;
      return { ...outcome, unhandled };
    });
    assert.equal(failure.ok, false);
    assert.equal(failure.code, "INVALID_ARGUMENT");
    assert.equal(failure.field, "externalId");
    assert.equal(typeof failure.message, "string");
    assert.deepEqual(failure.unhandled, ["control"]);

    // Calls are sent in order, so once a later valid call has been sent, a request for the
    // invalid one would have been seen before it.
    await page.evaluate(() => herogi.identify({ city: "Bergen" }));
    assert.equal(posts.length, 2);
    assert.equal(posts[1].body.city, "Bergen");
    assert.equal(posts[1].body.externalUserId, undefined);
    assert.deepEqual(messages.errors, []);
  } finally {
    await context.close();
  }
});

test("null externalId does not shift", async () => {
  const forms = [
    { nullFirst: true, attributes: { firstname: "Nell" }, custom: { plan: "gold" } },
    { nullFirst: false, attributes: { firstname: "Abel" }, custom: { plan: "silver" } },
  ];
  for (const form of forms) {
    const label = form.nullFirst
      ? "identify(null, attrs, custom, prefs, cb)"
      : "identify(attrs, custom, prefs, cb)";
    const context = await browser.newContext();
    try {
      const page = await openBlank(context);
      await initSdk(page);
      const result = await page.evaluate(
        ({ nullFirst, attributes, custom }) =>
          new Promise((resolve) => {
            const preferences = { emailOptin: "OPTOUT" };
            const callback = (ok, data) => resolve({ ok, data });
            if (nullFirst) herogi.identify(null, attributes, custom, preferences, callback);
            else herogi.identify(attributes, custom, preferences, callback);
          }),
        form,
      );

      assert.equal(result.ok, true, label);
      const profile = await getProfile(server.url, result.data);
      assert.equal(profile.firstname, form.attributes.firstname, label);
      assert.equal(profile.customAttributes.plan, form.custom.plan, label);
      assert.equal(profile.emailOptin, "OPTOUT", label);
      assert.equal(profile.externalUserId, undefined, label);
    } finally {
      await context.close();
    }
  }
});

test("init twice keeps first apiUrl", async () => {
  const port = await closedPort();
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    const messages = watchConsole(page);
    const posts = watchIdentify(page);
    await initSdk(page);
    await page.evaluate(
      ([appId, appSecret, apiUrl]) => {
        herogi.init(appId, appSecret, false, { apiUrl });
        herogi.init(appId, appSecret, false, { apiUrl });
      },
      [APP_ID, APP_SECRET, `http://127.0.0.1:${port}`],
    );

    const result = await page.evaluate(() => herogi.identify({ firstname: "Ines" }));

    const initWarnings = messages.warnings.filter((text) => text.includes("init"));
    assert.equal(initWarnings.length, 1);
    assert.equal(posts.length, 1);
    assert.equal(new URL(posts[0].request.url()).origin, server.url);
    const profile = await getProfile(server.url, result.hgid);
    assert.equal(profile.firstname, "Ines");
  } finally {
    await context.close();
  }
});

test("calls before init are kept", async () => {
  const context = await browser.newContext();
  try {
    const page = await openBlank(context);
    const posts = watchIdentify(page);

    const { result, order } = await page.evaluate(
      async ([appId, appSecret]) => {
        const order = [];
        const pending = herogi.identify({ firstname: "Early" });
        setTimeout(() => {
          order.push("init");
          herogi.init(appId, appSecret, false, { apiUrl: location.origin });
        }, 300);
        const result = await pending;
        order.push("resolved");
        return { result, order };
      },
      [APP_ID, APP_SECRET],
    );

    assert.deepEqual(order, ["init", "resolved"]);
    assert.equal(typeof result.hgid, "string");
    assert.equal(posts.length, 1);
    const profile = await getProfile(server.url, result.hgid);
    assert.equal(profile.firstname, "Early");
  } finally {
    await context.close();
  }
});
