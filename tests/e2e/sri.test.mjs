// Subresource Integrity: the build writes the sha384 integrity of dist/herogi.min.js to
// dist/herogi.min.js.sri and into README.md's script tag. Chromium runs the script with that
// integrity, from the page's origin and from another, and blocks it with a wrong one. Needs
// `npm run build`.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { APP_ID, APP_SECRET, getProfile, launchBrowser, root, startServer, watchConsole } from "./harness.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

function sha384(bytes) {
  return "sha384-" + createHash("sha384").update(bytes).digest("base64");
}

function builtIntegrity() {
  return readFileSync(join(root, "dist/herogi.min.js.sri"), "utf8").trim();
}

/** URL of the script as if it came from a CDN. Playwright serves it, so no request leaves loopback. */
const CDN_SCRIPT_URL = "http://cdn.herogi.test/herogi.min.js";

/**
 * Opens sri-script.html with its script tag's integrity set to `integrity` and its src to
 * `scriptUrl`, by rewriting the page that the server returns. Requests for CDN_SCRIPT_URL get
 * the server's herogi.min.js with the server's headers.
 */
async function openPage(t, { integrity, scriptUrl = "/herogi.min.js" }) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const messages = watchConsole(page);
  await page.route(CDN_SCRIPT_URL, async (route) => {
    const response = await route.fetch({ url: `${server.url}/herogi.min.js` });
    await route.fulfill({ response });
  });
  const pageUrl = `${server.url}/sri-script.html`;
  await page.route(pageUrl, async (route) => {
    const response = await route.fetch();
    const html = await response.text();
    const tag = '<script src="/herogi.min.js" integrity="sha384-PLACEHOLDER" crossorigin="anonymous">';
    assert.ok(html.includes(tag), "sri-script.html lacks its placeholder script tag");
    const body = html.replace(tag, `<script src="${scriptUrl}" integrity="${integrity}" crossorigin="anonymous">`);
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

test("README script tag has current integrity", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const lines = readme.split("\n").filter((line) => line.includes('integrity="sha384-'));
  assert.equal(lines.length, 1, lines.join("\n"));
  const match = lines[0].match(/^<script src="[^"]*\/herogi\.min\.js" integrity="([^"]+)" crossorigin="anonymous"><\/script>$/);
  assert.ok(match, `unexpected script tag: ${lines[0]}`);
  assert.equal(match[1], builtIntegrity());
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
