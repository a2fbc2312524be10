/**
 * step_sequence: a DevTools-like step repeated: `Debugger.stepOver`, wait for `Debugger.paused`, then
 * `Runtime.getProperties` on the top frame's local scope, as DevTools does to refresh the Scope pane. Time per
 * step, through the chain against a direct connection. The issue sets no target for this figure.
 */
import { compareWithDirect } from '../lib/compare.mjs';
import { makeRow } from '../lib/report.mjs';
import { now } from '../lib/stats.mjs';
import { runToLoopBreakpoint } from '../lib/targets.mjs';

/** Steps per target: the 100 in a full run. */
const STEPS_PER_ROUND = { quick: 20, full: 100 };
/** Fresh targets per side. */
const ROUNDS = { quick: 1, full: 3 };
/** Unrecorded steps first. */
const WARMUP_STEPS = 3;

async function step(cdp) {
  const paused = cdp.waitFor('Debugger.paused');
  await cdp.send('Debugger.stepOver');
  const { callFrames } = await paused;
  const local =
    callFrames[0].scopeChain.find((scope) => scope.type === 'local') ?? callFrames[0].scopeChain[0];
  const { result } = await cdp.send('Runtime.getProperties', {
    objectId: local.object.objectId,
    ownProperties: false,
    accessorPropertiesOnly: false,
    generatePreview: true,
  });
  if (result.length === 0) throw new Error('the local scope came back empty');
}

/** Measures the figure; resolves with its row. */
export default async function measure({ quick, log }) {
  const mode = quick ? 'quick' : 'full';
  const result = await compareWithDirect({
    label: 'step_sequence',
    log,
    rounds: ROUNDS[mode],
    event: { mode: 'loop', maxMs: 300_000 },
    measureBlock: async ({ cdp }) => {
      // The breakpoint would stop every iteration; stepping must be what moves the target.
      await runToLoopBreakpoint(cdp);
      await cdp.send('Debugger.setBreakpointsActive', { active: false });
      const samples = [];
      for (let i = 0; i < WARMUP_STEPS + STEPS_PER_ROUND[mode]; i++) {
        const started = now();
        await step(cdp);
        if (i >= WARMUP_STEPS) samples.push(now() - started);
      }
      return samples;
    },
  });
  return [
    makeRow({
      figure: 'step_sequence',
      unit: 'ms/step',
      value: result.chain,
      baseline: result.direct,
      baselineLabel: 'direct node --inspect',
      error: result.chainError,
      target: { text: 'none set', check: null },
      notes: [`${STEPS_PER_ROUND[mode]} steps (stepOver, paused, getProperties) per target`],
    }),
  ];
}
