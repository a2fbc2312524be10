/**
 * One-shot commands start fast because they load only what they use: each command loads the broker, the local
 * Lambda and the WebSocket library when it runs, never when the program starts. Checked on the built binary by
 * listing the modules loaded when it exits, not by timing it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BIN, cliEnv } from './cli-process.js';

const folder = mkdtempSync(join(tmpdir(), 'lambda-debug-startup-'));
const preload = join(folder, 'list-modules.cjs');
// Prints every CommonJS module loaded (modules imported with import() are listed there too) as the process exits.
writeFileSync(
  preload,
  "process.on('exit', () => { require('node:fs').writeSync(2, '\\nLOADED ' + JSON.stringify(Object.keys(require.cache)) + '\\n'); });\n",
);

afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** The files the binary loaded for `args`, and its exit code. */
function loadedModules(args: readonly string[]): Promise<{ code: number | null; modules: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', preload, CLI_BIN, ...args], {
      env: cliEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const line = stderr.split('\n').find((text) => text.startsWith('LOADED '));
      if (line === undefined) reject(new Error(`no module list; stderr:\n${stderr}`));
      else resolve({ code, modules: JSON.parse(line.slice('LOADED '.length)) as string[] });
    });
  });
}

/** Packages a one-shot command must not load. */
const HEAVY = [
  /\/broker\/(dist|src)\/index\./,
  /\/broker\/(dist|src)\/broker\./,
  /\/node_modules\/winston\//,
  /\/node_modules\/ws\//,
  /\/lambda-emulator\//,
];

describe('start-up', () => {
  it.each([
    [['url', '--fn', 'orders-api', '--no-auth', '--json']],
    [['env', '--fn', 'orders-api', '--broker', 'broker.example.com', '--no-auth']],
    [['secret']],
    [['--help']],
  ])('`lambda-debug %s` loads neither the broker, the local Lambda nor ws', async (args) => {
    const { code, modules } = await loadedModules(args);
    expect(code).toBe(0);
    expect(modules.some((file) => file.endsWith('/commander/index.js'))).toBe(true);
    for (const heavy of HEAVY) expect(modules.filter((file) => heavy.test(file))).toEqual([]);
  });

  it('`lambda-debug demo --print-runtime` loads the local Lambda, which it needs, and still not the broker', async () => {
    const { code, modules } = await loadedModules(['demo', '--print-runtime']);
    expect(code).toBe(0);
    expect(modules.some((file) => /\/lambda-emulator\/dist\/index\.js$/.test(file))).toBe(true);
    expect(modules.filter((file) => /\/node_modules\/(winston|ws)\//.test(file))).toEqual([]);
  });
});
