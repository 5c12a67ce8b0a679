// Helpers of the end-to-end tests that open pages in Chromium, drive the SDK in them, and record
// what the pages log, send and store. The pages come from the server and browser that
// useServerAndBrowser of harness.mjs started for the test file.
import { APP_ID, APP_SECRET, browser, server } from "./harness.mjs";

/** Prefix of the localStorage keys of the calls that wait for delivery. */
export const QUEUE_PREFIX = "herogi:q:";

/** Collects console errors and page errors of a page, to assert there are none. */
export function watchConsole(page) {
  const messages = { errors: [], warnings: [], all: [] };
  page.on("console", (message) => {
    messages.all.push(`${message.type()}: ${message.text()}`);
    if (message.type() === "error") messages.errors.push(message.text());
    if (message.type() === "warning") messages.warnings.push(message.text());
  });
  page.on("pageerror", (error) => messages.errors.push(`pageerror: ${error.message}`));
  return messages;
}

/**
 * Calls `listener` with every identify POST, a POST to /v1/identify on any origin, that
 * `target` starts. `target` is a page, which includes the requests of its frames, or a browser
 * context, which includes those of all its pages.
 */
function onIdentifyPost(target, listener) {
  target.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/v1/identify") {
      listener(request);
    }
  });
}

function bodyOf(request) {
  return JSON.parse(request.postData() ?? "{}");
}

/**
 * Records every identify POST that `target`, a page or a browser context, starts: its
 * X-Request-Id, its parsed body, and the Playwright request, whose response() resolves to null
 * when the request failed. A keepalive request that a page starts as it goes away may be
 * missing, and it also ignores setOffline (seen with Playwright 1.65 and Chromium 156), so tests
 * count deliveries with the server's counters.
 */
export function watchIdentify(target) {
  const posts = [];
  onIdentifyPost(target, (request) => {
    posts.push({ requestId: request.headers()["x-request-id"], body: bodyOf(request), request });
  });
  return posts;
}

/**
 * Records the parsed body of every identify POST that `target`, a page or a browser context,
 * starts.
 */
export function watchIdentifyBodies(target) {
  const bodies = [];
  onIdentifyPost(target, (request) => bodies.push(bodyOf(request)));
  return bodies;
}

/** Returns the HTTP status of each request of watchIdentify, or "failed" where it got none. */
export async function statuses(posts) {
  const responses = await Promise.all(posts.map((post) => post.request.response()));
  return responses.map((response) => response?.status() ?? "failed");
}

/** Groups the request ids of watchIdentify's requests by the value of `field` in their bodies. */
export function requestIdsBy(posts, field) {
  const groups = new Map();
  for (const post of posts) {
    const key = post.body[field];
    if (!groups.has(key)) groups.set(key, new Set());
    groups.get(key).add(post.requestId);
  }
  return groups;
}

/**
 * Opens a page in a new browser context that closes when test `t` ends, and records the page's
 * console messages, the bodies of its identify requests and the URL of every request it makes.
 * Returns { context, page, messages, bodies, requests }. The page has not navigated yet.
 */
export async function newPageInNewContext(t, contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  t.after(() => context.close());
  const page = await context.newPage();
  const messages = watchConsole(page);
  const bodies = watchIdentifyBodies(page);
  const requests = [];
  page.on("request", (request) => requests.push(request.url()));
  return { context, page, messages, bodies, requests };
}

/** Opens blank.html as newPageInNewContext does, and returns what it returns. */
export async function openBlankInNewContext(t, contextOptions = {}) {
  const opened = await newPageInNewContext(t, contextOptions);
  await opened.page.goto(`${server.url}/blank.html`);
  return opened;
}

/** Opens blank.html, a page that loads herogi.min.js, in a new page of `context`. */
export async function openBlank(context) {
  const page = await context.newPage();
  await page.goto(`${server.url}/blank.html`);
  return page;
}

/**
 * Calls init with the harness's credentials and the page's origin as apiUrl. With askLocation,
 * the SDK requests the visitor's position at init.
 */
export function initSdk(page, { askLocation = false } = {}) {
  return page.evaluate(
    ([appId, appSecret, ask]) => herogi.init(appId, appSecret, ask, { apiUrl: location.origin }),
    [APP_ID, APP_SECRET, askLocation],
  );
}

/** Calls herogi.identify in the page with `args` and returns its result. */
export function identify(page, ...args) {
  return page.evaluate((list) => herogi.identify(...list), args);
}

/**
 * Stores `hgid` as the visitor's hgid in every blank.html that `context` loads, before the page's
 * scripts run.
 */
export function storeHgidBeforeLoad(context, hgid) {
  return context.addInitScript((value) => {
    if (location.pathname === "/blank.html") localStorage.setItem("herogi:hgid", value);
  }, hgid);
}

/** Returns the hgid that the SDK stored in the page's localStorage, or null. */
export function storedHgid(page) {
  return page.evaluate(() => localStorage.getItem("herogi:hgid"));
}

/** Returns the localStorage keys of the calls that wait for delivery. */
export function queueKeys(page) {
  return page.evaluate(
    (prefix) => Object.keys(localStorage).filter((key) => key.startsWith(prefix)),
    QUEUE_PREFIX,
  );
}

/** Returns the request ids of the calls that wait for delivery, which end their queue keys. */
export async function queuedRequestIds(page) {
  return (await queueKeys(page)).map((key) => key.slice(QUEUE_PREFIX.length));
}

/**
 * Waits until the queue in the page's localStorage, which all tabs of its origin share, contains
 * `count` calls.
 */
export async function waitForQueueKeys(page, count) {
  await page.waitForFunction(
    ([prefix, expected]) =>
      Object.keys(localStorage).filter((key) => key.startsWith(prefix)).length === expected,
    [QUEUE_PREFIX, count],
    { timeout: 20000 },
  );
}
