/**
 * bulk_throughput: `HeapProfiler.takeHeapSnapshot` of a target holding ~100 MB of small objects, streamed to
 * the client as `HeapProfiler.addHeapSnapshotChunk` events; megabytes of snapshot per second from the command to
 * its answer (all chunks come before the answer), through the chain against a direct connection.
 * Target: >= 0.8x direct. 1 MB = 1,000,000 bytes of snapshot text.
 */
import { compareWithDirect } from '../lib/compare.mjs';
import { cpuSeconds, descendants } from '../lib/proc-cpu.mjs';
import { formatNumber, makeRow } from '../lib/report.mjs';
import { now, summarize } from '../lib/stats.mjs';
import { resume } from '../lib/targets.mjs';

/** Megabytes of small objects the target holds (the issue's ~100 MB in a full run). */
const HEAP_MB = { quick: 10, full: 100 };
/** Snapshots per target. */
const SNAPSHOTS_PER_ROUND = 1;
/** Fresh targets per side. */
const ROUNDS = { quick: 2, full: 3 };
/** A snapshot of a 100 MB heap takes ~12 s here; allow for a slow machine. */
const SNAPSHOT_TIMEOUT_MS = 300_000;

/** Which part of the chain (or of the direct setup) a process is, from its command line. */
const ROLES = [
  { role: 'broker', pattern: /broker-host\.mjs/ },
  { role: 'child', pattern: /child-entry\.js/ },
  { role: 'target', pattern: /direct-target\.js/ },
];

/**
 * The processes of this run that take part in a snapshot, by role: this process is the client, and the proxy is
 * whichever process started the child (the Lambda runtime process, however the local Lambda launches it).
 */
function participants(side) {
  const found = [{ role: 'client', pid: process.pid }];
  for (const { pid, ppid, command } of descendants(process.pid)) {
    const match = ROLES.find(({ pattern }) => pattern.test(command));
    if (!match) continue;
    // The broker process lives through the direct rounds too, idle; only the chain's readings show it.
    if (match.role === 'broker' && side !== 'chain') continue;
    found.push({ role: match.role, pid });
    if (match.role === 'child') found.push({ role: 'proxy', pid: ppid });
  }
  return found;
}

/** CPU cores each role kept busy while `work` ran (CPU seconds over wall seconds). */
async function coresBusy(side, work) {
  const processes = participants(side).map((entry) => ({ ...entry, before: cpuSeconds(entry.pid) }));
  const started = now();
  await work();
  const seconds = (now() - started) / 1000;
  const busy = {};
  for (const { role, pid, before } of processes) {
    const after = cpuSeconds(pid);
    if (before !== undefined && after !== undefined)
      busy[role] = (busy[role] ?? 0) + (after - before) / seconds;
  }
  return busy;
}

function describeBusy(list) {
  if (list.length === 0 || Object.keys(list[0]).length === 0) return 'unavailable (no /proc)';
  return Object.keys(list[0])
    .map((role) => `${role} ${formatNumber(summarize(list.map((busy) => busy[role] ?? 0)).median)}`)
    .join(', ');
}

/** Measures the figure; resolves with its row. */
export default async function measure({ quick, log }) {
  const mode = quick ? 'quick' : 'full';
  const snapshotMb = [];
  const busyBySide = { chain: [], direct: [] };
  const result = await compareWithDirect({
    label: 'bulk_throughput',
    log,
    rounds: ROUNDS[mode],
    event: { mode: 'heap', heapMb: HEAP_MB[mode], maxMs: 600_000 },
    measureBlock: async ({ cdp }, side) => {
      await resume(cdp);
      await cdp.send('Runtime.evaluate', { expression: 'globalThis.benchHeapReady', awaitPromise: true });
      await cdp.send('HeapProfiler.enable');
      const samples = [];
      for (let i = 0; i < SNAPSHOTS_PER_ROUND; i++) {
        let bytes = 0;
        const stop = cdp.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => {
          bytes += Buffer.byteLength(chunk);
        });
        const started = now();
        busyBySide[side].push(
          await coresBusy(side, () =>
            cdp.send(
              'HeapProfiler.takeHeapSnapshot',
              { reportProgress: false },
              { timeoutMs: SNAPSHOT_TIMEOUT_MS },
            ),
          ),
        );
        const seconds = (now() - started) / 1000;
        stop();
        if (bytes === 0) throw new Error('the heap snapshot arrived empty');
        snapshotMb.push(bytes / 1e6);
        samples.push(bytes / 1e6 / seconds);
      }
      await cdp.send('HeapProfiler.disable');
      return samples;
    },
  });
  return [
    makeRow({
      figure: 'bulk_throughput',
      unit: 'MB/s',
      value: result.chain,
      baseline: result.direct,
      baselineLabel: 'direct node --inspect',
      error: result.chainError,
      target: { text: '>= 0.8x direct', check: (row) => row.ratio >= 0.8 },
      notes: [
        `${HEAP_MB[mode]} MB heap, snapshots of ${formatNumber(summarize(snapshotMb).median)} MB`,
        `CPU cores busy during the snapshot, chain: ${describeBusy(busyBySide.chain)}`,
        `CPU cores busy during the snapshot, direct: ${describeBusy(busyBySide.direct)}`,
      ],
    }),
  ];
}
