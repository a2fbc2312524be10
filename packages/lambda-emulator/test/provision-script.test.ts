/**
 * The provisioning script as `npm test`, `npm start` and CI run it. The full install is exercised by the
 * `pretest` step itself; here: its arguments, and that a second run finds everything cached.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = join(__dirname, '..', '..', '..', 'scripts', 'provision.mjs');

function runScript(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('scripts/provision.mjs', () => {
  it('prints its usage for --help', async () => {
    const { code, stdout } = await runScript(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('--runtime-only [RUNTIME]');
    expect(stdout).toContain('--with-browser');
  });

  it('refuses an unknown argument or runtime with exit code 2', async () => {
    const unknownArgument = await runScript(['--everything']);
    expect(unknownArgument.code).toBe(2);
    expect(unknownArgument.stderr).toContain('unknown argument "--everything"');
    const unknownRuntime = await runScript(['--runtime-only', 'nodejs18.x']);
    expect(unknownRuntime.code).toBe(2);
    expect(unknownRuntime.stderr).toContain(
      'unknown runtime "nodejs18.x" (known: nodejs20.x, nodejs22.x, nodejs24.x)',
    );
    const unknownRepeated = await runScript(['--runtime', 'nodejs20.x', '--runtime', 'nodejs18.x']);
    expect(unknownRepeated.code).toBe(2);
    expect(unknownRepeated.stderr).toContain('unknown runtime "nodejs18.x"');
  });

  it('finds everything for a runtime cached on a second run, one line per item', async () => {
    const { code, stdout } = await runScript(['--runtime-only', 'nodejs20.x']);
    expect(code, stdout).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^provision: build toolchain .*: cached$/);
    expect(lines).toContainEqual(expect.stringMatching(/^provision: .*Node 20\.\d+\.\d+.*: cached$/));
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^provision: aws-lambda-ric 3\.3\.0 for nodejs20\.x \(Node 20\.\d+\.\d+\): cached$/,
      ),
    );
    expect(lines.at(-1)).toMatch(/^provision: manifest: .*manifest\.json \(nodejs20\.x\)$/);
  });
});
