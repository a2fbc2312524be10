/**
 * rtt_paused (stepping latency): round trip of `Debugger.evaluateOnCallFrame("1+1")` on the top frame while
 * the target is paused in a loop, through the chain against a direct connection to a plain `node --inspect`
 * process. Target: the chain answers in <= 2 ms.
 */
import { compareWithDirect } from '../lib/compare.mjs';
import { makeRow } from '../lib/report.mjs';
import { now } from '../lib/stats.mjs';
import { runToLoopBreakpoint } from '../lib/targets.mjs';

/** Round trips per paused target (each ~44 ms on the direct side). */
const SAMPLES_PER_ROUND = { quick: 30, full: 100 };
/** Fresh targets per side. */
const ROUNDS = { quick: 2, full: 3 };
/** Unrecorded round trips first. */
const WARMUP_ROUND_TRIPS = 5;
/** The target the issue sets for the chain, in milliseconds. */
const TARGET_MS = 2;

/** Measures the figure; resolves with its row. */
export default async function measure({ quick, log }) {
  const mode = quick ? 'quick' : 'full';
  const result = await compareWithDirect({
    label: 'rtt_paused',
    log,
    rounds: ROUNDS[mode],
    event: { mode: 'loop', maxMs: 120_000 },
    measureBlock: async ({ cdp }) => {
      const paused = await runToLoopBreakpoint(cdp);
      const callFrameId = paused.callFrames[0].callFrameId;
      const samples = [];
      for (let i = 0; i < WARMUP_ROUND_TRIPS + SAMPLES_PER_ROUND[mode]; i++) {
        const started = now();
        const answer = await cdp.send('Debugger.evaluateOnCallFrame', { callFrameId, expression: '1+1' });
        if (i >= WARMUP_ROUND_TRIPS) samples.push(now() - started);
        if (answer.result.value !== 2) throw new Error(`1+1 evaluated to ${JSON.stringify(answer.result)}`);
      }
      return samples;
    },
  });
  return [
    makeRow({
      figure: 'rtt_paused',
      unit: 'ms',
      value: result.chain,
      baseline: result.direct,
      baselineLabel: 'direct node --inspect',
      error: result.chainError,
      target: { text: `<= ${TARGET_MS} ms`, check: (row) => row.value <= TARGET_MS },
    }),
  ];
}
