/**
 * The package as a user's function sees it, in real Node processes of every runtime of the matrix, with the
 * flags Lambda passes: what requiring it costs with debugging off, CommonJS and ESM entry points, and what the
 * seed-style require does to a file's exports.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { lambdaNodeFlags, resolveRuntime } from '@lambda-debug/lambda-emulator';
import { describe, expect, it } from 'vitest';
import { FIXTURES, RUNTIMES } from './support/harness.js';

const run = promisify(execFile);
const PACKAGE_FIXTURES = resolve(FIXTURES, 'package');

async function node(
  runtime: (typeof RUNTIMES)[number],
  script: string,
  env: Record<string, string>,
  args: string[] = [],
): Promise<Record<string, unknown>> {
  const installation = resolveRuntime(runtime);
  const flags = lambdaNodeFlags(runtime, 512).filter((flag) => flag.startsWith('--no-experimental'));
  const { stdout } = await run(installation.nodePath, [...flags, script, ...args], {
    cwd: PACKAGE_FIXTURES,
    env: { PATH: process.env.PATH, ...env },
  });
  return JSON.parse(stdout);
}

/** Built-in modules a debugging session needs and an inactive proxy must not load. */
const HEAVY =
  /^(NativeModule|Internal Binding) (child_process|worker_threads|net|inspector|crypto|http|https|tls|worker)$/;

function heavyBuiltins(list: unknown): string[] {
  return (list as string[]).filter((entry) => HEAVY.test(entry));
}

describe.each(RUNTIMES)('on %s, with its Lambda flags', (runtime) => {
  it('requiring with DEBUGGER_ACTIVE off loads nothing heavy and hands back the handler itself', async () => {
    for (const active of [undefined, '', 'false', 'FALSE', '0', ' 0 ']) {
      const loaded = await node(
        runtime,
        'measure-load.cjs',
        active === undefined ? {} : { DEBUGGER_ACTIVE: active },
      );
      expect(loaded.sameFunction).toBe(true);
      // The package's entry file alone: every further module is a resolution and a compilation on the cold start.
      expect((loaded.cache as string[]).map((file) => file.replace(/.*\/packages\/proxy\//, ''))).toEqual([
        'dist/index.js',
      ]);
      expect(heavyBuiltins(loaded.builtins)).toEqual([]);
      expect(loaded.exports).toEqual(['PROXY_ERROR_PREFIX', 'ProxyErrorType', 'debuggable']);
    }
  });

  it('wraps for every value the contract reads as on (the entry file checks DEBUGGER_ACTIVE on its own)', async () => {
    for (const active of ['true', ' TRUE ', '1', 'yes']) {
      const loaded = await node(runtime, 'measure-load.cjs', { DEBUGGER_ACTIVE: active });
      expect(loaded.sameFunction).toBe(false);
    }
  });

  it('imports from ESM: the handler itself when off, a transparent wrapper when on', async () => {
    const off = await node(runtime, 'measure-load.mjs', {});
    expect(off).toMatchObject({ sameFunction: true, isProxy: false, lengthKept: true });
    expect(heavyBuiltins(off.builtins)).toEqual([]);
    const on = await node(runtime, 'measure-load.mjs', { DEBUGGER_ACTIVE: 'true' });
    expect(on).toMatchObject({ sameFunction: false, isProxy: true, lengthKept: true });
    // Wrapping does not load the invocation code either: that waits for the first real invocation.
    expect(heavyBuiltins(on.builtins)).toEqual([]);
  });
});

describe('seed-style activation', () => {
  const runtime = RUNTIMES[0] ?? 'nodejs20.x';
  const inspect = (fixture: string, env: Record<string, string> = { DEBUGGER_ACTIVE: 'true' }) =>
    node(runtime, 'inspect-exports.cjs', env, [fixture]);

  it('wraps getter-only exports by replacing the exports object, keeping every other export', async () => {
    const described = await inspect('getter-exports.js');
    expect(described.exports).toEqual({
      handler: { proxy: true, length: 1 },
      sum: { proxy: true, length: 3 },
      constant: 42,
    });
    expect(described.lines).toEqual([]);
  });

  it('does nothing at all with DEBUGGER_ACTIVE off', async () => {
    const described = await inspect('getter-exports.js', {});
    expect(described.exports).toMatchObject({ handler: { proxy: false }, sum: { proxy: false } });
  });

  it('says clearly when the package was bundled into the handler file, and leaves it alone', async () => {
    const described = await inspect('bundled.js');
    expect(described.exports).toEqual({ handler: { proxy: false, length: 0 } });
    expect(described.lines).toEqual([
      expect.stringMatching(
        /^error: \[lambda-debug\] require\('@lambda-debug\/proxy'\) was bundled into the handler file.*external.*debuggable\(\).*wrapper handler/,
      ),
    ]);
  });

  it('says clearly when module.exports is a function it cannot swap', async () => {
    const described = await inspect('function-export.js');
    expect(described.moduleIsFunction).toBe(true);
    expect(described.lines).toEqual([
      expect.stringMatching(/function-export\.js exports a function .*debuggable\(\)/),
    ]);
  });
});
