/**
 * broker_capacity: idle sessions held (a Lambda link plus an attached debugger each) against the broker's RSS,
 * read after forced garbage collection: KB per session at 1,000 and at 5,000 sessions. Target: 5,000 sessions on
 * this machine, <= 20 KB each.
 * broker_churn: RSS after complete sessions (connect, attach, relay a few messages, end) minus RSS before, both
 * after forced GC. Target: < 5 MB growth after 10,000 sessions.
 *
 * Baseline for both: the same clients against a bare `ws` relay (workers/bare-relay-host.mjs) that speaks the
 * same link with nothing else, i.e. what the sockets alone cost. KB = 1024 bytes, MB = 1024 KB.
 */
import { startClients } from '../lib/clients.mjs';
import { formatNumber, makeRow } from '../lib/report.mjs';
import { makeSecret, startHost } from '../lib/servers.mjs';

/** Client processes: 5,000 sessions are 10,000 client sockets, spread so each process holds 2,500. */
const CLIENT_PROCESSES = 4;
/** Session counts at which RSS is read. */
const CAPACITY_STEPS = [1000, 5000];
/** Sessions each client process opens at once. */
const OPEN_CONCURRENCY = 25;
/** Complete sessions in the churn figure (the issue's 10,000 in a full run). */
const CHURN_SESSIONS = { quick: 1000, full: 10000 };
/**
 * Complete sessions before the "before" reading. RSS holds V8's heap pages and the allocator's arenas, which grow
 * to the working set of the load during the first ~2,000 sessions and then stay flat; that one-time growth is not
 * a leak (heapUsed does not move). The growth from the fresh broker is reported too, in a note.
 */
const CHURN_WARMUP_SESSIONS = { quick: 1000, full: 2000 };
/** Sessions each client process runs at once during churn. */
const CHURN_CONCURRENCY = 20;
/** CDP round trips each churned session relays (debugger command, answer from the Lambda side). */
const CHURN_ROUND_TRIPS = 3;
/** Measurements per host kind. */
const ROUNDS = { quick: 1, full: 2 };
/**
 * The broker's default limits are sized for a small team; the figure asks for 5,000 sessions, so raise them.
 * Every client runs on loopback, one address, so the per-address caps go up with them.
 */
const BROKER_LIMITS = {
  maxSessions: 10_000,
  maxConnectionsPerPort: 12_000,
  maxLambdaConnectionsPerAddress: 12_000,
  maxDebuggerConnectionsPerAddress: 12_000,
};
/** How long the churn figure waits for the host to process the last closes, and how often it looks. */
const SOCKETS_CLOSED_TIMEOUT_MS = 10_000;
const SOCKETS_CLOSED_POLL_MS = 50;
/** The issue's targets. */
const TARGET_KB_PER_SESSION = 20;
const TARGET_SESSIONS = 5000;
const TARGET_CHURN_GROWTH_MB = 5;

const KB = 1024;
const MB = 1024 * 1024;

/** Starts the broker (or the bare relay) and describes it for the session clients. */
async function startTarget(kind, secret) {
  const host = await startHost(kind, {
    secret: kind === 'broker' ? secret : undefined,
    limits: BROKER_LIMITS,
  });
  const target = {
    lambdaUrl: host.lambdaUrl,
    debuggerBase: host.debuggerBase,
    secret: kind === 'broker' ? secret : '',
  };
  return { host, target };
}

async function measureCapacity(kind, secret, clients, round) {
  const { host, target } = await startTarget(kind, secret);
  try {
    const before = await host.usageAfterGc();
    const result = {};
    let held = 0;
    for (const total of CAPACITY_STEPS) {
      const opened = await clients.split(
        { type: 'open', target, prefix: `${kind}${round}n${total}`, concurrency: OPEN_CONCURRENCY },
        total - held,
      );
      held += opened.opened;
      const after = await host.usageAfterGc();
      result[total] = {
        held,
        sessionsSeen: after.stats.sessions,
        kbPerSession: (after.rss - before.rss) / KB / held,
        heapKbPerSession: (after.heapUsed - before.heapUsed) / KB / held,
        rssMb: after.rss / MB,
        firstError: opened.firstError,
      };
    }
    result.idleRssMb = before.rss / MB;
    return result;
  } finally {
    await clients.all({ type: 'close-all' });
    await host.close();
  }
}

/**
 * Clients see their sockets close a moment before the server has processed every close; the "after" reading
 * waits (boundedly) until the host holds no socket, so it measures what is left, not what is still closing.
 */
async function socketsClosed(host) {
  for (let waited = 0; waited < SOCKETS_CLOSED_TIMEOUT_MS; waited += SOCKETS_CLOSED_POLL_MS) {
    const { stats } = await host.usage();
    if (stats.lambdaSockets === 0 && stats.debuggerSockets === 0) return;
    await new Promise((resolve) => setTimeout(resolve, SOCKETS_CLOSED_POLL_MS));
  }
}

async function measureChurn(kind, secret, clients, count, mode) {
  const { host, target } = await startTarget(kind, secret);
  const churn = (prefix, sessions) =>
    clients.split(
      { type: 'churn', target, prefix, concurrency: CHURN_CONCURRENCY, roundTrips: CHURN_ROUND_TRIPS },
      sessions,
    );
  try {
    const fresh = await host.usageAfterGc();
    await churn(`${kind}w`, CHURN_WARMUP_SESSIONS[mode]);
    const before = await host.usageAfterGc();
    const result = await churn(`${kind}c`, count);
    await socketsClosed(host);
    const after = await host.usageAfterGc();
    return {
      growthMb: (after.rss - before.rss) / MB,
      heapGrowthMb: (after.heapUsed - before.heapUsed) / MB,
      growthFromFreshMb: (after.rss - fresh.rss) / MB,
      completed: result.completed,
      firstError: result.firstError,
      leftOver: after.stats,
    };
  } finally {
    await host.close();
  }
}

/** Measures the figures; resolves with their rows. */
export default async function measure({ quick, log }) {
  const mode = quick ? 'quick' : 'full';
  const secret = makeSecret();
  const clients = await startClients(CLIENT_PROCESSES);
  const capacity = { broker: [], bare: [] };
  const churn = { broker: [], bare: [] };
  try {
    for (let round = 0; round < ROUNDS[mode]; round++) {
      for (const kind of ['broker', 'bare']) {
        const result = await measureCapacity(kind, secret, clients, round);
        capacity[kind].push(result);
        log(
          `broker_capacity: ${kind}: ${CAPACITY_STEPS.map((n) => `${result[n].held} held, ${formatNumber(result[n].kbPerSession)} KB each`).join('; ')}`,
        );
      }
    }
    for (let round = 0; round < ROUNDS[mode]; round++) {
      for (const kind of ['broker', 'bare']) {
        const result = await measureChurn(kind, secret, clients, CHURN_SESSIONS[mode], mode);
        churn[kind].push(result);
        log(
          `broker_churn: ${kind}: ${result.completed} sessions, RSS ${formatNumber(result.growthMb)} MB growth, ` +
            `heap ${formatNumber(result.heapGrowthMb)} MB`,
        );
      }
    }
  } finally {
    await clients.close();
  }

  const capacityRow = (sessions) => {
    const broker = capacity.broker.map((result) => result[sessions]);
    const failures = broker.filter((step) => step.held < sessions);
    return makeRow({
      figure: `broker_capacity_${sessions}`,
      unit: 'KB/session',
      value: broker.map((step) => step.kbPerSession),
      baseline: capacity.bare.map((result) => result[sessions].kbPerSession),
      baselineLabel: 'bare ws relay',
      // The issue's target is set at 5,000 sessions; at 1,000 the figure is shown for the trend.
      target:
        sessions === TARGET_SESSIONS
          ? {
              text: `${sessions} held, <= ${TARGET_KB_PER_SESSION} KB each`,
              check: (row) => failures.length === 0 && row.value <= TARGET_KB_PER_SESSION,
            }
          : { text: 'none set (target at 5000)', check: null },
      notes: [
        `broker RSS idle ${formatNumber(capacity.broker[0].idleRssMb)} MB, at ${sessions} sessions ` +
          `${formatNumber(broker[0].rssMb)} MB; sessions held ${broker.map((step) => step.held).join(', ')} of ${sessions}`,
        `of which JavaScript heap: broker ${formatNumber(broker[0].heapKbPerSession)} KB, bare relay ` +
          `${formatNumber(capacity.bare[0][sessions].heapKbPerSession)} KB per session`,
        ...(sessions === TARGET_SESSIONS ? [marginalNote()] : []),
        ...(failures.length > 0 ? [`refused or failed: ${failures[0].firstError}`] : []),
      ],
    });
  };
  // The cost of one more session, without the fixed growth (heap spaces, pools) that the first ones pay.
  const marginalNote = () => {
    const [low, high] = CAPACITY_STEPS;
    const slope = (results) =>
      results.map(
        (result) => ((result[high].rssMb - result[low].rssMb) * KB) / (result[high].held - result[low].held),
      );
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    return (
      `marginal cost from ${low} to ${high} sessions: broker ${formatNumber(median(slope(capacity.broker)))} KB, ` +
      `bare relay ${formatNumber(median(slope(capacity.bare)))} KB per session`
    );
  };
  const churnFailures = churn.broker.filter((result) => result.completed < CHURN_SESSIONS[mode]);
  return [
    capacityRow(1000),
    capacityRow(5000),
    makeRow({
      figure: 'broker_churn',
      unit: 'MB',
      value: churn.broker.map((result) => result.growthMb),
      baseline: churn.bare.map((result) => result.growthMb),
      baselineLabel: 'bare ws relay',
      target: {
        text: `< ${TARGET_CHURN_GROWTH_MB} MB after ${CHURN_SESSIONS[mode]} sessions`,
        check: (row) => churnFailures.length === 0 && row.value < TARGET_CHURN_GROWTH_MB,
      },
      notes: [
        `${CHURN_SESSIONS[mode]} complete sessions (${CHURN_ROUND_TRIPS} CDP round trips each) after ` +
          `${CHURN_WARMUP_SESSIONS[mode]} warm-up sessions; heapUsed growth ${formatNumber(churn.broker[0].heapGrowthMb)} MB; ` +
          `RSS growth from the fresh broker (warm-up included) ${formatNumber(churn.broker[0].growthFromFreshMb)} MB ` +
          `(bare relay ${formatNumber(churn.bare[0].growthFromFreshMb)} MB)`,
        `broker counters after churn: ${Object.entries(churn.broker[0].leftOver)
          .map(([name, value]) => `${name} ${value}`)
          .join(', ')}`,
        ...(churnFailures.length > 0 ? [`failed: ${churnFailures[0].firstError}`] : []),
      ],
    }),
  ];
}
