// One measured visit of one benchmark page: navigation to ready, memory after load, the first
// identify call until its request is sent, and a burst of identify calls with their delivery.
// Every page in bench/pages/ sets window.bench: `identify(externalId, score)`, `readyAt`
// (performance.now() when the SDK can take a call) and `error` (when it cannot start).
import { setTimeout as delay } from "node:timers/promises";

/** Maximum wait for a page to report that its SDK is ready, in milliseconds. */
const READY_TIMEOUT_MS = 30_000;
/**
 * Maximum wait for the request of the first identify call, in milliseconds. Peers that batch
 * calls flush every few seconds, so this is well above their flush intervals.
 */
const FIRST_REQUEST_TIMEOUT_MS = 30_000;
/** Maximum wait for every Promise returned by the calls of a burst, in milliseconds. */
const BURST_TIMEOUT_MS = 180_000;

/**
 * Runs one visit of `variant` in a new browser context, so the HTTP cache and storage start
 * empty as on a first visit. Returns the measurements, and throws when the page fails.
 */
export async function measureVisit({ browser, variant, pageUrl, externalId, calls }) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const pageErrors = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });
    // Chromium's host resolver rules fail every host but 127.0.0.1 and localhost, so a request
    // to another host never leaves the machine. It is recorded to show which SDK tried.
    const blockedRequests = [];
    page.on("request", (request) => {
      const host = new URL(request.url()).hostname;
      if (!["127.0.0.1", "localhost", ""].includes(host) && !request.url().startsWith("data:")) {
        blockedRequests.push(request.url());
      }
    });
    const sentBodies = [];
    page.on("request", (request) => {
      if (request.method() === "POST" && variant.endpoint.test(new URL(request.url()).pathname)) {
        sentBodies.push(request.postData() ?? "");
      }
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Performance.enable");

    await page.goto(pageUrl, { waitUntil: "load" });
    const ready = await waitForReady(page, pageErrors);
    const memory = await measureMemory(cdp);
    const firstCall = await measureFirstCall(page, cdp, variant.endpoint, externalId);
    const firstBody = sentBodies[0];

    await variant.beforeBurst?.();
    sentBodies.length = 0;
    const burstStart = performance.now();
    const burst = await runBurst(page, externalId, calls);
    const delivery = await variant.checkDelivery({ sentBodies, burst, burstStart, calls });

    return {
      ...ready,
      memory,
      firstCall,
      firstBody,
      burst: { syncMs: burst.syncMs, settleMs: burst.settleMs, ...delivery },
      blockedRequests,
      pageErrors,
    };
  } finally {
    await context.close();
  }
}

async function waitForReady(page, pageErrors) {
  try {
    await page.waitForFunction(
      () => window.bench && (window.bench.readyAt !== undefined || window.bench.error),
      null,
      { timeout: READY_TIMEOUT_MS, polling: 50 },
    );
  } catch (error) {
    const errors = pageErrors.join("; ") || "none";
    throw new Error(`${page.url()} did not report ready within ${READY_TIMEOUT_MS} ms (page errors: ${errors})`, {
      cause: error,
    });
  }
  const state = await page.evaluate(() => {
    const navigation = performance.getEntriesByType("navigation")[0];
    return {
      error: window.bench.error,
      readyMs: window.bench.readyAt,
      domContentLoadedMs: navigation.domContentLoadedEventStart,
      loadMs: navigation.loadEventStart,
    };
  });
  if (state.error) throw new Error(`${page.url()} failed to start its SDK: ${state.error}`);
  return { readyMs: state.readyMs, domContentLoadedMs: state.domContentLoadedMs, loadMs: state.loadMs };
}

/**
 * Measures the page's memory after a full garbage collection, through the Chrome DevTools
 * Protocol: V8's used heap and the backing stores of its ArrayBuffers (Runtime.getHeapUsage),
 * and the linear memory of every live WebAssembly.Memory, found with Runtime.queryObjects.
 * The total is their sum. Compiled code outside the V8 heap and Blink's DOM heap are not counted.
 */
async function measureMemory(cdp) {
  await cdp.send("HeapProfiler.enable");
  await cdp.send("HeapProfiler.collectGarbage");
  const heap = await cdp.send("Runtime.getHeapUsage");
  const prototype = await cdp.send("Runtime.evaluate", { expression: "WebAssembly.Memory.prototype" });
  const memories = await cdp.send("Runtime.queryObjects", { prototypeObjectId: prototype.result.objectId });
  const sizes = await cdp.send("Runtime.callFunctionOn", {
    objectId: memories.objects.objectId,
    functionDeclaration: "function () { return this.map((memory) => memory.buffer.byteLength); }",
    returnByValue: true,
  });
  const wasmBytes = sizes.result.value.reduce((sum, size) => sum + size, 0);
  const arrayBufferBytes = heap.backingStorageSize ?? 0;
  return {
    jsHeapUsedBytes: heap.usedSize,
    arrayBufferBytes,
    wasmMemoryBytes: wasmBytes,
    wasmMemoryCount: sizes.result.value.length,
    embedderHeapUsedBytes: heap.embedderHeapUsedSize ?? null,
    totalBytes: heap.usedSize + arrayBufferBytes + wasmBytes,
  };
}

/**
 * Calls identify once and returns the time from the call until the browser began to send its
 * request. Both ends are on Chromium's monotonic clock. The call's performance.now() is shifted
 * by the document's NavigationStart (CDP Performance.getMetrics). The request is the first POST
 * to `endpoint` that the browser created after the call, and it was sent at its
 * `requestTime + sendStart` (CDP Network.responseReceived). Time spent on a CORS preflight or
 * a new connection before the send is included.
 */
async function measureFirstCall(page, cdp, endpoint, externalId) {
  const created = [];
  const timings = new Map();
  const onCreated = (event) => {
    if (event.request.method === "POST" && endpoint.test(new URL(event.request.url).pathname)) {
      created.push({ id: event.requestId, at: event.timestamp });
    }
  };
  const onResponse = (event) => {
    if (event.response.timing) timings.set(event.requestId, event.response.timing);
  };
  cdp.on("Network.requestWillBeSent", onCreated);
  cdp.on("Network.responseReceived", onResponse);
  try {
    const { metrics } = await cdp.send("Performance.getMetrics");
    const navigationStart = metrics.find((metric) => metric.name === "NavigationStart").value;
    const callAtMs = await page.evaluate((externalId) => {
      const callAt = performance.now();
      const call = window.bench.identify(externalId, 0);
      window.benchFirstCall = Promise.resolve(call).catch(() => {});
      return callAt;
    }, externalId);
    const callAt = navigationStart + callAtMs / 1000;

    const deadline = performance.now() + FIRST_REQUEST_TIMEOUT_MS;
    while (performance.now() < deadline) {
      const request = created.find((item) => item.at >= callAt);
      const timing = request && timings.get(request.id);
      if (timing) {
        const sentAt = timing.requestTime + timing.sendStart / 1000;
        // The burst starts after this call has settled, so it starts from the stored hgid.
        await page.evaluate(() => window.benchFirstCall);
        return {
          callToRequestMs: (sentAt - callAt) * 1000,
          callToFetchMs: (request.at - callAt) * 1000,
          openedConnection: timing.connectStart >= 0,
        };
      }
      await delay(10);
    }
    throw new Error(`first identify call: no POST to ${endpoint} within ${FIRST_REQUEST_TIMEOUT_MS} ms`);
  } finally {
    cdp.off("Network.requestWillBeSent", onCreated);
    cdp.off("Network.responseReceived", onResponse);
  }
}

/**
 * Makes `calls` identify calls in one synchronous loop, with scores 1 to `calls`, and waits for
 * every returned Promise to settle. Returns the loop's time on the main thread and how the
 * Promises settled. An SDK whose calls return no Promise settles at once.
 */
async function runBurst(page, externalId, calls) {
  return page.evaluate(
    async ({ externalId, calls, timeoutMs }) => {
      const results = [];
      const start = performance.now();
      for (let score = 1; score <= calls; score++) results.push(window.bench.identify(externalId, score));
      const syncMs = performance.now() - start;
      let timer;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(() => resolve(null), timeoutMs);
      });
      const settled = await Promise.race([Promise.allSettled(results), timeout]);
      clearTimeout(timer);
      const settleMs = performance.now() - start;
      if (!settled) return { syncMs, settleMs, timedOut: true, fulfilled: 0, rejected: {} };
      const rejected = {};
      let lastHgid = null;
      for (const outcome of settled) {
        if (outcome.status === "rejected") {
          const reason = outcome.reason;
          const code = (reason && (reason.code || reason.message)) || String(reason);
          rejected[code] = (rejected[code] || 0) + 1;
        } else if (outcome.value && outcome.value.hgid) {
          lastHgid = outcome.value.hgid;
        }
      }
      const fulfilled = settled.filter((outcome) => outcome.status === "fulfilled").length;
      return { syncMs, settleMs, timedOut: false, fulfilled, rejected, lastHgid };
    },
    { externalId, calls, timeoutMs: BURST_TIMEOUT_MS },
  );
}
