/**
 * The warm child: reused while it answers, replaced when it died or is wedged, started ahead of need.
 */
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildStartOptions } from '../src/parent/child-launcher.js';
import { ChildPool } from '../src/parent/child-pool.js';
import { CHILD_ENTRY, capturingLogger, contextSnapshot } from './support/child.js';
import { FIXTURES } from './support/harness.js';

const TASK_ROOT = resolve(FIXTURES, 'faults');

function options(handlerString: string, logger = capturingLogger().logger): ChildStartOptions {
  return {
    handlerString,
    logger,
    timeoutMs: 20_000,
    entryPath: CHILD_ENTRY,
    cwd: TASK_ROOT,
    execArgv: [],
    env: { PATH: process.env.PATH, LAMBDA_TASK_ROOT: TASK_ROOT },
  };
}

describe('the warm child', () => {
  const pools: ChildPool[] = [];
  afterEach(async () => {
    for (const pool of pools.splice(0)) await pool.dispose();
  });

  it('is reused while it answers, and replaced once it died, with one log line saying how', async () => {
    const pool = new ChildPool();
    pools.push(pool);
    const { logger, lines } = capturingLogger();
    const first = await pool.acquire(options('index.ok', logger));
    await pool.release(first, true);
    expect(await pool.acquire(options('index.ok', logger))).toBe(first);
    await pool.release(first, true);
    expect(lines).toEqual([]);
    await first.kill();
    const second = await pool.acquire(options('index.ok', logger));
    expect(second).not.toBe(first);
    expect(second.pid).not.toBe(first.pid);
    expect(lines).toEqual([
      expect.stringMatching(
        /^warn \[lambda-debug\] the debug process kept from an earlier invocation has ended \(it was killed by SIGKILL\); starting a new one$/,
      ),
    ]);
    await pool.release(second, true);
  });

  it('says with which exit code a child that ended between invocations ended, also when warmed', async () => {
    const pool = new ChildPool();
    pools.push(pool);
    const { logger, lines } = capturingLogger();
    const first = await pool.acquire(options('index.exitAfterReturn', logger));
    const answered = new Promise<unknown>((resolveAnswer) =>
      first.setMessageListener((message) => {
        if (message.type === 'result') resolveAnswer(message.outcome);
      }),
    );
    first.send({
      type: 'invoke',
      invocationId: 1,
      event: {},
      context: contextSnapshot(),
      breakOnStart: false,
      convention: 'promise',
    });
    expect(await answered).toEqual({ kind: 'value', json: '"answered"' });
    await pool.release(first, true);
    expect((await first.exited()).code).toBe(7);
    // The next invocation warms the pool while it waits for a debugger, then acquires: one line in all.
    pool.warm(options('index.exitAfterReturn', logger));
    const second = await pool.acquire(options('index.exitAfterReturn', logger));
    expect(second.pid).not.toBe(first.pid);
    expect(lines).toEqual([
      expect.stringMatching(/has ended \(it exited with code 7\); starting a new one$/),
    ]);
    await pool.release(second, true);
  });

  it('is replaced when it no longer answers (a wedged event loop)', async () => {
    const pool = new ChildPool();
    pools.push(pool);
    const { logger, lines } = capturingLogger();
    const first = await pool.acquire(options('index.spin', logger));
    // The handler spins forever: the child's main thread never answers again.
    first.send({
      type: 'invoke',
      invocationId: 1,
      event: {},
      context: contextSnapshot(),
      breakOnStart: false,
      convention: 'promise',
    });
    await pool.release(first, true);
    const second = await pool.acquire(options('index.spin', logger));
    expect(second.pid).not.toBe(first.pid);
    expect((await first.exited()).signal).toBe('SIGKILL');
    expect(lines).toContainEqual(expect.stringMatching(/stopped answering; starting a new one/));
    await pool.release(second, true);
  });

  it('can be started ahead of need, and acquiring waits for that start', async () => {
    const pool = new ChildPool();
    pools.push(pool);
    pool.warm(options('index.ok'));
    const child = await pool.acquire(options('index.ok'));
    expect(child.alive).toBe(true);
    expect(pool.current).toBe(child);
    await pool.release(child, false);
    expect(pool.current).toBeUndefined();
    expect(child.alive).toBe(false);
  });

  it('refuses a second invocation while the child is busy', async () => {
    const pool = new ChildPool();
    pools.push(pool);
    const child = await pool.acquire(options('index.ok'));
    await expect(pool.acquire(options('index.ok'))).rejects.toThrow(/busy with another invocation/);
    await pool.release(child, true);
  });
});
