// The pages that the benchmark compares: herogi.min.js and a plain-fetch page, both sending to
// the local herogi-server. Each variant defines the URL of its page, which requests are its
// identify requests, and how to check that a burst of calls was delivered.

/** Returns the score in a herogi identify body, or null when the body has none. */
function scoreOf(body) {
  try {
    return JSON.parse(JSON.parse(body).customAttributes).score ?? null;
  } catch {
    return null;
  }
}

function isServerIdentify(request) {
  return request.method() === "POST" && new URL(request.url()).pathname === "/v1/identify";
}

/**
 * Checks a burst sent to herogi-server. It reads whether the browser sent the requests in
 * order of their score, the server's count of applied requests, and the score stored in the
 * profile at the end. That score is the last call's when the last request was applied last.
 */
async function checkServerDelivery({ sent, burst, calls, admin, server, getProfile }) {
  const stats = await admin.stats();
  const scores = sent.map(scoreOf);
  const inOrder = scores.every((score, index) => index === 0 || score > scores[index - 1]);
  let storedScore = null;
  if (burst.lastHgid) {
    const profile = await getProfile(server.url, burst.lastHgid);
    storedScore = profile?.customAttributes?.score ?? null;
  }
  return {
    calls,
    fulfilled: burst.fulfilled,
    rejected: burst.rejected,
    timedOut: burst.timedOut,
    requests: sent.length,
    received: stats.received,
    applied: stats.applied,
    inOrder,
    storedScore,
    lastCallStored: storedScore === calls,
  };
}

/** Returns the herogi and plain-fetch variants, with the app's credentials in the page URL. */
export function coreVariants({ appId, appSecret, getProfile }) {
  const query = `app=${encodeURIComponent(appId)}&secret=${encodeURIComponent(appSecret)}`;
  const check = (args) => checkServerDelivery({ ...args, getProfile });
  return [
    {
      name: "herogi",
      scriptFiles: ["dist/herogi.min.js"],
      pageUrl: (base) => `${base}/bench-herogi.html?${query}`,
      isIdentifyRequest: isServerIdentify,
      checkDelivery: check,
    },
    {
      name: "plain fetch",
      scriptFiles: [],
      pageUrl: (base) => `${base}/bench-plain.html?${query}`,
      isIdentifyRequest: isServerIdentify,
      checkDelivery: check,
    },
  ];
}
