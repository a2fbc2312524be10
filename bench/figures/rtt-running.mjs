/**
 * rtt_running: round trip of `Runtime.evaluate("1+1")` while the target runs (an idle event loop), through
 * debugger -> broker -> proxy -> child, against the same through a direct connection to a plain
 * `node --inspect` process. Target: chain <= 1.5x direct.
 *
 * The client behaves like DevTools: Runtime and Debugger domains enabled. With the Debugger domain enabled,
 * Node's TCP inspector answers in ~44 ms even while running (Nagle and delayed ACK); with only Runtime enabled it
 * answers in well under a millisecond. Both are measured on both sides; the row uses the DevTools-like client and
 * a note gives the Runtime-only pair.
 */
import { compareWithDirect } from '../lib/compare.mjs';
import { formatNumber, makeRow } from '../lib/report.mjs';
import { now, summarize } from '../lib/stats.mjs';
import { resume } from '../lib/targets.mjs';

/** Round trips per target with the Debugger domain enabled (each ~44 ms on the direct side). */
const SAMPLES_PER_ROUND = { quick: 30, full: 100 };
/** Round trips per target with only Runtime enabled (fast on both sides). */
const RUNTIME_ONLY_SAMPLES_PER_ROUND = { quick: 100, full: 300 };
/** Fresh targets per side. */
const ROUNDS = { quick: 2, full: 3 };
/** Unrecorded round trips first: JIT and socket buffers settle. */
const WARMUP_ROUND_TRIPS = 5;

async function sampleEvaluate(cdp, count) {
  const samples = [];
  for (let i = 0; i < WARMUP_ROUND_TRIPS + count; i++) {
    const started = now();
    const answer = await cdp.send('Runtime.evaluate', { expression: '1+1' });
    if (i >= WARMUP_ROUND_TRIPS) samples.push(now() - started);
    if (answer.result.value !== 2) throw new Error(`1+1 evaluated to ${JSON.stringify(answer.result)}`);
  }
  return samples;
}

/** Measures the figure; resolves with its row. */
export default async function measure({ quick, log }) {
  const mode = quick ? 'quick' : 'full';
  const runtimeOnly = { chain: [], direct: [] };
  const result = await compareWithDirect({
    label: 'rtt_running',
    log,
    rounds: ROUNDS[mode],
    event: { mode: 'idle', maxMs: 120_000 },
    measureBlock: async ({ cdp }, side) => {
      await resume(cdp);
      const samples = await sampleEvaluate(cdp, SAMPLES_PER_ROUND[mode]);
      await cdp.send('Debugger.disable');
      runtimeOnly[side].push(...(await sampleEvaluate(cdp, RUNTIME_ONLY_SAMPLES_PER_ROUND[mode])));
      await cdp.send('Debugger.enable');
      return samples;
    },
  });
  const chainRuntimeOnly = summarize(runtimeOnly.chain);
  const directRuntimeOnly = summarize(runtimeOnly.direct);
  return [
    makeRow({
      figure: 'rtt_running',
      unit: 'ms',
      value: result.chain,
      baseline: result.direct,
      baselineLabel: 'direct node --inspect',
      error: result.chainError,
      target: { text: '<= 1.5x direct', check: (row) => row.ratio <= 1.5 },
      notes: [
        'client enables Runtime and Debugger, as DevTools does',
        `with only Runtime enabled: chain ${formatNumber(chainRuntimeOnly.median)} ms, direct ` +
          `${formatNumber(directRuntimeOnly.median)} ms (ratio ${formatNumber(chainRuntimeOnly.median / directRuntimeOnly.median)}x)`,
      ],
    }),
  ];
}
