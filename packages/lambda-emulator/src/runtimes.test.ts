import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeNotProvisionedError } from './errors.js';
import {
  defaultCacheDir,
  LAMBDA_RUNTIMES,
  MANIFEST_SCHEMA_VERSION,
  provisionedRuntimes,
  resolveRuntime,
  runtimeMatrix,
} from './runtimes.js';

let cacheDir: string;

beforeEach(() => {
  cacheDir = mkdtempSync(join(tmpdir(), 'lambda-emulator-cache-'));
});

afterEach(() => {
  rmSync(cacheDir, { recursive: true, force: true });
});

/** Writes a manifest entry whose files exist. */
function provisionFake(runtime: string, overrides: Record<string, string> = {}): void {
  const bin = join(cacheDir, runtime, 'node');
  const entry = join(cacheDir, runtime, 'index.mjs');
  mkdirSync(join(cacheDir, runtime), { recursive: true });
  writeFileSync(bin, '');
  writeFileSync(entry, '');
  const matrix = runtimeMatrix();
  const requirement = matrix[runtime as keyof typeof matrix];
  const manifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    runtimes: {
      [runtime]: {
        nodePath: bin,
        nodeVersion: `${requirement.nodeMajor}.1.2`,
        ricVersion: requirement.ricVersion,
        ricDir: join(cacheDir, runtime),
        ricEntry: entry,
        ...overrides,
      },
    },
  };
  writeFileSync(join(cacheDir, 'manifest.json'), JSON.stringify(manifest));
}

function notProvisioned(run: () => unknown): RuntimeNotProvisionedError {
  try {
    run();
  } catch (error) {
    if (error instanceof RuntimeNotProvisionedError) return error;
    throw error;
  }
  throw new Error('expected RuntimeNotProvisionedError');
}

describe('runtime matrix', () => {
  it('lists Node 20, 22 and 24 with the runtime client versions AWS pairs them with', () => {
    const matrix = runtimeMatrix();
    expect(LAMBDA_RUNTIMES.map((name) => [name, matrix[name].nodeMajor, matrix[name].ricVersion])).toEqual([
      ['nodejs20.x', 20, '3.3.0'],
      ['nodejs22.x', 22, '3.3.0'],
      ['nodejs24.x', 24, '4.0.2'],
    ]);
  });
});

describe('resolveRuntime', () => {
  it('says nothing is provisioned, where it looked, and the command that fixes it', () => {
    const error = notProvisioned(() => resolveRuntime('nodejs22.x', { cacheDir }));
    expect(error.code).toBe('runtime-not-provisioned');
    expect(error.runtime).toBe('nodejs22.x');
    expect(error.message).toContain('Runtime nodejs22.x is not provisioned on this machine');
    expect(error.message).toContain('nothing has been provisioned yet');
    expect(error.message).toContain(cacheDir);
    expect(error.message).toContain('`lambda-debug provision --runtime nodejs22.x`');
    expect(error.message).toContain('`npm run provision -- --runtime-only nodejs22.x`');
    expect(error.fix).toContain('--runtime-only nodejs22.x');
  });

  it('returns the installation of a provisioned runtime', () => {
    provisionFake('nodejs24.x');
    const installation = resolveRuntime('nodejs24.x', { cacheDir });
    expect(installation).toMatchObject({ runtime: 'nodejs24.x', nodeVersion: '24.1.2', ricVersion: '4.0.2' });
    expect(installation.nodePath).toBe(join(cacheDir, 'nodejs24.x', 'node'));
    expect(provisionedRuntimes({ cacheDir })).toEqual(['nodejs24.x']);
  });

  it('refuses an installation of another runtime client version', () => {
    provisionFake('nodejs22.x', { ricVersion: '3.2.0' });
    expect(notProvisioned(() => resolveRuntime('nodejs22.x', { cacheDir })).message).toContain(
      'aws-lambda-ric 3.2.0 is installed but 3.3.0 is required',
    );
  });

  it('refuses an installation of another Node major version', () => {
    provisionFake('nodejs22.x', { nodeVersion: '20.20.2' });
    expect(notProvisioned(() => resolveRuntime('nodejs22.x', { cacheDir })).message).toContain(
      'Node 20.20.2 is installed but Node 22 is required',
    );
  });

  it('refuses an installation whose files are gone', () => {
    provisionFake('nodejs20.x');
    rmSync(join(cacheDir, 'nodejs20.x', 'node'));
    expect(notProvisioned(() => resolveRuntime('nodejs20.x', { cacheDir })).message).toMatch(
      /the Node binary .* is missing/,
    );
    expect(provisionedRuntimes({ cacheDir })).toEqual([]);
  });

  it('ignores a manifest written in another format', () => {
    writeFileSync(join(cacheDir, 'manifest.json'), JSON.stringify({ schemaVersion: 99, runtimes: {} }));
    expect(notProvisioned(() => resolveRuntime('nodejs20.x', { cacheDir })).message).toContain(
      'written by another version of the provisioning script',
    );
  });

  it('refuses a name outside the matrix', () => {
    expect(() => resolveRuntime('nodejs18.x' as never, { cacheDir })).toThrow(
      /Unknown Lambda runtime "nodejs18.x"/,
    );
  });
});

describe('defaultCacheDir', () => {
  it('uses LAMBDA_DEBUG_CACHE_DIR, else ~/.cache/lambda-debug', () => {
    expect(defaultCacheDir({ LAMBDA_DEBUG_CACHE_DIR: '/tmp/x' })).toBe('/tmp/x');
    expect(defaultCacheDir({})).toMatch(/\.cache\/lambda-debug$/);
  });
});
