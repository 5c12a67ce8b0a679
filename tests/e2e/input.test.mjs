// Input handling of the public calls: invalid values dropped and reported, calls of the wrong
// shape rejected without a request, values JSON cannot hold, __proto__ keys, hostile arguments
// that must never throw into the page, and apiUrl values that are not safe.
import assert from "node:assert/strict";
import { test } from "node:test";
import { APP_ID, APP_SECRET, getProfile, server, useServerAndBrowser } from "./harness.mjs";
import { identify, initSdk, openBlankInNewContext } from "./page-helpers.mjs";

useServerAndBrowser();

test("invalid values are dropped, valid ones stored", async (t) => {
  const { page, messages, bodies } = await openBlankInNewContext(t);
  await initSdk(page);
  const result = await identify(
    page,
    "input-dropped",
    {
      email: "no-at-sign",
      firstname: "  Ada  ",
      country: "EN",
      gender: "robot",
      mobileNo: "+1 (202) 555-0143",
      language: "en-US",
    },
    { plan: "pro" },
    { emailOptin: "maybe", smsOptin: "opt-out" },
  );

  const byField = Object.fromEntries(result.dropped.map((entry) => [entry.field, entry]));
  assert.deepEqual(Object.keys(byField).sort(), ["country", "email", "emailOptin", "gender"]);
  assert.equal(byField.email.value, "no-at-sign");
  assert.equal(byField.country.value, "EN");
  assert.equal(byField.gender.value, "robot");
  assert.equal(byField.emailOptin.value, "maybe");
  for (const entry of result.dropped) {
    assert.equal(typeof entry.reason, "string");
    assert.ok(entry.reason.length > 0, `empty reason for ${entry.field}`);
  }

  assert.equal(messages.warnings.length, 1, messages.all.join("\n"));
  for (const field of ["email", "country", "gender", "emailOptin"]) {
    assert.ok(messages.warnings[0].includes(field), `the warning does not name ${field}`);
  }
  for (const quoted of ['email "no-at-sign" is not', 'country "EN" is not', 'gender "robot" must']) {
    assert.ok(messages.warnings[0].includes(quoted), `the warning does not contain ${quoted}`);
  }

  assert.equal(bodies.length, 1);
  for (const field of ["email", "country", "gender", "emailOptin"]) {
    assert.equal(bodies[0][field], undefined, `${field} was sent`);
  }
  const profile = await getProfile(server.url, result.hgid);
  assert.equal(profile.externalUserId, "input-dropped");
  assert.equal(profile.firstname, "Ada");
  assert.equal(profile.mobileNo, "+12025550143");
  assert.equal(profile.language, "EN");
  assert.equal(profile.smsOptin, "OPTOUT");
  assert.equal(profile.email, undefined);
  assert.equal(profile.country, undefined);
  assert.equal(profile.gender, undefined);
  assert.equal(profile.emailOptin, "OPTIN", "the server's default, as emailOptin was dropped");
  assert.deepEqual(profile.customAttributes, { plan: "pro" });
  assert.deepEqual(messages.errors, []);
});

test("wrong call shape rejects without request", async (t) => {
  const { page, messages, bodies } = await openBlankInNewContext(t);
  await initSdk(page);
  const cases = [
    { args: ["u1", "not an object"], field: "userAttributes" },
    { args: [[1]], field: "externalId" },
    { args: [""], field: "externalId" },
    { args: ["undefined"], field: "externalId" },
    { args: ["  "], field: "externalId" },
    { args: ["null"], field: "externalId" },
    { args: ["u1", { email: "a@b.co" }, "plan=pro"], field: "customAttributes" },
    { args: ["u1", null, null, 42], field: "preferences" },
  ];
  const outcomes = await page.evaluate(async (list) => {
    const results = [];
    for (const { args } of list) {
      try {
        const value = await herogi.identify(...args);
        results.push({ resolved: value });
      } catch (error) {
        results.push({
          isError: error instanceof Error,
          code: error.code,
          field: error.field,
          message: error.message,
        });
      }
    }
    return results;
  }, cases);

  cases.forEach(({ args, field }, index) => {
    const label = `identify(${JSON.stringify(args).slice(1, -1)})`;
    assert.equal(outcomes[index].resolved, undefined, `${label} resolved`);
    assert.equal(outcomes[index].isError, true, `${label} rejected with a non-Error`);
    assert.equal(outcomes[index].code, "INVALID_ARGUMENT", label);
    assert.equal(outcomes[index].field, field, label);
    assert.ok(outcomes[index].message.length > 0, `${label} has no message`);
  });

  // Calls go out in order, so once a later valid call has resolved, any request made for the
  // invalid calls would already have been recorded.
  await identify(page, "input-shape-valid");
  assert.equal(bodies.length, 1);
  assert.equal(bodies[0].externalUserId, "input-shape-valid");
  assert.deepEqual(messages.errors, []);
});

test("wrong call shape reaches the callback", async (t) => {
  const { page, messages, bodies } = await openBlankInNewContext(t);
  await initSdk(page);
  const outcome = await page.evaluate(
    () =>
      new Promise((resolve) => {
        herogi.identify("", { firstname: "Nobody" }, (ok, data) =>
          resolve({ ok, code: data.code, field: data.field }),
        );
      }),
  );

  assert.deepEqual(outcome, { ok: false, code: "INVALID_ARGUMENT", field: "externalId" });
  await identify(page, "input-callback-valid");
  assert.equal(bodies.length, 1);
  // With a callback, the rejected Promise must not surface as an unhandled rejection.
  assert.deepEqual(messages.errors, []);
});

const UNSUPPORTED_CUSTOM_VALUES = [
  "a BigInt",
  "a cycle",
  "a function",
  "Infinity",
  "NaN",
  "a symbol",
  "nested -Infinity",
];

for (const name of UNSUPPORTED_CUSTOM_VALUES) {
  test(`customAttributes with ${name} dropped whole`, async (t) => {
    const { page, messages, bodies } = await openBlankInNewContext(t);
    await initSdk(page);
    const outcome = await page.evaluate(async (kind) => {
      const custom = { plan: "pro" };
      if (kind === "a BigInt") custom.score = 10n;
      if (kind === "a cycle") custom.score = { parent: custom };
      if (kind === "a function") custom.score = () => 1;
      if (kind === "Infinity") custom.score = Infinity;
      if (kind === "NaN") custom.score = NaN;
      if (kind === "a symbol") custom.score = Symbol("score");
      if (kind === "nested -Infinity") custom.score = { list: [1, -Infinity] };
      const externalId = "input-custom-" + kind.replace(/\W+/g, "-");
      const result = await herogi.identify(externalId, { firstname: "Kept" }, custom);
      return {
        hgid: result.hgid,
        dropped: result.dropped.map((entry) => ({
          field: entry.field,
          reason: entry.reason,
          isTheArgument: entry.value === custom,
        })),
      };
    }, name);

    assert.equal(outcome.dropped.length, 1);
    assert.equal(outcome.dropped[0].field, "customAttributes");
    assert.equal(outcome.dropped[0].isTheArgument, true);
    assert.ok(outcome.dropped[0].reason.length > 0);
    assert.equal(messages.warnings.length, 1, messages.all.join("\n"));

    assert.equal(bodies.length, 1);
    assert.equal(bodies[0].customAttributes, undefined);
    const profile = await getProfile(server.url, outcome.hgid);
    assert.equal(profile.firstname, "Kept");
    assert.deepEqual(profile.customAttributes, {});
    assert.deepEqual(messages.errors, []);
  });
}

test("__proto__ key is sent as data", async (t) => {
  const { page, messages, bodies } = await openBlankInNewContext(t);
  await initSdk(page);
  const outcome = await page.evaluate(async () => {
    const custom = JSON.parse(
      '{"__proto__": {"polluted": "yes"}, "plan": "pro", "score": {"__proto__": {"polluted": "nested"}}}',
    );
    const user = JSON.parse(
      '{"__proto__": {"email": "inherited@example.com"}, "firstname": "Proto"}',
    );
    const result = await herogi.identify("input-proto", user, custom);
    return {
      hgid: result.hgid,
      fromEmptyObject: ({}).polluted,
      fromPrototype: Object.prototype.polluted,
      emailFromPrototype: Object.prototype.email,
    };
  });

  assert.equal(outcome.fromEmptyObject, undefined);
  assert.equal(outcome.fromPrototype, undefined);
  assert.equal(outcome.emailFromPrototype, undefined);

  assert.equal(bodies.length, 1);
  assert.equal(bodies[0].email, undefined, "an email was read from a __proto__ key");
  const sent = JSON.parse(bodies[0].customAttributes);
  const ownProto = (object) => Object.getOwnPropertyDescriptor(object, "__proto__")?.value;
  assert.deepEqual(ownProto(sent), { polluted: "yes" });
  assert.equal(sent.plan, "pro");
  assert.deepEqual(ownProto(sent.score), { polluted: "nested" });

  // The server keeps only the app's keys, plan and score, and score keeps its __proto__ key.
  const profile = await getProfile(server.url, outcome.hgid);
  assert.equal(profile.firstname, "Proto");
  assert.deepEqual(Object.keys(profile.customAttributes).sort(), ["plan", "score"]);
  assert.deepEqual(ownProto(profile.customAttributes.score), { polluted: "nested" });
  assert.deepEqual(messages.errors.filter((text) => text.startsWith("pageerror")), []);
});

test("throwing getter dropped as unreadable", async (t) => {
  const { page, messages, bodies } = await openBlankInNewContext(t);
  await initSdk(page);
  const result = await page.evaluate(() =>
    herogi.identify(
      "input-unreadable",
      {
        get email() {
          throw new Error("email getter");
        },
        get city() {
          throw "city getter";
        },
        get lastname() {
          throw 42;
        },
        firstname: "Readable",
      },
      null,
      new Proxy({ smsOptin: "OPTIN" }, {
        get() {
          throw new TypeError("get trap");
        },
      }),
    ),
  );

  const reasons = Object.fromEntries(result.dropped.map((entry) => [entry.field, entry.reason]));
  assert.deepEqual(reasons, {
    email: "could not be read, because reading it threw: email getter",
    city: "could not be read, because reading it threw: city getter",
    lastname: "could not be read, because reading it threw",
    smsOptin: "could not be read, because reading it threw: get trap",
  });
  for (const entry of result.dropped) {
    assert.equal(entry.value, undefined, `${entry.field} has a value`);
  }

  assert.equal(bodies.length, 1);
  assert.equal(bodies[0].firstname, "Readable");
  for (const field of ["email", "city", "lastname", "smsOptin"]) {
    assert.equal(bodies[0][field], undefined, `${field} was sent`);
  }
  assert.equal(messages.warnings.length, 1, messages.all.join("\n"));
  assert.match(messages.warnings[0], /email could not be read, because reading it threw: email getter/);
  assert.deepEqual(messages.errors, []);
});

test("dropped value's getter runs once", async (t) => {
  const { page } = await openBlankInNewContext(t);
  await initSdk(page);
  const outcome = await page.evaluate(async () => {
    let reads = 0;
    const result = await herogi.identify("input-getter-once", {
      get email() {
        reads += 1;
        return `not-an-email-${reads}`;
      },
      firstname: "Once",
    });
    return { reads, dropped: result.dropped };
  });

  assert.equal(outcome.reads, 1);
  assert.equal(outcome.dropped.length, 1);
  assert.equal(outcome.dropped[0].field, "email");
  assert.equal(outcome.dropped[0].value, "not-an-email-1");
});

test("call without arguments is sent", async (t) => {
  const { page } = await openBlankInNewContext(t);
  await initSdk(page);
  const first = await page.evaluate(() => herogi.identify("input-no-arguments", { city: "Pori" }));
  const second = await page.evaluate(() => herogi.identify());

  assert.equal(second.hgid, first.hgid);
  assert.deepEqual(second.dropped, []);
  const profile = await getProfile(server.url, second.hgid);
  assert.equal(profile.city, "Pori");
  assert.equal(typeof profile.language, "string");
});

test("keys that read alike keep their values", async (t) => {
  const { page } = await openBlankInNewContext(t);
  await initSdk(page);
  // An unpaired surrogate reads as U+FFFD, the same text as the second key.
  const dropped = await page.evaluate(async () => {
    const result = await herogi.identify("input-alike-keys", { "\ud800": 1, "\ufffd": 2, firstname: "Alike" });
    return result.dropped.map((entry) => [entry.field, entry.value === undefined ? "undefined" : entry.value]);
  });

  assert.deepEqual(dropped, [
    ["\ufffd", "undefined"],
    ["\ufffd", 2],
  ]);
});

test("long dropped value is cut in warning", async (t) => {
  const { page, messages } = await openBlankInNewContext(t);
  await initSdk(page);
  const long = "é".repeat(39) + "xyz" + "a".repeat(300);
  const result = await identify(page, "input-long", { firstname: long, city: 42 });

  assert.deepEqual(result.dropped.map((entry) => entry.field).sort(), ["city", "firstname"]);
  assert.equal(messages.warnings.length, 1, messages.all.join("\n"));
  const warning = messages.warnings[0];
  assert.ok(warning.includes(`firstname "${"é".repeat(39)}x…" is longer than 255`), warning);
  assert.ok(warning.includes("city must be a string"), warning);
});

test("quoted dropped value is escaped", async (t) => {
  const { page, messages } = await openBlankInNewContext(t);
  await initSdk(page);
  await identify(page, "input-escaped", { gender: 'he said "hi"; gender "x', city: "a\nb\u2028c" });

  assert.equal(messages.warnings.length, 1, messages.all.join("\n"));
  const warning = messages.warnings[0];
  assert.ok(warning.includes('gender "he said \\"hi\\"; gender \\"x" must be'), warning);
  assert.ok(!/[\n\u2028]/.test(warning), `a line break reached the warning: ${warning}`);
});

test("unpaired surrogate named in reason", async (t) => {
  const { page } = await openBlankInNewContext(t);
  await initSdk(page);
  const result = await page.evaluate(() =>
    herogi.identify("input-surrogate", { firstname: "Ann \ud83d", city: "Oslo" }),
  );

  assert.equal(result.dropped.length, 1);
  assert.equal(result.dropped[0].field, "firstname");
  assert.match(result.dropped[0].reason, /unpaired UTF-16 surrogate/);
});

test("apiUrl with query or fragment rejected", async (t) => {
  const { page, messages } = await openBlankInNewContext(t);
  const values = [`${server.url}/?a=@b`, `${server.url}#`, "/herogi?x"];
  await assertApiUrlsRejected(page, values);

  assert.equal(messages.errors.length, values.length, messages.all.join("\n"));
  values.forEach((value, index) => {
    assert.match(messages.errors[index], /^herogi: init failed: apiUrl .* has a query or fragment/);
  });
});

test("hostile arguments never throw", { timeout: 30000 }, async (t) => {
  const { page, messages, bodies } = await openBlankInNewContext(t);
  const outcomes = await page.evaluate(async ([appId, appSecret, apiUrl]) => {
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const calls = {
      "identify(Symbol())": () => herogi.identify(Symbol()),
      "init()": () => herogi.init(),
      "init(null)": () => herogi.init(null),
      "init(Symbol(), Symbol())": () => herogi.init(Symbol(), Symbol()),
      "init with a throwing getter": () =>
        herogi.init({
          get appId() {
            throw new Error("appId getter");
          },
        }),
      "identify with a throwing ownKeys trap": () =>
        herogi.identify(
          new Proxy({}, {
            ownKeys() {
              throw new Error("ownKeys trap");
            },
          }),
        ),
      "identify with a throwing getPrototypeOf trap": () =>
        herogi.identify(
          "u1",
          new Proxy({}, {
            getPrototypeOf() {
              throw new Error("getPrototypeOf trap");
            },
          }),
        ),
      "identify with a revoked Proxy": () => herogi.identify("u1", revoked.proxy),
      "identify with a throwing getter": () =>
        herogi.identify("u1", {
          get email() {
            throw new Error("email getter");
          },
        }),
    };
    const results = {};
    const pending = [];
    for (const [name, call] of Object.entries(calls)) {
      try {
        const value = call();
        results[name] = { threw: false, isPromise: value instanceof Promise };
        if (value instanceof Promise) pending.push(value.then(() => "resolved", () => "rejected"));
      } catch (error) {
        results[name] = { threw: true, message: String(error && error.message) };
      }
    }
    // A call of a valid shape waits for a valid init, and every init above was invalid.
    herogi.init(appId, appSecret, false, { apiUrl });
    await Promise.all(pending);
    return results;
  }, [APP_ID, APP_SECRET, server.url]);

  for (const [name, outcome] of Object.entries(outcomes)) {
    assert.equal(outcome.threw, false, `${name} threw: ${outcome.message}`);
    if (name.startsWith("identify")) {
      assert.equal(outcome.isPromise, true, `${name} did not return a Promise`);
    }
  }

  const result = await identify(page, "input-hostile-valid", { firstname: "Still works" });
  const profile = await getProfile(server.url, result.hgid);
  assert.equal(profile.firstname, "Still works");
  assert.equal(bodies.at(-1).externalUserId, "input-hostile-valid");

  const pageErrors = messages.errors.filter((text) => text.startsWith("pageerror"));
  assert.deepEqual(pageErrors, []);
  // The invalid inits are reported as console errors, and nothing else is.
  assert.equal(messages.errors.length, 4, messages.errors.join("\n"));
  for (const text of messages.errors) assert.match(text, /^herogi: init failed/);
});

test(
  "repeated throwing Proxy leaves SDK working",
  { timeout: 60000 },
  async (t) => {
    // A page's Proxy trap that throws must not unwind through the wasm core: many of them in a
    // row would exhaust or corrupt its memory.
    const { page, messages } = await openBlankInNewContext(t);
    await initSdk(page);
    const outcome = await page.evaluate(async () => {
      const hostile = new Proxy({}, {
        ownKeys() {
          throw new Error("ownKeys trap");
        },
      });
      const messagesSeen = new Set();
      for (let i = 0; i < 5000; i += 1) {
        try {
          await herogi.identify(hostile);
        } catch (error) {
          messagesSeen.add(`${error.code}: ${error.message}`);
        }
      }
      try {
        const result = await herogi.identify("input-many-proxies", { firstname: "Survivor" });
        return { rejections: [...messagesSeen], hgid: result.hgid };
      } catch (error) {
        return { rejections: [...messagesSeen], finalError: `${error.code}: ${error.message}` };
      }
    });

    assert.equal(outcome.rejections.length, 1, outcome.rejections.join("\n"));
    assert.match(outcome.rejections[0], /^INVALID_ARGUMENT: externalId .*Proxy traps throw/);
    assert.equal(outcome.finalError, undefined, "the valid call after them failed");
    const profile = await getProfile(server.url, outcome.hgid);
    assert.equal(profile.firstname, "Survivor");
    assert.deepEqual(messages.errors, []);
  },
);

test("http apiUrl for remote host rejected", async (t) => {
  const { page, messages, requests } = await openBlankInNewContext(t);
  await page.evaluate(
    ([appId, appSecret]) => {
      herogi.init(appId, appSecret, false, { apiUrl: "http://api.example.com" });
      herogi.init({ appId, appSecret, proxyUrl: "http://proxy.example.com:8080/herogi" });
    },
    [APP_ID, APP_SECRET],
  );
  // Both inits were rejected, so this one configures the SDK. Calls run in order, so once the
  // identify has resolved, the rejected inits have been handled.
  await initSdk(page);
  await identify(page, "input-http-rejected");

  assert.equal(messages.errors.length, 2, messages.all.join("\n"));
  assert.match(messages.errors[0], /apiUrl/);
  assert.match(messages.errors[0], /https/);
  assert.match(messages.errors[1], /proxyUrl/);
  assert.match(messages.errors[1], /https/);
  assert.deepEqual(requests.filter((url) => url.includes("example.com")), []);
});

/**
 * Returns whether the SDK of the page is configured: ready() then resolves in a microtask,
 * before a timer of 0 ms fires.
 */
function isConfigured(page) {
  return page.evaluate(() =>
    Promise.race([
      herogi.ready().then(() => true, () => false),
      new Promise((resolve) => setTimeout(() => resolve(false), 0)),
    ]),
  );
}

/** Calls init with each of `values` as apiUrl, and fails when one configures the SDK. */
async function assertApiUrlsRejected(page, values) {
  for (const apiUrl of values) {
    await page.evaluate(
      ([appId, appSecret, apiUrl]) => herogi.init(appId, appSecret, false, { apiUrl }),
      [APP_ID, APP_SECRET, apiUrl],
    );
    assert.equal(await isConfigured(page), false, `init accepted ${JSON.stringify(apiUrl)}`);
  }
}

test("unsafe apiUrl forms rejected", async (t) => {
  const { page, messages, requests } = await openBlankInNewContext(t);
  // Each value does not parse, carries a user name and password, or resolves against this
  // http:// page to another origin, over http.
  const values = [
    "https://[zz",
    "https://user:pw@evil.example",
    "/\\evil.example",
    "/\t/evil.example",
    "/\\\\evil.example/herogi",
  ];
  for (const apiUrl of values) {
    const thrown = await page.evaluate(
      ([appId, appSecret, apiUrl]) => {
        try {
          herogi.init(appId, appSecret, false, { apiUrl });
          return null;
        } catch (error) {
          return String(error);
        }
      },
      [APP_ID, APP_SECRET, apiUrl],
    );
    assert.equal(thrown, null, `init with ${JSON.stringify(apiUrl)} threw`);
    assert.equal(await isConfigured(page), false, `init accepted ${JSON.stringify(apiUrl)}`);
  }

  // Every init above failed, so this one configures the SDK, and its calls go to the server.
  await initSdk(page);
  await identify(page, "input-unsafe-api-url");

  assert.equal(messages.errors.length, values.length, messages.all.join("\n"));
  values.forEach((value, index) => {
    const error = messages.errors[index];
    assert.match(error, /^herogi: init failed: apiUrl /, `${JSON.stringify(value)}: ${error}`);
    assert.ok(!error.includes("pw"), `the password of ${value} reached the console: ${error}`);
  });
  assert.deepEqual(requests.filter((url) => url.includes("evil.example")), []);
});

test("apiUrl of another scheme rejected", async (t) => {
  const { page, messages, requests } = await openBlankInNewContext(t);
  const values = ["ftp://example.com", "ws://127.0.0.1:8080", "javascript:alert(1)", "localhost:8080"];
  await assertApiUrlsRejected(page, values);
  assert.equal(messages.errors.length, values.length, messages.all.join("\n"));
  values.forEach((value, index) => {
    assert.equal(
      messages.errors[index],
      `herogi: init failed: apiUrl "${value}" is not an http:// or https:// URL; expected ` +
        "https://host, http://localhost:PORT or a path such as /herogi-proxy",
    );
  });

  // The scheme matches in any case: the browser resolves HTTP:// to http://.
  const upperCaseUrl = server.url.replace(/^http:/, "HTTP:");
  await page.evaluate(
    ([appId, appSecret, apiUrl]) => herogi.init(appId, appSecret, false, { apiUrl }),
    [APP_ID, APP_SECRET, upperCaseUrl],
  );
  assert.equal(await isConfigured(page), true, `init rejected ${upperCaseUrl}`);
  const result = await identify(page, "input-upper-case-scheme", { firstname: "Scheme" });
  const profile = await getProfile(server.url, result.hgid);
  assert.equal(profile.firstname, "Scheme");
  assert.equal(messages.errors.length, values.length, messages.all.join("\n"));
  assert.deepEqual(requests.filter((url) => url.includes("example.com")), []);
});

test("path apiUrl follows page base", async (t) => {
  const { page, messages, requests } = await openBlankInNewContext(t);
  await page.evaluate(
    ([appId, appSecret]) => {
      // A base element on another origin makes the path resolve there.
      const base = document.createElement("base");
      base.href = "http://evil.example/";
      document.head.append(base);
      herogi.init(appId, appSecret, false, { apiUrl: "/herogi" });
      base.remove();
    },
    [APP_ID, APP_SECRET],
  );
  assert.equal(await isConfigured(page), false, "init accepted a path on another origin");
  assert.equal(messages.errors.length, 1, messages.all.join("\n"));
  assert.match(messages.errors[0], /apiUrl "\/herogi"/);
  assert.match(messages.errors[0], /evil\.example/);

  // "/" on this loopback page is the page's own origin. A base element added after init does
  // not move calls elsewhere, because the SDK keeps the URL as it was resolved at init.
  await page.evaluate(
    ([appId, appSecret]) => {
      herogi.init(appId, appSecret, false, { apiUrl: "/" });
      const base = document.createElement("base");
      base.href = "http://evil.example/";
      document.head.append(base);
    },
    [APP_ID, APP_SECRET],
  );
  const result = await identify(page, "input-path-api-url", { firstname: "Pathed" });
  const profile = await getProfile(server.url, result.hgid);
  assert.equal(profile.firstname, "Pathed");
  assert.ok(requests.includes(server.url + "/v1/identify"), requests.join("\n"));
  assert.deepEqual(requests.filter((url) => url.includes("evil.example")), []);
  assert.equal(messages.errors.length, 1, messages.all.join("\n"));
});

test("huge arrays dropped without stalling", { timeout: 120000 }, async (t) => {
  const { page, messages, bodies } = await openBlankInNewContext(t);
  await initSdk(page);
  const cases = ["sparse 2^32-1", "sparse 1e7", "Proxy length 2^53", "40000 x 40000 nested"];
  const outcomes = await page.evaluate(async (names) => {
    const make = {
      "sparse 2^32-1": () => {
        const list = [];
        list.length = 2 ** 32 - 1;
        return list;
      },
      "sparse 1e7": () => new Array(1e7),
      "Proxy length 2^53": () =>
        new Proxy([], { get: (target, key) => (key === "length" ? 2 ** 53 : target[key]) }),
      // Few objects, but 1.6e9 items when each reference is read as its own array.
      "40000 x 40000 nested": () => new Array(40000).fill(new Array(40000).fill(0)),
    };
    const results = [];
    for (const name of names) {
      const custom = { plan: "pro", score: make[name]() };
      try {
        const result = await herogi.identify(
          "input-huge-" + name.replace(/\W+/g, "-"),
          { firstname: "Bounded" },
          custom,
        );
        results.push({
          hgid: result.hgid,
          dropped: result.dropped.map((entry) => ({
            field: entry.field,
            reason: entry.reason,
            isTheArgument: entry.value === custom,
          })),
        });
      } catch (error) {
        results.push({ failed: `${error.code}: ${error.message}` });
      }
    }
    return results;
  }, cases);

  cases.forEach((name, index) => {
    const outcome = outcomes[index];
    assert.equal(outcome.failed, undefined, `${name}: ${outcome.failed}`);
    assert.equal(outcome.dropped.length, 1, name);
    assert.equal(outcome.dropped[0].field, "customAttributes", name);
    assert.equal(outcome.dropped[0].isTheArgument, true, name);
    assert.match(outcome.dropped[0].reason, /65536/, name);
  });
  assert.equal(bodies.length, cases.length);
  for (const body of bodies) assert.equal(body.customAttributes, undefined);
  const profile = await getProfile(server.url, outcomes[0].hgid);
  assert.equal(profile.firstname, "Bounded");

  // The page and the SDK still work.
  const result = await identify(page, "input-huge-after", { firstname: "After" }, { plan: "pro" });
  assert.deepEqual(result.dropped, []);
  const after = await getProfile(server.url, result.hgid);
  assert.deepEqual(after.customAttributes, { plan: "pro" });
  assert.deepEqual(messages.errors, []);
});

test("lone surrogates dropped, pairs kept", async (t) => {
  const { page, messages, bodies } = await openBlankInNewContext(t);
  await initSdk(page);
  const outcome = await page.evaluate(async () => {
    const lone = { firstname: "Ann\uD800", lastname: "Re\uFFFDplaced", city: "Oslo \uD83D\uDE00" };
    const custom = { plan: "pro\uDC00" };
    const result = await herogi.identify("input-lone-surrogate", lone, custom);
    const keyed = await herogi.identify(null, null, { ["plan\uD800"]: "pro" });
    let externalId;
    try {
      await herogi.identify("user-\uDFFF", { city: "Bergen" });
    } catch (error) {
      externalId = { code: error.code, field: error.field, message: error.message };
    }
    return {
      hgid: result.hgid,
      dropped: result.dropped.map((entry) => ({
        field: entry.field,
        reason: entry.reason,
        isPageValue: entry.value === lone.firstname || entry.value === custom,
      })),
      keyReasons: keyed.dropped.map((entry) => `${entry.field} ${entry.reason}`),
      externalId,
    };
  });

  const byField = Object.fromEntries(outcome.dropped.map((entry) => [entry.field, entry]));
  assert.deepEqual(Object.keys(byField).sort(), ["customAttributes", "firstname"]);
  assert.equal(byField.firstname.isPageValue, true);
  assert.equal(byField.customAttributes.isPageValue, true);
  assert.match(byField.customAttributes.reason, /unpaired UTF-16 surrogate at plan/);
  assert.equal(outcome.keyReasons.length, 1);
  assert.match(outcome.keyReasons[0], /^customAttributes holds a key with an unpaired UTF-16 surrogate/);

  assert.equal(outcome.externalId?.code, "INVALID_ARGUMENT");
  assert.equal(outcome.externalId.field, "externalId");
  assert.match(outcome.externalId.message, /unpaired UTF-16 surrogate/);

  // A surrogate pair and a U+FFFD the page wrote itself are text like any other.
  assert.equal(bodies.length, 2);
  assert.equal(bodies[0].firstname, undefined);
  assert.equal(bodies[0].customAttributes, undefined);
  assert.equal(bodies[1].customAttributes, undefined);
  const profile = await getProfile(server.url, outcome.hgid);
  assert.equal(profile.lastname, "Re\uFFFDplaced");
  assert.equal(profile.city, "Oslo \uD83D\uDE00");
  assert.equal(profile.firstname, undefined);
  assert.equal(messages.warnings.length, 2, messages.all.join("\n"));
});

test("objects from another frame are plain", async (t) => {
  const { page, bodies } = await openBlankInNewContext(t);
  await initSdk(page);
  const hgid = await page.evaluate(async () => {
    const frame = document.createElement("iframe");
    document.body.append(frame);
    const attributes = frame.contentWindow.JSON.parse('{"firstname":"Framed"}');
    const custom = frame.contentWindow.JSON.parse('{"plan":"pro"}');
    const result = await herogi.identify("input-framed", attributes, custom);
    return result.hgid;
  });
  assert.equal(bodies.at(-1).firstname, "Framed");
  const profile = await getProfile(server.url, hgid);
  assert.equal(profile.firstname, "Framed");
  assert.equal(profile.customAttributes.plan, "pro");
});
