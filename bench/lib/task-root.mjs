/**
 * A Lambda task root for the local Lambda: a temporary folder with the fixture handlers
 * (fixtures/lambda/*.js and fixtures/target-handler.js) and `node_modules/@lambda-debug/proxy` linked to the
 * built package, laid out as a deployed function would be, including for the proxy's no-code-change wrapper
 * handler (`node_modules/@lambda-debug/proxy/wrapper.handler`). Removed by `cleanup()`.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES_DIR, TARGET_HANDLER_FILE } from './targets.mjs';

/** The handler string of each way of turning the proxy on, and of the bare handler. */
export const HANDLERS = {
  bare: { handler: 'bare.handler', env: {} },
  seed: { handler: 'seed.handler', env: {} },
  explicit: { handler: 'explicit.handler', env: {} },
  wrapper: {
    handler: 'node_modules/@lambda-debug/proxy/wrapper.handler',
    env: { DEBUGGER_HANDLER: 'bare.handler' },
  },
};

const live = new Set();

// A run stopped by Ctrl-C exits through process.exit (see processes.mjs): no task root is left behind.
process.once('exit', () => {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
});

/** Creates the task root; resolves with its path and a `cleanup()` that removes it. */
export function createTaskRoot() {
  const proxyDir = path.dirname(
    realpathSync(createRequire(import.meta.url).resolve('@lambda-debug/proxy/package.json')),
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lambda-debug-bench-'));
  try {
    const lambdaFixtures = path.join(FIXTURES_DIR, 'lambda');
    for (const file of readdirSync(lambdaFixtures))
      copyFileSync(path.join(lambdaFixtures, file), path.join(dir, file));
    copyFileSync(TARGET_HANDLER_FILE, path.join(dir, path.basename(TARGET_HANDLER_FILE)));
    mkdirSync(path.join(dir, 'node_modules', '@lambda-debug'), { recursive: true });
    symlinkSync(proxyDir, path.join(dir, 'node_modules', '@lambda-debug', 'proxy'), 'dir');
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  live.add(dir);
  return {
    dir,
    cleanup: () => {
      live.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
