/**
 * off_overhead: what the proxy costs when debugging is off (`DEBUGGER_ACTIVE` unset), under the local Lambda
 * (the real `aws-lambda-ric` behind a Runtime API emulator), against the bare handler:
 * - off_overhead_cold_start: wall time of a cold invocation (runtime process start, runtime client start,
 *   require the handler, run it), measured around `invoke()`. Target: < 1 ms added.
 * - off_overhead_invoke: wall time of a warm invocation, measured around `invoke()`. Target: < 0.05 ms added.
 * The proxy is measured in each of its three ways (seed `require` line, `debuggable()`, the no-code-change
 * wrapper handler); the row shows the slowest way, the notes each way. The ways run interleaved, in a new order
 * every repetition. A note also gives the time each handler file takes to load, measured inside the runtime
 * process, which resolves the require cost far below the noise of a process start.
 */
import emulator from '@lambda-debug/lambda-emulator';
import { formatNumber, makeRow } from '../lib/report.mjs';
import { now, summarize } from '../lib/stats.mjs';
import { createTaskRoot, HANDLERS } from '../lib/task-root.mjs';

/** Cold starts per way. */
const COLD_STARTS = { quick: 8, full: 40 };
/** Rounds of the warm phase: each starts one local Lambda per way, all alive at once. */
const WARM_ROUNDS = { quick: 2, full: 5 };
/** Warm invocations per way per round, taken round-robin across the ways so noise hits all alike. */
const WARM_INVOCATIONS = { quick: 300, full: 1000 };
/** Warm invocations not recorded at the start of each round (the runtime client's first calls are slower). */
const WARM_WARMUP = 50;
/** The targets, in milliseconds added to the bare handler. */
const TARGET_COLD_MS = 1;
const TARGET_INVOKE_MS = 0.05;
/** Generous: only a broken setup takes this long. */
const INVOKE_TIMEOUT_MS = 30_000;

const WAYS = ['seed', 'explicit', 'wrapper'];
/** Ways whose handler file logs its own load time (the wrapper loads the bare file through the proxy). */
const WAYS_WITH_LOAD_TIME = ['seed', 'explicit'];
const ECHO = { mode: 'echo' };

function shuffled(list) {
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

function loadTimeOf(result) {
  for (const line of result.logs) {
    const match = /bench-load-ms (\d+(?:\.\d+)?)/.exec(line);
    if (match) return Number(match[1]);
  }
  return undefined;
}

function checkSuccess(way, result) {
  if (result.status !== 'success' || JSON.parse(result.payload).mode !== 'echo') {
    throw new Error(
      `the ${way} handler did not answer the echo event: ${result.status} ${result.payload.slice(0, 200)}`,
    );
  }
}

function startLambda(taskRoot, way) {
  const { handler, env } = HANDLERS[way];
  return emulator.startLocalLambda({ taskRoot, handler, env, timeoutMs: INVOKE_TIMEOUT_MS });
}

async function timedInvoke(lambda, way) {
  const started = now();
  const result = await lambda.invoke(ECHO);
  const ms = now() - started;
  checkSuccess(way, result);
  return { ms, result };
}

async function coldStart(taskRoot, way) {
  const lambda = await startLambda(taskRoot, way);
  try {
    const { ms, result } = await timedInvoke(lambda, way);
    if (!result.coldStart) throw new Error('the first invocation of a new local Lambda was not a cold start');
    return { coldMs: ms, initMs: result.initDurationMs, loadMs: loadTimeOf(result) };
  } finally {
    await lambda.close();
  }
}

async function warmRound(taskRoot, ways, count, samples) {
  const lambdas = {};
  try {
    for (const way of ways) lambdas[way] = await startLambda(taskRoot, way);
    for (const way of ways) for (let i = 0; i < WARM_WARMUP; i++) await timedInvoke(lambdas[way], way);
    for (let i = 0; i < count; i++) {
      for (const way of ways) samples[way].warm.push((await timedInvoke(lambdas[way], way)).ms);
    }
  } finally {
    await Promise.all(Object.values(lambdas).map((lambda) => lambda.close()));
  }
}

/** Measures the figures; resolves with their rows. */
export default async function measure({ quick, log }) {
  const mode = quick ? 'quick' : 'full';
  const taskRoot = createTaskRoot();
  const samples = Object.fromEntries(
    ['bare', ...WAYS].map((way) => [way, { cold: [], init: [], load: [], warm: [] }]),
  );
  try {
    for (let rep = 0; rep < COLD_STARTS[mode]; rep++) {
      for (const way of shuffled(['bare', ...WAYS])) {
        const result = await coldStart(taskRoot.dir, way);
        samples[way].cold.push(result.coldMs);
        if (result.initMs !== undefined) samples[way].init.push(result.initMs);
        if (result.loadMs !== undefined) samples[way].load.push(result.loadMs);
      }
      if ((rep + 1) % 10 === 0) log(`off_overhead: ${rep + 1}/${COLD_STARTS[mode]} cold starts per way`);
    }
    for (let round = 0; round < WARM_ROUNDS[mode]; round++) {
      await warmRound(taskRoot.dir, shuffled(['bare', ...WAYS]), WARM_INVOCATIONS[mode], samples);
      log(`off_overhead: warm round ${round + 1}/${WARM_ROUNDS[mode]}`);
    }
  } finally {
    taskRoot.cleanup();
  }

  const median = (list) => summarize(list).median;
  const added = (way, kind) => median(samples[way][kind]) - median(samples.bare[kind]);
  const slowest = (kind) =>
    WAYS.reduce((worst, way) => (added(way, kind) > added(worst, kind) ? way : worst));
  const wayNotes = (kind, digits) =>
    WAYS.map(
      (way) => `${way} ${added(way, kind) >= 0 ? '+' : ''}${added(way, kind).toFixed(digits)} ms`,
    ).join(', ');
  const loadAdded = (way) => added(way, 'load');
  const loadNote = () =>
    `handler file load inside the runtime: bare ${formatNumber(median(samples.bare.load))} ms; ` +
    WAYS_WITH_LOAD_TIME.map(
      (way) => `${way} ${loadAdded(way) >= 0 ? '+' : ''}${loadAdded(way).toFixed(3)} ms`,
    ).join(', ');
  const coldWay = slowest('cold');
  const warmWay = slowest('warm');
  return [
    makeRow({
      figure: 'off_overhead_cold_start',
      unit: 'ms',
      value: samples[coldWay].cold,
      baseline: samples.bare.cold,
      baselineLabel: 'bare handler',
      // A process start varies by milliseconds, so the wall-time difference alone cannot show a sub-millisecond
      // cost; the load time measured inside the runtime can, and must be under the target too.
      target: {
        text: `< ${TARGET_COLD_MS} ms added`,
        check: (row) =>
          row.value - row.baseline < TARGET_COLD_MS &&
          WAYS_WITH_LOAD_TIME.every((way) => loadAdded(way) < TARGET_COLD_MS),
      },
      notes: [
        `slowest way: ${coldWay}; added wall time per way (medians): ${wayNotes('cold', 2)}`,
        `emulator init duration (integer ms): bare ${formatNumber(median(samples.bare.init))} ms; ${wayNotes('init', 1)}`,
        loadNote(),
      ],
    }),
    makeRow({
      figure: 'off_overhead_invoke',
      unit: 'ms',
      value: samples[warmWay].warm,
      baseline: samples.bare.warm,
      baselineLabel: 'bare handler',
      target: {
        text: `< ${TARGET_INVOKE_MS} ms added`,
        check: (row) => row.value - row.baseline < TARGET_INVOKE_MS,
      },
      notes: [`slowest way: ${warmWay}; added per way (medians): ${wayNotes('warm', 3)}`],
    }),
  ];
}
