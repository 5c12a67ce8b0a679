// Subresource Integrity: the build writes the sha384 integrity of dist/herogi.min.js to
// dist/herogi.min.js.sri and into README.md's two script tags of it. Chromium runs the script
// with that integrity, from the page's origin and from another, and as the async tag after the
// stub, and blocks it with a wrong one. Needs `npm run build`.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { APP_ID, APP_SECRET, getProfile, root, server, useServerAndBrowser } from "./harness.mjs";
import { newPageInNewContext } from "./page-helpers.mjs";

useServerAndBrowser();

function sha384(bytes) {
  return "sha384-" + createHash("sha384").update(bytes).digest("base64");
}

function builtIntegrity() {
  return readFileSync(join(root, "dist/herogi.min.js.sri"), "utf8").trim();
}

/** URL of the script as if it came from a CDN. Playwright serves it, so no request leaves loopback. */
const CDN_SCRIPT_URL = "http://cdn.herogi.test/herogi.min.js";

/**
 * The test pages whose tag of herogi.min.js the SRI tests rewrite: each page's tag as served,
 * and the tag that replaces it for a given script URL and integrity.
 */
const PAGES = {
  // A blocking tag whose integrity is a placeholder.
  "sri-script.html": {
    tag: '<script src="/herogi.min.js" integrity="sha384-PLACEHOLDER" crossorigin="anonymous">',
    replacement: (src, integrity) => `<script src="${src}" integrity="${integrity}" crossorigin="anonymous">`,
  },
  // The stub of js/snippet.html and its async tag, followed by calls that the stub queues.
  "snippet-queue.html": {
    tag: '<script async src="/herogi.min.js">',
    replacement: (src, integrity) =>
      `<script async src="${src}" integrity="${integrity}" crossorigin="anonymous">`,
  },
};

/**
 * Opens `pageName`, one of PAGES, with its script tag's integrity set to `integrity` and its src
 * to `scriptUrl`, by rewriting the page that the server returns. Requests for CDN_SCRIPT_URL get
 * the server's herogi.min.js with the server's headers.
 */
async function openPage(t, { integrity, scriptUrl = "/herogi.min.js", pageName = "sri-script.html" }) {
  const { page, messages } = await newPageInNewContext(t);
  await page.route(CDN_SCRIPT_URL, async (route) => {
    const response = await route.fetch({ url: `${server.url}/herogi.min.js` });
    await route.fulfill({ response });
  });
  const pageUrl = `${server.url}/${pageName}`;
  const { tag, replacement } = PAGES[pageName];
  await page.route(pageUrl, async (route) => {
    const response = await route.fetch();
    const html = await response.text();
    assert.ok(html.includes(tag), `${pageName} lacks its script tag ${tag}`);
    const body = html.replace(tag, replacement(scriptUrl, integrity));
    await route.fulfill({ response, body });
  });
  await page.goto(pageUrl);
  return { page, messages };
}

function identify(page, externalId) {
  return page.evaluate(
    ([appId, appSecret, id]) => {
      herogi.init(appId, appSecret, false, { apiUrl: location.origin });
      return herogi.identify(id, { firstname: "Integrity" });
    },
    [APP_ID, APP_SECRET, externalId],
  );
}

test("build writes the script's integrity", () => {
  const text = readFileSync(join(root, "dist/herogi.min.js.sri"), "utf8");
  assert.match(text, /^sha384-[A-Za-z0-9+/]{64}\n$/);
  assert.equal(text.trim(), sha384(readFileSync(join(root, "dist/herogi.min.js"))));
});

test("README script tags have current integrity", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const lines = readme.split("\n").filter((line) => line.includes('integrity="sha384-'));
  assert.equal(lines.length, 2, lines.join("\n"));
  const tag = /^<script (async )?src="[^"]*\/herogi\.min\.js" integrity="([^"]+)" crossorigin="anonymous"><\/script>$/;
  const [blockingTag, asyncTag] = lines.map((line) => line.match(tag));
  assert.ok(blockingTag, `unexpected script tag: ${lines[0]}`);
  assert.equal(blockingTag[1], undefined, `the first tag is not the blocking one: ${lines[0]}`);
  assert.equal(blockingTag[2], builtIntegrity());
  assert.ok(asyncTag, `unexpected script tag: ${lines[1]}`);
  assert.equal(asyncTag[1], "async ", `the second tag is not the async one: ${lines[1]}`);
  assert.equal(asyncTag[2], builtIntegrity());
});

test("script with integrity identifies", async (t) => {
  const { page, messages } = await openPage(t, { integrity: builtIntegrity() });
  const { hgid } = await identify(page, "sri-same-origin");
  const profile = await getProfile(server.url, hgid);
  assert.equal(profile.externalUserId, "sri-same-origin");
  assert.equal(profile.firstname, "Integrity");
  assert.deepEqual(messages.errors, []);
});

test("cross-origin script with integrity runs", async (t) => {
  // As from a CDN: the page is on 127.0.0.1 and the script on another origin, served with the
  // server's Access-Control-Allow-Origin header.
  const { page, messages } = await openPage(t, { integrity: builtIntegrity(), scriptUrl: CDN_SCRIPT_URL });
  const { hgid } = await identify(page, "sri-cross-origin");
  const profile = await getProfile(server.url, hgid);
  assert.equal(profile.externalUserId, "sri-cross-origin");
  assert.deepEqual(messages.errors, []);
});

test("wrong integrity blocks the script", async (t) => {
  const wrong = sha384(Buffer.from("not herogi.min.js"));
  const { page, messages } = await openPage(t, { integrity: wrong });
  assert.equal(await page.evaluate(() => typeof window.herogi), "undefined");
  assert.equal(messages.errors.length, 1, messages.all.join("\n"));
  assert.match(messages.errors[0], /integrity/);
  // Chromium names the digest it computed, without the sha384- prefix.
  assert.ok(messages.errors[0].includes(builtIntegrity().slice("sha384-".length)), messages.errors[0]);
});

test("async tag after stub runs with integrity", async (t) => {
  const { page, messages } = await openPage(t, {
    integrity: builtIntegrity(),
    scriptUrl: CDN_SCRIPT_URL,
    pageName: "snippet-queue.html",
  });
  await page.waitForFunction(() => snippetPage.callback && snippetPage.promise);
  const seen = await page.evaluate(() => ({ ...snippetPage, isStub: Array.isArray(herogi.q) }));
  assert.equal(seen.isStub, false);
  assert.equal(seen.callback.ok, true, `the queued call failed: ${seen.callback.data}`);
  const profile = await getProfile(server.url, seen.callback.data);
  assert.equal(profile.externalUserId, "snippet-user");
  assert.deepEqual(messages.errors, []);
});

test("wrong integrity leaves calls in stub", async (t) => {
  const wrong = sha384(Buffer.from("not herogi.min.js"));
  const { page, messages } = await openPage(t, { integrity: wrong, pageName: "snippet-queue.html" });
  // page.goto waited for the load event, which waits for the async script to run or fail.
  const seen = await page.evaluate(() => ({ ...snippetPage, isStub: Array.isArray(herogi.q) }));
  assert.equal(seen.isStub, true);
  assert.equal(seen.queued, 4);
  assert.deepEqual(seen.thrown, []);
  assert.equal(seen.callback, null);
  assert.equal(messages.errors.length, 1, messages.all.join("\n"));
  assert.match(messages.errors[0], /integrity/);
});
