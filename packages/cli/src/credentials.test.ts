import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveToken, generateSecret, MIN_SECRET_LENGTH } from '@lambda-debug/broker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkSecret, MAX_SECRET_FILE_BYTES, readSecretFile, tokenFor } from './credentials.js';
import { UsageError } from './errors.js';
import { Output, type OutputStream } from './output.js';

class Collector implements OutputStream {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

describe('checkSecret', () => {
  it('trims surrounding whitespace and refuses empty or short secrets', () => {
    const secret = generateSecret();
    expect(checkSecret(`${secret}\n`, 'file')).toBe(secret);
    expect(() => checkSecret(' \n', 'file')).toThrow(UsageError);
    expect(() => checkSecret('x'.repeat(MIN_SECRET_LENGTH - 1), 'file')).toThrow(/too short/);
  });
});

describe('tokenFor', () => {
  it('derives the role token from LAMBDA_DEBUG_SECRET, or none with --no-auth', () => {
    const secret = generateSecret();
    const env = { LAMBDA_DEBUG_SECRET: secret };
    expect(tokenFor('debugger', 'fn', { auth: true, env })).toBe(deriveToken(secret, 'debugger', 'fn'));
    expect(tokenFor('admin', undefined, { auth: true, env })).toBe(deriveToken(secret, 'admin'));
    expect(tokenFor('lambda', 'fn', { auth: false, env: {} })).toBeUndefined();
  });

  it('says how to get a secret when none is set, without echoing anything secret', () => {
    expect(() => tokenFor('debugger', 'fn', { auth: true, env: {} })).toThrow(
      /LAMBDA_DEBUG_SECRET is not set/,
    );
    try {
      tokenFor('debugger', 'fn', { auth: true, env: { LAMBDA_DEBUG_SECRET: 'short-secret' } });
    } catch (error) {
      expect((error as Error).message).not.toContain('short-secret');
    }
  });
});

describe('readSecretFile', () => {
  let dir: string;
  let stderr: Collector;
  let output: Output;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lambda-debug-secret-'));
    stderr = new Collector();
    output = new Output(new Collector(), stderr, {});
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a private file quietly and warns about one others can read', async () => {
    const secret = generateSecret();
    const file = join(dir, 'secret');
    await writeFile(file, `${secret}\n`, { mode: 0o600 });
    expect(await readSecretFile(file, output)).toBe(secret);
    expect(stderr.text).toBe('');
    await chmod(file, 0o644);
    expect(await readSecretFile(file, output)).toBe(secret);
    expect(stderr.text).toContain('can be read by other users (mode 644); run: chmod 600');
    expect(stderr.text).not.toContain(secret);
  });

  it('refuses a missing file, a folder, and a file too big to be a secret', async () => {
    await expect(readSecretFile(join(dir, 'nope'), output)).rejects.toThrow(
      /cannot read --secret-file .* \(ENOENT\)/,
    );
    await expect(readSecretFile(dir, output)).rejects.toThrow(/is not a file/);
    const big = join(dir, 'big');
    await writeFile(big, 'x'.repeat(MAX_SECRET_FILE_BYTES + 1), { mode: 0o600 });
    await expect(readSecretFile(big, output)).rejects.toThrow(/more than a secret/);
  });
});
