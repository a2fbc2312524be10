/**
 * `lambda-debug provision` as an installed CLI runs it: the provisioning shipped in the emulator package, against
 * the cache `npm test`'s pretest already filled (nothing is built from scratch here).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, stopAllCliProcesses } from './cli-process.js';

afterEach(stopAllCliProcesses);

describe('lambda-debug provision', () => {
  it('finds a provisioned runtime cached, one line per item, and exits 0', async () => {
    const result = await runCli(['provision', '--runtime', 'nodejs20.x']);
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^provision: build toolchain .*: cached$/);
    expect(lines).toContainEqual(expect.stringMatching(/^provision: .*Node 20\.\d+\.\d+.*: cached$/));
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^provision: aws-lambda-ric \d+\.\d+\.\d+ for nodejs20\.x \(Node 20\.\d+\.\d+\): cached$/,
      ),
    );
    expect(lines.at(-1)).toMatch(/^provision: manifest: .*manifest\.json \(nodejs20\.x\)$/);
  });

  it('refuses a runtime the local Lambda does not know in one line, exit 2, before provisioning anything', async () => {
    const result = await runCli(['provision', '--runtime', 'nodejs18.x']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^lambda-debug: --runtime "nodejs18\.x" is not supported\. Use one of: nodejs20\.x, /,
    );
  });

  it('lists itself in the help with its options', async () => {
    const help = await runCli(['provision', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--runtime <runtime>');
    expect(help.stdout).toContain('--with-browser');
  });
});
