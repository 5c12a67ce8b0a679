// Helpers of the end-to-end tests that open pages in Chromium, drive the SDK in them, and record
// what the pages log, send and store. The pages come from the server and browser that
// useServerAndBrowser of harness.mjs started for the test file.
import { APP_ID, APP_SECRET, browser, server } from "./harness.mjs";

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
 * Records the parsed body of every identify POST that `target`, a page or a browser context,
 * starts.
 */
export function watchIdentifyBodies(target) {
  const bodies = [];
  onIdentifyPost(target, (request) => bodies.push(bodyOf(request)));
  return bodies;
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
