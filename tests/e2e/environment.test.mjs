// Pages that replace or remove built-ins the SDK calls. The cases: console methods that throw, a
// missing DecompressionStream or WebAssembly, and a compileStreaming that returns no Promise or
// one that never settles. Then a broken Intl, a Response replaced before or after the core loads,
// built-ins replaced with wrappers that throw or lie, a Promise without `race`, a page without
// `queueMicrotask`, and a Promise.prototype without `catch`. No call may throw into the page, and
// the SDK keeps working or fails each call with a reason.
import assert from "node:assert/strict";
import { test } from "node:test";
import { APP_ID, APP_SECRET, getProfile, server, useServerAndBrowser } from "./harness.mjs";
import { openBlankInNewContext, watchIdentify } from "./page-helpers.mjs";

useServerAndBrowser();

/** Opens blank.html as openBlankInNewContext does, and defines outcomeOf and attempt there. */
async function openPage(t) {
  const { page, messages } = await openBlankInNewContext(t);
  // Reads how a call's Promise settles. A call still pending after 10 s counts as failed, so a
  // broken SDK fails the test instead of stalling it.
  await page.evaluate(() => {
    window.outcomeOf = (promise) =>
      Promise.race([
        promise.then(
          (value) => ({ value }),
          (error) => ({ failed: `${error.code}: ${error.message}`, code: error.code }),
        ),
        new Promise((resolve) => setTimeout(() => resolve({ failed: "still pending after 10 s" }), 10000)),
      ]);
    // Runs a call and records, under its name, an exception that it threw into the page.
    window.thrown = [];
    window.attempt = (name, call) => {
      try {
        return call();
      } catch (error) {
        thrown.push(`${name}: ${error.message}`);
      }
    };
  });
  return { page, messages };
}

/** Replaces every console method the SDK may call with one that throws. */
function breakConsole(page) {
  return page.evaluate(() => {
    for (const name of ["log", "debug", "info", "warn", "error"]) {
      console[name] = () => {
        throw new Error(`console.${name} is broken`);
      };
    }
  });
}

/** Makes compiling WebAssembly fail, as a Content-Security-Policy without 'wasm-unsafe-eval' does. */
function blockWebAssembly(page) {
  return page.evaluate(() => {
    WebAssembly.Module = function () {
      throw new Error("WebAssembly is blocked");
    };
  });
}

test("throwing console leaves calls working", async (t) => {
  const { page, messages } = await openPage(t);
  await breakConsole(page);
  const outcome = await page.evaluate(async ([appId, appSecret]) => {
    // An invalid init logs an error, a second init a warning, and debug logs every step.
    attempt("invalid init", () => herogi.init(appId));
    attempt("init", () => herogi.init(appId, appSecret, false, { apiUrl: location.origin, debug: true }));
    attempt("second init", () => herogi.init(appId, appSecret));

    const settle = async (promise) => {
      const { value, failed } = await outcomeOf(promise);
      return failed ? { failed } : { hgid: value.hgid, dropped: value.dropped.map((entry) => entry.field) };
    };
    // The invalid email is dropped with a console warning.
    const warned = await settle(
      attempt("identify", () =>
        herogi.identify("environment-console", { email: "no-at-sign", firstname: "Quiet" }),
      ),
    );
    const later = await settle(attempt("later identify", () => herogi.identify({ city: "Bergen" })));
    return { thrown, warned, later };
  }, [APP_ID, APP_SECRET]);

  assert.deepEqual(outcome.thrown, []);
  assert.equal(outcome.warned.failed, undefined, "identify with a dropped value failed");
  assert.deepEqual(outcome.warned.dropped, ["email"]);
  assert.equal(outcome.later.failed, undefined, "the call after it failed");
  assert.equal(outcome.later.hgid, outcome.warned.hgid);
  const profile = await getProfile(server.url, outcome.warned.hgid);
  assert.equal(profile.firstname, "Quiet");
  assert.equal(profile.city, "Bergen");
  assert.deepEqual(messages.errors, []);
});

test("throwing console on load failure", async (t) => {
  const { page } = await openPage(t);
  await breakConsole(page);
  await blockWebAssembly(page);
  const outcome = await page.evaluate(async () => {
    try {
      const { value, code } = await outcomeOf(herogi.identify({ city: "Oslo" }));
      return value ? { resolved: true } : { code };
    } catch (error) {
      return { thrown: error.message };
    }
  });
  assert.deepEqual(outcome, { code: "LOAD_FAILED" });
});

// A browser without DecompressionStream, or with WebAssembly turned off.
for (const global of ["DecompressionStream", "WebAssembly"]) {
  test(`no ${global} fails calls clearly`, async (t) => {
    const { page, messages } = await openPage(t);
    const outcome = await page.evaluate(
      async ([appId, appSecret, removed]) => {
        delete window[removed];
        attempt("init", () => herogi.init(appId, appSecret, false, { apiUrl: location.origin }));
        const identify = attempt("identify", () => herogi.identify("no-global", { city: "Oslo" }));
        const ready = attempt("ready", () => herogi.ready());
        return { thrown, identify: await outcomeOf(identify), ready: await outcomeOf(ready) };
      },
      [APP_ID, APP_SECRET, global],
    );

    assert.deepEqual(outcome.thrown, []);
    for (const name of ["identify", "ready"]) {
      assert.equal(outcome[name].code, "LOAD_FAILED", name);
      assert.match(outcome[name].failed, new RegExp(`this browser has no ${global}`), name);
    }
    const loadErrors = messages.errors.filter((text) => text.includes(`has no ${global}`));
    assert.equal(loadErrors.length, 1, messages.all.join("\n"));
    assert.deepEqual(messages.errors.filter((text) => text.startsWith("pageerror")), []);
  });
}

test("compileStreaming without a Promise delivers", async (t) => {
  const { page, messages } = await openPage(t);
  const outcome = await page.evaluate(async ([appId, appSecret]) => {
    // A page's wrapper that returns no Promise.
    WebAssembly.compileStreaming = () => undefined;
    attempt("init", () => herogi.init(appId, appSecret, false, { apiUrl: location.origin }));
    const identify = attempt("identify", () => herogi.identify("bad-wrapper", { city: "Oslo" }));
    return { thrown, identify: await outcomeOf(identify) };
  }, [APP_ID, APP_SECRET]);

  assert.deepEqual(outcome.thrown, []);
  assert.equal(outcome.identify.failed, undefined);
  assert.equal((await getProfile(server.url, outcome.identify.value.hgid)).city, "Oslo");
  assert.deepEqual(messages.errors, []);
});

test("compileStreaming that never settles delivers", async (t) => {
  const { page, messages } = await openPage(t);
  const outcome = await page.evaluate(async ([appId, appSecret]) => {
    // A page's wrapper whose Promise never settles.
    WebAssembly.compileStreaming = () => new Promise(() => {});
    attempt("init", () => herogi.init(appId, appSecret, false, { apiUrl: location.origin }));
    const identify = attempt("identify", () => herogi.identify("hung-wrapper", { city: "Turku" }));
    return { thrown, identify: await outcomeOf(identify) };
  }, [APP_ID, APP_SECRET]);

  assert.deepEqual(outcome.thrown, []);
  assert.equal(outcome.identify.failed, undefined);
  assert.equal((await getProfile(server.url, outcome.identify.value.hgid)).city, "Turku");
  assert.deepEqual(messages.errors, []);
});

test("Response replaced before init delivers", async (t) => {
  const { page, messages } = await openPage(t);
  const outcome = await page.evaluate(async ([appId, appSecret]) => {
    // A polyfill, installed before the core loads, whose objects are not Responses.
    window.Response = function () {
      return {};
    };
    attempt("init", () => herogi.init(appId, appSecret, false, { apiUrl: location.origin }));
    const ready = await outcomeOf(herogi.ready());
    const identify = attempt("identify", () => herogi.identify("early-response", { city: "Quito" }));
    return { thrown, ready, identify: await outcomeOf(identify) };
  }, [APP_ID, APP_SECRET]);

  assert.deepEqual(outcome.thrown, []);
  assert.equal(outcome.ready.failed, undefined);
  assert.equal(outcome.identify.failed, undefined);
  assert.equal((await getProfile(server.url, outcome.identify.value.hgid)).city, "Quito");
  assert.deepEqual(messages.errors, []);
});

test("replaced built-ins leave calls intact", async (t) => {
  const { page, messages } = await openPage(t);
  const posts = watchIdentify(page);
  const outcome = await page.evaluate(async ([appId, appSecret]) => {
    const broken = (name) => () => {
      throw new Error(`${name} is broken`);
    };
    // Wrappers a page installs after the SDK's script ran: each throws or lies. They are put
    // back before the result returns, which Playwright reads with them.
    const originals = [String, JSON.parse, Math.floor, Array.prototype.includes, Array.prototype.push];
    const regexMethods = [RegExp.prototype.test, RegExp.prototype.exec];
    const restore = () => {
      [window.String, JSON.parse, Math.floor, Array.prototype.includes, Array.prototype.push] = originals;
      [RegExp.prototype.test, RegExp.prototype.exec] = regexMethods;
    };
    const replace = () => {
      window.String = broken("String");
      JSON.parse = broken("JSON.parse");
      Math.floor = () => 0;
      Array.prototype.includes = () => true;
      Array.prototype.push = broken("push");
      RegExp.prototype.test = () => true;
      RegExp.prototype.exec = () => [""];
    };
    const callbacks = [];
    const call = () =>
      herogi.identify("built-ins", { email: "not-an-email", city: "Oslo" }, { n: 42, list: [1, 2, 3] }, {}, (ok) => {
        callbacks[callbacks.length] = ok;
      });
    replace();
    // One call waits for the core to load, the other runs once it has.
    attempt("init", () => herogi.init(appId, appSecret, false, { apiUrl: location.origin }));
    const waited = attempt("identify while loading", call);
    await outcomeOf(herogi.ready());
    const direct = attempt("identify", call);
    const results = [await outcomeOf(waited), await outcomeOf(direct)];
    restore();
    return {
      thrown,
      callbacks,
      results: results.map((result) => ({
        failed: result.failed,
        hgid: result.value && result.value.hgid,
        dropped: result.value && result.value.dropped.map((entry) => `${entry.field}=${entry.value}`),
      })),
    };
  }, [APP_ID, APP_SECRET]);

  assert.deepEqual(outcome.thrown, []);
  assert.deepEqual(outcome.callbacks, [true, true]);
  for (const result of outcome.results) {
    assert.equal(result.failed, undefined);
    assert.deepEqual(result.dropped, ["email=not-an-email"]);
  }
  assert.equal((await getProfile(server.url, outcome.results[1].hgid)).city, "Oslo");
  assert.equal(posts.length, 2);
  for (const post of posts) assert.equal(post.body.customAttributes, '{"n":42,"list":[1,2,3]}');
  assert.deepEqual(messages.errors, []);
});

test("no Temporal and broken Intl", async (t) => {
  const { page, messages } = await openPage(t);
  const outcome = await page.evaluate(async ([appId, appSecret]) => {
    delete globalThis.Temporal;
    Intl.DateTimeFormat = function () {
      throw new Error("Intl is broken");
    };
    herogi.init(appId, appSecret, false, { apiUrl: location.origin });
    const ready = await outcomeOf(herogi.ready());
    return { ready, identify: await outcomeOf(herogi.identify("no-time-zone", { city: "Lima" })) };
  }, [APP_ID, APP_SECRET]);

  assert.equal(outcome.ready.failed, undefined);
  assert.equal(outcome.identify.failed, undefined);
  const profile = await getProfile(server.url, outcome.identify.value.hgid);
  assert.equal(profile.city, "Lima");
  assert.equal(profile.timezone, undefined);
  assert.deepEqual(messages.errors, []);
});

test("replaced Response delivers once", async (t) => {
  const { page } = await openPage(t);
  const outcome = await page.evaluate(async ([appId, appSecret]) => {
    herogi.init(appId, appSecret, false, { apiUrl: location.origin });
    await herogi.ready();
    // A polyfill installed after the SDK started.
    window.Response = class extends Response {};
    return outcomeOf(herogi.identify("replaced-response", { city: "Quito" }));
  }, [APP_ID, APP_SECRET]);

  assert.equal(outcome.failed, undefined);
  assert.equal((await getProfile(server.url, outcome.value.hgid)).city, "Quito");
});

test("no Promise.race or queueMicrotask delivers", async (t) => {
  const { page, messages } = await openPage(t);
  const outcome = await page.evaluate(async ([appId, appSecret]) => {
    // A page whose polyfills left these out; the SDK looks them up only when it runs.
    for (const name of ["race", "all", "any", "allSettled"]) delete Promise[name];
    delete window.queueMicrotask;
    herogi.init(appId, appSecret, false, { apiUrl: location.origin });
    return new Promise((resolve) => {
      setTimeout(() => resolve({ failed: "still pending after 10 s" }), 10000);
      herogi.identify("no-race", { city: "Lima" }, (ok, value) => resolve(ok ? { hgid: value } : { failed: value.message }));
    });
  }, [APP_ID, APP_SECRET]);

  assert.equal(outcome.failed, undefined);
  assert.equal((await getProfile(server.url, outcome.hgid)).city, "Lima");
  assert.deepEqual(messages.errors, []);
});

test("throwing navigator.language delivers", async (t) => {
  const { page, messages } = await openPage(t);
  const outcome = await page.evaluate(async ([appId, appSecret]) => {
    Object.defineProperty(Navigator.prototype, "language", {
      get() {
        throw new Error("language withheld");
      },
    });
    herogi.init(appId, appSecret, false, { apiUrl: location.origin });
    return outcomeOf(herogi.identify("no-language", { city: "Lima" }));
  }, [APP_ID, APP_SECRET]);

  assert.equal(outcome.failed, undefined);
  const profile = await getProfile(server.url, outcome.value.hgid);
  assert.equal(profile.city, "Lima");
  assert.equal(profile.language, undefined);
  assert.deepEqual(messages.errors, []);
});

test("AbortSignal.timeout polyfill delivers", async (t) => {
  const { page, messages } = await openPage(t);
  const outcome = await page.evaluate(async ([appId, appSecret]) => {
    AbortSignal.timeout = () => ({ aborted: false });
    herogi.init(appId, appSecret, false, { apiUrl: location.origin });
    return outcomeOf(herogi.identify("abort-polyfill", { city: "Quito" }));
  }, [APP_ID, APP_SECRET]);

  assert.equal(outcome.failed, undefined);
  const profile = await getProfile(server.url, outcome.value.hgid);
  assert.equal(profile.city, "Quito");
  assert.deepEqual(messages.errors, []);
});

/** Removes Promise.prototype.catch, as a page with a broken polyfill may. */
function removePromiseCatch(page) {
  return page.evaluate(() => {
    delete Promise.prototype.catch;
  });
}

test("no Promise catch: calls do not throw", async (t) => {
  const { page, messages } = await openPage(t);
  await removePromiseCatch(page);
  const outcome = await page.evaluate(async ([appId]) => {
    attempt("invalid init", () => herogi.init(appId));
    attempt("reset", () => herogi.reset());
    attempt("identify before init", () => herogi.identify({ city: "Oslo" }));
    const callback = new Promise((resolve) => {
      attempt("identify with a callback", () =>
        herogi.identify("", (ok, error) => resolve({ ok, code: error.code, field: error.field })),
      );
    });
    return { thrown, callback: (await outcomeOf(callback)).value };
  }, [APP_ID]);

  assert.deepEqual(outcome.thrown, []);
  assert.deepEqual(outcome.callback, { ok: false, code: "INVALID_ARGUMENT", field: "externalId" });
  assert.deepEqual(messages.errors.filter((text) => text.startsWith("pageerror")), []);
});

test("no Promise catch: load failure reaches callback", async (t) => {
  const { page } = await openPage(t);
  await removePromiseCatch(page);
  await blockWebAssembly(page);
  const outcome = await page.evaluate(async () => {
    try {
      const callback = new Promise((resolve) => {
        herogi.identify("environment-blocked", (ok, error) => resolve({ ok, code: error.code }));
      });
      return (await outcomeOf(callback)).value;
    } catch (error) {
      return { thrown: error.message };
    }
  });
  assert.deepEqual(outcome, { ok: false, code: "LOAD_FAILED" });
});

test("no Promise catch: identify delivers", async (t) => {
  const { page } = await openPage(t);
  await removePromiseCatch(page);
  const outcome = await page.evaluate(async ([appId, appSecret]) => {
    herogi.init(appId, appSecret, false, { apiUrl: location.origin });
    const delivered = new Promise((resolve) => {
      herogi.identify("environment-no-catch", { firstname: "Caught" }, (ok, data) =>
        resolve({ ok, hgid: ok ? data : null }),
      );
    });
    return (await outcomeOf(delivered)).value ?? {};
  }, [APP_ID, APP_SECRET]);
  assert.equal(outcome.ok, true);
  const profile = await getProfile(server.url, outcome.hgid);
  assert.equal(profile.firstname, "Caught");
});

test("throwing ready callback is reported", async (t) => {
  const { page, messages } = await openPage(t);
  await page.evaluate(([appId, appSecret]) => {
    window.rejections = [];
    window.addEventListener("unhandledrejection", (event) => rejections.push(String(event.reason)));
    herogi.init(appId, appSecret, false, { apiUrl: location.origin });
    herogi.ready(() => {
      throw new Error("the page's ready callback failed");
    });
  }, [APP_ID, APP_SECRET]);
  await page.waitForTimeout(500);

  assert.deepEqual(await page.evaluate(() => window.rejections), []);
  assert.deepEqual(messages.errors, []);
  const warned = messages.warnings.filter((text) => text.includes("ready callback threw"));
  assert.equal(warned.length, 1, messages.warnings.join("\n"));
});

test("fetch wrapper without a Promise", async (t) => {
  const { page, messages } = await openPage(t);
  await page.evaluate(([appId, appSecret]) => {
    herogi.init(appId, appSecret, false, { apiUrl: location.origin });
    window.fetch = () => undefined;
    herogi.identify({ city: "Krabi" }).catch(() => {});
  }, [APP_ID, APP_SECRET]);
  await page.waitForTimeout(300);
  // The page goes hidden and away, so the SDK sends the queue with keepalive.
  await page.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { get: () => "hidden", configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
    window.dispatchEvent(new PageTransitionEvent("pagehide"));
  });
  await page.waitForTimeout(300);

  assert.deepEqual(messages.errors, []);
});
