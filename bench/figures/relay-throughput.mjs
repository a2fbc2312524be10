/**
 * relay_throughput: CDP messages per second the broker relays for 100 concurrent sessions, each Lambda side
 * streaming 1 KB events to its debugger as fast as the sockets take them (the machine's two cores are shared by
 * the broker and the client processes, the same for both sides of the ratio).
 * relay_cpu: the broker's CPU time (user + system) per 10,000 messages at a steady paced stream of 50 events per
 * second per session (5,000 messages a second in all), well below saturation.
 * Baseline for both: the bare `ws` relay (workers/bare-relay-host.mjs) under the same load. The issue sets no
 * target for these figures.
 */
import { startClients } from '../lib/clients.mjs';
import { formatNumber, makeRow } from '../lib/report.mjs';
import { makeSecret, startHost } from '../lib/servers.mjs';
import { now } from '../lib/stats.mjs';

/** Concurrent sessions, as the issue asks. */
const SESSIONS = 100;
/** Size of each event's CDP payload. */
const PAYLOAD_BYTES = 1024;
/** Events per second per session in the paced phase. */
const PACED_RATE_PER_SESSION = 50;
/** Client processes sharing the sessions. */
const CLIENT_PROCESSES = 2;
/** Streaming before the window opens, so sockets and the JIT settle. */
const WARMUP_MS = { quick: 1000, full: 2000 };
/** The measured window of each phase. */
const WINDOW_MS = { quick: 3000, full: 8000 };
/** Measurements per host kind. */
const ROUNDS = { quick: 1, full: 3 };
/** After a stream stops, events still in flight are waited for (at most this long) before the next phase. */
const DRAIN_TIMEOUT_MS = 10_000;
const DRAIN_POLL_MS = 100;

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function streamPhase(host, clients, ratePerSession, mode) {
  await clients.all({ type: 'stream-start', payloadBytes: PAYLOAD_BYTES, ratePerSession });
  await delay(WARMUP_MS[mode]);
  const [usageBefore, countBefore] = await Promise.all([host.usage(), clients.all({ type: 'count' })]);
  const started = now();
  await delay(WINDOW_MS[mode]);
  const [usageAfter, countAfter] = await Promise.all([host.usage(), clients.all({ type: 'count' })]);
  const seconds = (now() - started) / 1000;
  await clients.all({ type: 'stream-stop' });
  // Let the relay empty before the next phase, so its counts are its own.
  let last = -1;
  for (let waited = 0; waited < DRAIN_TIMEOUT_MS; waited += DRAIN_POLL_MS) {
    const { received } = await clients.all({ type: 'count' });
    if (received === last) break;
    last = received;
    await delay(DRAIN_POLL_MS);
  }
  const messages = countAfter.received - countBefore.received;
  const cpuMs =
    (usageAfter.cpuUserUs + usageAfter.cpuSystemUs - usageBefore.cpuUserUs - usageBefore.cpuSystemUs) / 1000;
  return { messagesPerSecond: messages / seconds, cpuMsPer10k: (cpuMs / messages) * 10_000, messages };
}

async function measureHost(kind, secret, clients, round, mode) {
  // Every client runs on loopback, one address: the per-address caps must admit all of its sessions.
  const host = await startHost(kind, {
    secret: kind === 'broker' ? secret : undefined,
    limits: { maxDebuggerConnectionsPerAddress: 2 * SESSIONS, maxLambdaConnectionsPerAddress: 2 * SESSIONS },
  });
  const target = {
    lambdaUrl: host.lambdaUrl,
    debuggerBase: host.debuggerBase,
    secret: kind === 'broker' ? secret : '',
  };
  try {
    const opened = await clients.split(
      { type: 'open', target, prefix: `${kind}r${round}`, concurrency: 20 },
      SESSIONS,
    );
    if (opened.failed > 0)
      throw new Error(`${kind}: ${opened.failed} sessions failed to open: ${opened.firstError}`);
    const saturated = await streamPhase(host, clients, 0, mode);
    const paced = await streamPhase(host, clients, PACED_RATE_PER_SESSION, mode);
    return { saturated, paced };
  } finally {
    await clients.all({ type: 'close-all' });
    await host.close();
  }
}

/** Measures the figures; resolves with their rows. */
export default async function measure({ quick, log }) {
  const mode = quick ? 'quick' : 'full';
  const secret = makeSecret();
  const clients = await startClients(CLIENT_PROCESSES);
  const results = { broker: [], bare: [] };
  try {
    for (let round = 0; round < ROUNDS[mode]; round++) {
      for (const kind of ['broker', 'bare']) {
        const result = await measureHost(kind, secret, clients, round, mode);
        results[kind].push(result);
        log(
          `relay_throughput: ${kind}: ${formatNumber(result.saturated.messagesPerSecond)} msg/s saturated; ` +
            `${formatNumber(result.paced.messagesPerSecond)} msg/s paced at ` +
            `${formatNumber(result.paced.cpuMsPer10k)} ms CPU per 10k`,
        );
      }
    }
  } finally {
    await clients.close();
  }
  const pick = (kind, phase, field) => results[kind].map((result) => result[phase][field]);
  return [
    makeRow({
      figure: 'relay_throughput',
      unit: 'msg/s',
      value: pick('broker', 'saturated', 'messagesPerSecond'),
      baseline: pick('bare', 'saturated', 'messagesPerSecond'),
      baselineLabel: 'bare ws relay',
      target: { text: 'none set', check: null },
      notes: [
        `${SESSIONS} sessions streaming ${PAYLOAD_BYTES}-byte events, self-clocked (a fixed number in flight per session); ` +
          `broker CPU at saturation ${formatNumber(pick('broker', 'saturated', 'cpuMsPer10k')[0])} ms per 10k`,
      ],
    }),
    makeRow({
      figure: 'relay_cpu',
      unit: 'CPU ms/10k msg',
      value: pick('broker', 'paced', 'cpuMsPer10k'),
      baseline: pick('bare', 'paced', 'cpuMsPer10k'),
      baselineLabel: 'bare ws relay',
      target: { text: 'none set', check: null },
      notes: [
        `paced at ${PACED_RATE_PER_SESSION} events/s per session; delivered ` +
          `${formatNumber(pick('broker', 'paced', 'messagesPerSecond')[0])} msg/s through the broker`,
      ],
    }),
  ];
}
