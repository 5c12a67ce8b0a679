// The two pages that the benchmark always compares, herogi.min.js and a plain-fetch page, both
// sending to the local herogi-server. Each variant defines its page, the path of its identify requests,
// and how to check that a burst of calls was delivered.

/** Returns the score in a herogi identify body, or null when the body has none. */
function scoreOf(body) {
  try {
    return JSON.parse(JSON.parse(body).customAttributes).score ?? null;
  } catch {
    return null;
  }
}

/**
 * Checks a burst sent to herogi-server. It reads whether the browser sent the requests in
 * order of their score, the server's count of applied requests, and the score stored in the
 * profile at the end. That score is the last call's when the last request was applied last.
 */
async function checkServerDelivery({ sentBodies, burst, calls, admin, serverUrl, getProfile }) {
  const stats = await admin.stats();
  const scores = sentBodies.map(scoreOf);
  const inOrder = scores.every((score, index) => index === 0 || score > scores[index - 1]);
  let storedScore = null;
  if (burst.lastHgid) {
    const profile = await getProfile(serverUrl, burst.lastHgid);
    storedScore = profile?.customAttributes?.score ?? null;
  }
  return {
    calls,
    fulfilled: burst.fulfilled,
    rejected: burst.rejected,
    timedOut: burst.timedOut,
    requests: sentBodies.length,
    scoresSent: new Set(scores.filter((score) => score !== null)).size,
    received: stats.received,
    applied: stats.applied,
    inOrder,
    lastScore: storedScore,
    lastCallKept: storedScore === calls,
  };
}

/**
 * Returns the herogi and plain-fetch variants. `server` is { script, url, admin, getProfile,
 * appId, appSecret }: `script` is the file served as /bench-build/herogi.min.js, and admin resets
 * and reads the server's request counters.
 */
export function coreVariants(server) {
  const query = new URLSearchParams({ app: server.appId, secret: server.appSecret, api: server.url });
  const common = {
    endpoint: /^\/v1\/identify$/,
    beforeBurst: () => server.admin.resetStats(),
    checkDelivery: (args) =>
      checkServerDelivery({ ...args, admin: server.admin, serverUrl: server.url, getProfile: server.getProfile }),
  };
  return [
    {
      ...common,
      name: "herogi",
      scriptFiles: [server.script],
      scriptNames: ["dist/herogi.min.js"],
      page: `/bench-herogi.html?${query}`,
    },
    { ...common, name: "plain fetch", scriptFiles: [], page: `/bench-plain.html?${query}` },
  ];
}
