/**
 * What peers without a token (or with a token but no `hello`) can make the broker hold: its peak RSS during the
 * load against the same broker idle just before, in the same run, with the broker's default limits.
 * unauth_big_frames: 20 peers each write a WebSocket upgrade to `/v1/lambda` without a token, followed at once by
 * one 60 MB frame, as fast as the socket takes it, until the broker lets go of them.
 * unauth_reset_upgrades: 2,000 upgrades without a token (1,000 to `/f1` on the debugger port, 1,000 to
 * `/v1/lambda/f1` on the Lambda port), each reset right after its request is written, 50 at a time.
 * prehello_big_frames: the first load by peers that hold the function's Lambda token (the upgrade is accepted)
 * but send their 60 MB frame instead of `hello`.
 * Target (the issue's): < 50 MB growth over idle, and the broker never exits.
 */
import { connect } from 'node:net';
import broker from '@lambda-debug/broker';
import { formatNumber, makeRow } from '../lib/report.mjs';
import { makeSecret, startHost } from '../lib/servers.mjs';

/** The issue's load. */
const BIG_FRAME_PEERS = 20;
const BIG_FRAME_BYTES = 60 * 1024 * 1024;
const RESET_UPGRADES = 2000;
const RESETS_IN_FLIGHT = 50;
/** Fresh brokers per figure. */
const ROUNDS = { quick: 1, full: 3 };
/** How often the broker's RSS is read while the load runs (each read is one IPC round trip). */
const SAMPLE_EVERY_MS = 5;
/** Bound on waiting for the broker to let go of a peer; only so a broken broker cannot hang the run. */
const PEER_BOUND_MS = 60_000;
/** Bound on waiting for the broker's counters to come back to zero after a load. */
const IDLE_BOUND_MS = 10_000;
const TARGET_GROWTH_MB = 50;
const MB = 1024 * 1024;
const FUNCTION_ID = 'bench-unauth';

function upgradeRequest(path, headers = {}) {
  const lines = Object.entries({
    Host: '127.0.0.1',
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...headers,
  }).map(([name, value]) => `${name}: ${value}`);
  return `GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * One masked text frame of `length` zero bytes: the mask key is zero too (legal, and the masked bytes are the
 * payload), so every peer writes the same buffer and the load costs this process 60 MB, not 20 x 60 MB.
 */
function bigFrame(length) {
  const header = Buffer.alloc(14);
  header[0] = 0x81;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return Buffer.concat([header, Buffer.alloc(length)]);
}

/** Writes `chunks` to a new connection and resolves when the broker has let go of it (or after the bound). */
function peer(port, chunks, { reset = false } = {}) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const bound = setTimeout(() => socket.destroy(), PEER_BOUND_MS);
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.once('close', () => {
      clearTimeout(bound);
      resolve();
    });
    socket.once('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      if (reset) socket.resetAndDestroy();
    });
  });
}

async function inLanes(count, lanes, task) {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next += 1;
      await task();
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}

/** Reads the host's RSS until `stop()`; the peak seen, and the process's own high-water mark at the end. */
function sampleRss(host) {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rss } = await host.usage();
      peak = Math.max(peak, rss);
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return peak;
    },
  };
}

async function waitIdle(host) {
  const idle = (stats) =>
    stats.tcpConnections === 0 && stats.lambdaSockets === 0 && stats.debuggerSockets === 0;
  for (let waited = 0; waited < IDLE_BOUND_MS; waited += 50) {
    const { stats } = await host.usage();
    if (idle(stats)) return stats;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return (await host.usage()).stats;
}

const LOADS = {
  unauth_big_frames: async (host) => {
    const request = Buffer.from(upgradeRequest('/v1/lambda'));
    const frame = bigFrame(BIG_FRAME_BYTES);
    await Promise.all(
      Array.from({ length: BIG_FRAME_PEERS }, () => peer(host.lambdaAddress.port, [request, frame])),
    );
    return `${BIG_FRAME_PEERS} peers, one ${BIG_FRAME_BYTES / MB} MB frame each, at once`;
  },
  prehello_big_frames: async (host, secret) => {
    const token = broker.deriveToken(secret, 'lambda', FUNCTION_ID);
    const request = Buffer.from(
      upgradeRequest(`/v1/lambda/${FUNCTION_ID}`, { Authorization: `Bearer ${token}` }),
    );
    const frame = bigFrame(BIG_FRAME_BYTES);
    await Promise.all(
      Array.from({ length: BIG_FRAME_PEERS }, () => peer(host.lambdaAddress.port, [request, frame])),
    );
    return `${BIG_FRAME_PEERS} peers, one ${BIG_FRAME_BYTES / MB} MB frame each, at once`;
  },
  unauth_reset_upgrades: async (host) => {
    const targets = [
      [host.debuggerAddress.port, Buffer.from(upgradeRequest('/f1'))],
      [host.lambdaAddress.port, Buffer.from(upgradeRequest('/v1/lambda/f1'))],
    ];
    let index = 0;
    await inLanes(RESET_UPGRADES, RESETS_IN_FLIGHT, async () => {
      const [port, request] = targets[index % 2];
      index += 1;
      await peer(port, [request], { reset: true });
    });
    return `${RESET_UPGRADES} upgrades reset right after their request, ${RESETS_IN_FLIGHT} at a time`;
  },
};

async function measureLoad(name, secret) {
  const host = await startHost('broker', { secret });
  try {
    const idle = await host.usageAfterGc();
    const sampler = sampleRss(host);
    const detail = await LOADS[name](host, secret);
    const sampledPeak = await sampler.stop();
    const after = await host.usage();
    // The process's own high-water mark catches a spike between two samples, when the load raised it.
    const peak = after.maxRss > idle.maxRss ? Math.max(sampledPeak, after.maxRss) : sampledPeak;
    const stats = await waitIdle(host);
    const alive = host.child.exitCode === null && host.child.signalCode === null;
    return {
      idleMb: idle.rss / MB,
      peakMb: peak / MB,
      growthMb: (peak - idle.rss) / MB,
      alive,
      stats,
      detail,
    };
  } catch (error) {
    const alive = host.child.exitCode === null && host.child.signalCode === null;
    return { error, alive };
  } finally {
    await host.close();
  }
}

/** Measures the figures; resolves with their rows. */
export default async function measure({ quick, log }) {
  const mode = quick ? 'quick' : 'full';
  const secret = makeSecret();
  const results = Object.fromEntries(Object.keys(LOADS).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS[mode]; round++) {
    for (const name of Object.keys(LOADS)) {
      const result = await measureLoad(name, secret);
      results[name].push(result);
      log(
        result.error
          ? `${name}: failed (${result.error.message}); broker ${result.alive ? 'alive' : 'exited'}`
          : `${name}: idle ${formatNumber(result.idleMb)} MB, peak ${formatNumber(result.peakMb)} MB, ` +
              `growth ${formatNumber(result.growthMb)} MB; broker ${result.alive ? 'alive' : 'EXITED'}`,
      );
    }
  }
  return Object.entries(results).map(([name, runs]) => {
    const measured = runs.filter((run) => !run.error);
    const failed = runs.find((run) => run.error);
    const allAlive = runs.every((run) => run.alive);
    return makeRow({
      figure: name,
      unit: 'MB RSS',
      value: measured.map((run) => run.peakMb),
      baseline: measured.map((run) => run.idleMb),
      baselineLabel: 'the same broker idle, just before',
      ...(failed ? { error: failed.error } : {}),
      target: {
        text: `< ${TARGET_GROWTH_MB} MB growth, no exit`,
        check: () => allAlive && measured.every((run) => run.growthMb < TARGET_GROWTH_MB),
      },
      notes: measured.length
        ? [
            `peak growth over idle per run: ${measured.map((run) => `${formatNumber(run.growthMb)} MB`).join(', ')}; ` +
              `broker ${allAlive ? 'alive after every run' : 'EXITED in a run'}; ${measured[0].detail}`,
            `broker counters after the load: ${Object.entries(measured[0].stats)
              .map(([counter, value]) => `${counter} ${value}`)
              .join(', ')}`,
          ]
        : [],
    });
  });
}
