/**
 * Debug targets the figures measure, behind one shape so both sides of a ratio run the same steps:
 * `open(event)` resolves with `{ cdp, stop() }`, the target paused before its first statement, with the Runtime
 * and Debugger domains enabled. The direct target is a plain `node --inspect-brk` process running
 * fixtures/direct-target.js; the chain target (chain.mjs) is the same handler in a local Lambda behind the proxy
 * and the broker.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CdpClient } from './cdp-client.mjs';
import { spawnInspected, stopChild } from './processes.mjs';

/** The fixtures folder: the handler every figure debugs. */
export const FIXTURES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** The handler every figure debugs, directly and through the chain. */
export const TARGET_HANDLER_FILE = path.join(FIXTURES_DIR, 'target-handler.js');

/** Zero-based line of the `BENCH-BREAKPOINT` marker in target-handler.js, where the loop figures pause. */
export const LOOP_BREAKPOINT_LINE = readFileSync(TARGET_HANDLER_FILE, 'utf8')
  .split('\n')
  .findIndex((line) => line.includes('BENCH-BREAKPOINT'));

/** How long to wait for the pause that follows `Runtime.runIfWaitingForDebugger` before sending it again. */
const RELEASE_RETRY_MS = 1_000;

/** How many times `Runtime.runIfWaitingForDebugger` is sent before giving up. */
const RELEASE_ATTEMPTS = 10;

/**
 * Enables the domains and releases a target waiting for a debugger, resolving with the first `Debugger.paused`.
 * Node loses a `runIfWaitingForDebugger` sent right after the socket opens in 1-2 % of runs (the reply comes,
 * the target stays blocked), so it is re-sent until the pause arrives.
 */
export async function enableAndRelease(cdp) {
  const paused = cdp.waitFor('Debugger.paused', { timeoutMs: RELEASE_RETRY_MS * RELEASE_ATTEMPTS * 2 });
  await Promise.all([cdp.send('Runtime.enable'), cdp.send('Debugger.enable')]);
  let settled = false;
  paused.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let attempt = 0; attempt < RELEASE_ATTEMPTS && !settled; attempt++) {
    await cdp.send('Runtime.runIfWaitingForDebugger');
    await Promise.race([
      paused.catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, RELEASE_RETRY_MS)),
    ]);
  }
  return paused;
}

/** A plain `node --inspect-brk` process running the handler with `event`, paused on its first line. */
export async function openDirect(event) {
  const { child, url } = await spawnInspected(
    [path.join(FIXTURES_DIR, 'direct-target.js'), JSON.stringify(event)],
    {
      brk: true,
    },
  );
  let cdp;
  try {
    cdp = await CdpClient.connect(url);
    const firstPause = await enableAndRelease(cdp);
    return {
      cdp,
      firstPause,
      stop: async () => {
        await endTarget(cdp);
        await stopChild(child);
      },
    };
  } catch (error) {
    await cdp?.close();
    await stopChild(child);
    throw error;
  }
}

/** From the first pause, runs on to the loop's breakpoint and resolves with that `Debugger.paused`. */
export async function runToLoopBreakpoint(cdp) {
  await cdp.send('Debugger.setBreakpointByUrl', {
    urlRegex: 'target-handler\\.js$',
    lineNumber: LOOP_BREAKPOINT_LINE,
  });
  const paused = cdp.waitFor('Debugger.paused');
  await cdp.send('Debugger.resume');
  return paused;
}

/** Resumes a paused target. */
export async function resume(cdp) {
  await cdp.send('Debugger.resume');
}

/**
 * Tells the handler to return (sets `benchStop`), lets it run to the end without stopping again, and closes the
 * debugger connection. Works paused or running.
 */
export async function endTarget(cdp) {
  try {
    await cdp.send('Debugger.setBreakpointsActive', { active: false }, { timeoutMs: 10_000 });
    await cdp.send('Runtime.evaluate', { expression: 'globalThis.benchStop = true' }, { timeoutMs: 10_000 });
    await cdp.send('Debugger.resume', {}, { timeoutMs: 10_000 }).catch(() => undefined);
  } finally {
    await cdp.close();
  }
}
