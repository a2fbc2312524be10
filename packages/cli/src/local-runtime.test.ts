import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeNotProvisionedError, runtimeMatrix } from '@lambda-debug/lambda-emulator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeFailure, UsageError } from './errors.js';
import { chooseRuntime, parseRuntime, runtimeForNode, runtimeNotProvisioned } from './local-runtime.js';

let cacheDir: string;

beforeEach(() => {
  cacheDir = mkdtempSync(join(tmpdir(), 'lambda-debug-cli-cache-'));
});

afterEach(() => {
  rmSync(cacheDir, { recursive: true, force: true });
});

/** Writes a manifest in the cache naming files that exist, as the provisioning script does. */
function provision(...runtimes: Array<'nodejs20.x' | 'nodejs22.x' | 'nodejs24.x'>): void {
  const entries: Record<string, unknown> = {};
  for (const runtime of runtimes) {
    const folder = join(cacheDir, runtime);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'node'), '');
    writeFileSync(join(folder, 'index.mjs'), '');
    const requirement = runtimeMatrix()[runtime];
    entries[runtime] = {
      nodePath: join(folder, 'node'),
      nodeVersion: `${requirement.nodeMajor}.0.0`,
      ricVersion: requirement.ricVersion,
      ricDir: folder,
      ricEntry: join(folder, 'index.mjs'),
    };
  }
  writeFileSync(join(cacheDir, 'manifest.json'), JSON.stringify({ schemaVersion: 1, runtimes: entries }));
}

function failure(run: () => unknown): RuntimeFailure {
  try {
    run();
  } catch (error) {
    if (error instanceof RuntimeFailure) return error;
    throw error;
  }
  throw new Error('expected a RuntimeFailure');
}

describe('runtimeForNode', () => {
  it('picks the runtime of the same Node major, else the default one', () => {
    expect(runtimeForNode('20.20.2')).toBe('nodejs20.x');
    expect(runtimeForNode('22.23.3')).toBe('nodejs22.x');
    expect(runtimeForNode('24.0.0')).toBe('nodejs24.x');
    expect(runtimeForNode('21.7.3')).toBe('nodejs20.x');
    expect(runtimeForNode('26.1.0')).toBe('nodejs20.x');
  });
});

describe('parseRuntime', () => {
  it('accepts the runtimes of the matrix and refuses others as a usage error', () => {
    expect(parseRuntime('nodejs22.x')).toBe('nodejs22.x');
    expect(() => parseRuntime('nodejs18.x')).toThrow(UsageError);
    expect(() => parseRuntime('python3.12')).toThrow(
      expect.objectContaining({ fix: 'Use one of: nodejs20.x, nodejs22.x, nodejs24.x' }),
    );
  });
});

describe('chooseRuntime', () => {
  it('uses the runtime matching this Node when it is provisioned', () => {
    provision('nodejs20.x', 'nodejs22.x');
    expect(chooseRuntime(undefined, '22.5.0', cacheDir)).toEqual({ runtime: 'nodejs22.x' });
  });

  it('falls back to another provisioned runtime and says so', () => {
    provision('nodejs24.x');
    const choice = chooseRuntime(undefined, '20.20.2', cacheDir);
    expect(choice.runtime).toBe('nodejs24.x');
    expect(choice.note).toMatch(/nodejs20\.x .*Node 20\.20\.2.* is not provisioned; running nodejs24\.x/);
  });

  it('keeps a requested runtime as it is, provisioned or not (the local Lambda reports a missing one)', () => {
    expect(chooseRuntime('nodejs24.x', '20.20.2', cacheDir)).toEqual({ runtime: 'nodejs24.x' });
  });

  it('with nothing provisioned, fails saying what is missing, how to build it and where the logs are', () => {
    const error = failure(() => chooseRuntime(undefined, '20.20.2', cacheDir));
    expect(error.message).toMatch(
      /^Runtime nodejs20\.x is not provisioned on this machine: nothing has been provisioned yet/,
    );
    expect(error.fix).toContain('`lambda-debug provision --runtime nodejs20.x`');
    expect(error.fix).toContain('npm run provision -- --runtime-only nodejs20.x');
    expect(error.fix).toContain('autoconf automake libtool cmake g++');
    expect(error.fix).toContain(join(cacheDir, 'logs'));
  });
});

describe('runtimeNotProvisioned', () => {
  it("replaces the emulator's fix with the CLI's", () => {
    const error = runtimeNotProvisioned(new RuntimeNotProvisionedError('nodejs22.x', cacheDir, 'it is gone'));
    expect(error.message).toBe(
      `Runtime nodejs22.x is not provisioned on this machine: it is gone (cache: ${cacheDir})`,
    );
    expect(error.fix).toContain('lambda-debug provision --runtime nodejs22.x');
    expect(error.cause).toBeInstanceOf(RuntimeNotProvisionedError);
  });
});
