// One measured visit of one benchmark page: navigation to ready, memory after load, the first
// identify call until its request is sent, and a burst of identify calls with their delivery.
// Every page implements window.bench (see bench/pages/): `identify(externalId, score)`,
// `readyAt` (performance.now() when the SDK can take a call), `endpoint` (the path of its
// identify requests) and `error`.

/** Maximum wait for a page to report that its SDK is ready, in milliseconds. */
const READY_TIMEOUT_MS = 30_000;
/** Maximum wait for the request of the first identify call, in milliseconds. Peers that batch
 * calls flush every few seconds, so this is well above their flush intervals. */
const FIRST_REQUEST_TIMEOUT_MS = 30_000;
/** Maximum wait for every call of the burst to settle, in milliseconds. */
const BURST_TIMEOUT_MS = 180_000;

/**
 * Runs one visit of `variant` in a new browser context, so the HTTP cache and storage start
 * empty as on a first visit. Returns the measurements, and throws when the page fails.
 */
export async function measureVisit({ browser, server, variant, externalId, calls, admin }) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const pageErrors = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });
    const cdp = await context.newCDPSession(page);

    const sent = [];
    page.on("request", (request) => {
      if (variant.isIdentifyRequest(request)) sent.push(request.postData() ?? "");
    });

    await page.goto(variant.pageUrl(server.url), { waitUntil: "load" });
    const ready = await waitForReady(page, pageErrors);
    const memory = await measureMemory(cdp);

    const first = await measureFirstCall(page, externalId);
    const firstBody = sent[0];

    if (admin) await admin.resetStats();
    sent.length = 0;
    const burst = await measureBurst(page, externalId, calls);
    const delivery = await variant.checkDelivery({ sent, burst, calls, admin, server });

    return {
      ...ready,
      memory,
      firstCall: first,
      firstBody,
      burst: { syncMs: burst.syncMs, settleMs: burst.settleMs, ...delivery },
      pageErrors,
    };
  } finally {
    await context.close();
  }
}

async function waitForReady(page, pageErrors) {
  try {
    await page.waitForFunction(() => window.bench && (window.bench.readyAt !== undefined || window.bench.error), null, {
      timeout: READY_TIMEOUT_MS,
      polling: 50,
    });
  } catch (error) {
    throw new Error(
      `${page.url()} did not report ready within ${READY_TIMEOUT_MS} ms (page errors: ${pageErrors.join("; ") || "none"})`,
      { cause: error },
    );
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
  return {
    jsHeapUsedBytes: heap.usedSize,
    arrayBufferBytes: heap.backingStorageSize ?? 0,
    wasmMemoryBytes: wasmBytes,
    wasmMemoryCount: sizes.result.value.length,
    embedderHeapUsedBytes: heap.embedderHeapUsedSize ?? null,
    totalBytes: heap.usedSize + (heap.backingStorageSize ?? 0) + wasmBytes,
  };
}

/**
 * Calls identify once and returns the time from the call to the start of its request, both on
 * the page's performance.now() clock. The request is the first Resource Timing entry for the
 * page's identify endpoint that starts after the call. Its `requestStart` is when the browser
 * began to send the request on the connection.
 */
async function measureFirstCall(page, externalId) {
  const result = await page.evaluate(
    ({ externalId, timeoutMs }) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          observer.disconnect();
          resolve({ error: `no request to ${window.bench.endpoint} within ${timeoutMs} ms` });
        }, timeoutMs);
        let callAt = Infinity;
        const observer = new PerformanceObserver((list) => {
          const entry = list
            .getEntries()
            .find((item) => item.startTime >= callAt && new URL(item.name).pathname.endsWith(window.bench.endpoint));
          if (!entry) return;
          clearTimeout(timer);
          observer.disconnect();
          resolve({
            callToFetchMs: entry.startTime - callAt,
            callToRequestMs: (entry.requestStart || entry.startTime) - callAt,
            requestStartKnown: entry.requestStart > 0,
            newConnection: entry.connectEnd > entry.connectStart,
            durationMs: entry.duration,
          });
        });
        observer.observe({ type: "resource" });
        callAt = performance.now();
        const call = window.bench.identify(externalId, 0);
        if (call && typeof call.catch === "function") call.catch(() => {});
      }),
    { externalId, timeoutMs: FIRST_REQUEST_TIMEOUT_MS },
  );
  if (result.error) throw new Error(`first identify call: ${result.error}`);
  return result;
}

/**
 * Makes `calls` identify calls in one synchronous loop, with scores 1 to `calls`, and waits for
 * every returned Promise to settle. Returns the loop's time on the main thread and the
 * settled results (an SDK whose calls return no Promise settles at once).
 */
async function measureBurst(page, externalId, calls) {
  return page.evaluate(
    async ({ externalId, calls, timeoutMs }) => {
      performance.setResourceTimingBufferSize(calls + 100);
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
          const code = (outcome.reason && (outcome.reason.code || outcome.reason.message)) || String(outcome.reason);
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
