// Summaries of the benchmark's runs: min, median and max of each metric per variant, and the
// Markdown tables printed at the end of a run.

/**
 * The measured metrics: a key for the JSON, a table label with its unit ({calls} is the burst
 * size), and how to read the value from one visit.
 */
export const METRICS = [
  { key: "readyMs", label: "navigation to ready (ms)", read: (visit) => visit.readyMs },
  {
    key: "callToRequestMs",
    label: "identify call to request sent (ms)",
    read: (visit) => visit.firstCall.callToRequestMs,
  },
  {
    key: "burstSyncMs",
    label: "{calls} identify calls, synchronous part (ms)",
    read: (visit) => visit.burst.syncMs,
  },
  {
    key: "burstSettleMs",
    label: "{calls} identify calls, until all settled (ms)",
    read: (visit) => visit.burst.settleMs,
  },
  { key: "jsHeapKiB", label: "JS heap used (KiB)", read: (visit) => visit.memory.jsHeapUsedBytes / 1024 },
  {
    key: "arrayBufferKiB",
    label: "ArrayBuffer backing stores (KiB)",
    read: (visit) => visit.memory.arrayBufferBytes / 1024,
  },
  {
    key: "wasmMemoryKiB",
    label: "wasm linear memory (KiB)",
    read: (visit) => visit.memory.wasmMemoryBytes / 1024,
  },
  { key: "memoryKiB", label: "memory after load (KiB)", read: (visit) => visit.memory.totalBytes / 1024 },
];

const MAIN_TABLE = ["readyMs", "callToRequestMs", "burstSyncMs", "memoryKiB"];
const MEMORY_TABLE = ["jsHeapKiB", "arrayBufferKiB", "wasmMemoryKiB", "memoryKiB"];

/**
 * Returns { min, median, max, values } of a list of numbers. The median of an even count is
 * the mean of the middle two.
 */
export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { min: sorted[0], median, max: sorted[sorted.length - 1], values };
}

/** Returns the summary of every metric over the visits of one variant. */
export function summarizeVisits(visits) {
  const summary = {};
  for (const metric of METRICS) summary[metric.key] = summarize(visits.map(metric.read));
  return summary;
}

/** Formats a number with one decimal below 100 (none for a count) and thousands separators. */
function formatNumber(value, isCount = false) {
  if (value === null || value === undefined || Number.isNaN(value)) return "n/a";
  if (isCount || Math.abs(value) >= 100) return Math.round(value).toLocaleString("en-US");
  return value.toFixed(1);
}

function formatRange({ min, median, max }, isCount = false) {
  const format = (value) => formatNumber(value, isCount);
  return `${format(median)} (${format(min)} to ${format(max)})`;
}

function formatTable(header, rows) {
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  return lines.join("\n");
}

function metricTable(results, keys, firstColumns) {
  const metrics = keys.map((key) => METRICS.find((metric) => metric.key === key));
  const labels = metrics.map((metric) => metric.label.replace("{calls}", String(results.calls)));
  const rows = results.variants.map((variant) => [
    ...firstColumns.map((column) => column.read(variant)),
    ...metrics.map((metric) => formatRange(variant.summary[metric.key])),
  ]);
  return formatTable([...firstColumns.map((column) => column.label), ...labels], rows);
}

function countRuns(visits, predicate) {
  return `${visits.filter(predicate).length}/${visits.length}`;
}

function deliveryRow(variant) {
  const visits = variant.visits;
  const summarizeField = (read, isCount = true) => {
    const values = visits.map(read).filter((value) => typeof value === "number");
    return values.length ? formatRange(summarize(values), isCount) : "n/a";
  };
  const rejected = visits.reduce(
    (sum, visit) => sum + Object.values(visit.burst.rejected ?? {}).reduce((a, b) => a + b, 0),
    0,
  );
  return [
    variant.name,
    summarizeField((visit) => visit.burst.settleMs, false),
    summarizeField((visit) => visit.burst.requests),
    summarizeField((visit) => visit.burst.applied),
    summarizeField((visit) => visit.burst.scoresSent),
    countRuns(visits, (visit) => visit.burst.inOrder),
    countRuns(visits, (visit) => visit.burst.lastCallKept),
    String(rejected),
  ];
}

/**
 * Formats the results as three Markdown tables, one row per variant and each cell the median
 * with the min and max in brackets: the main metrics, the parts of the memory, and the
 * delivery of the bursts.
 */
export function formatTables(results) {
  const name = { label: "", read: (variant) => variant.name };
  const gzip = { label: "gzip KiB", read: (variant) => (variant.size ? variant.size.gzipKiB.toFixed(1) : "0") };
  const calls = results.calls;
  const delivery = formatTable(
    [
      "",
      "until delivered (ms)",
      "requests",
      "requests applied by herogi-server",
      "calls whose values were sent",
      "values sent in call order (runs)",
      "last call's values kept (runs)",
      "calls rejected (all runs)",
    ],
    results.variants.map(deliveryRow),
  );
  return [
    metricTable(results, MAIN_TABLE, [name, gzip]),
    "Memory after load, after a full garbage collection:\n\n" + metricTable(results, MEMORY_TABLE, [name]),
    `Delivery of the ${calls} calls:\n\n` + delivery,
  ].join("\n\n");
}
