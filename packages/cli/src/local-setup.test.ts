import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_EVENT_BYTES } from '@lambda-debug/lambda-emulator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { findHandlerFile } from './handler-location.js';
import {
  DEMO_HANDLER,
  DEMO_TASK_ROOT,
  functionIdForFolder,
  parseBoundedInteger,
  parseEnvPairs,
  readEventFile,
} from './local-setup.js';

let folder: string;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'lambda-debug-setup-'));
});

afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe('the demo function', () => {
  it('ships with the package: its handler file and event are there', async () => {
    expect(findHandlerFile(DEMO_TASK_ROOT, DEMO_HANDLER)).toBe(join(DEMO_TASK_ROOT, 'index.js'));
    expect(await readEventFile(join(DEMO_TASK_ROOT, 'event.json'))).toMatchObject({
      name: expect.any(String),
    });
  });
});

describe('readEventFile', () => {
  it('reads one JSON value', async () => {
    writeFileSync(join(folder, 'event.json'), '{ "orderId": 7, "items": [1, 2] }\n');
    expect(await readEventFile(join(folder, 'event.json'))).toEqual({ orderId: 7, items: [1, 2] });
    writeFileSync(join(folder, 'null.json'), 'null');
    expect(await readEventFile(join(folder, 'null.json'))).toBeNull();
  });

  it('refuses a missing file, invalid JSON and an event larger than Lambda accepts, naming the file', async () => {
    await expect(readEventFile(join(folder, 'missing.json'))).rejects.toThrow(
      /cannot read --event .*missing\.json \(ENOENT\)/,
    );
    writeFileSync(join(folder, 'bad.json'), '{ "orderId": ');
    await expect(readEventFile(join(folder, 'bad.json'))).rejects.toThrow(/bad\.json is not valid JSON/);
    writeFileSync(join(folder, 'big.json'), `"${'x'.repeat(MAX_EVENT_BYTES)}"`);
    await expect(readEventFile(join(folder, 'big.json'))).rejects.toThrow(UsageError);
  });
});

describe('parseEnvPairs', () => {
  it('turns KEY=VALUE into variables, keeping = signs in values, the last one winning', () => {
    expect(parseEnvPairs(['TABLE=orders', 'QUERY=a=b', 'EMPTY=', 'TABLE=orders-v2'])).toEqual({
      TABLE: 'orders-v2',
      QUERY: 'a=b',
      EMPTY: '',
    });
  });

  it('refuses malformed pairs, the variables Lambda reserves and the ones the chain sets', () => {
    expect(() => parseEnvPairs(['TABLE'])).toThrow(/"TABLE" is not KEY=VALUE/);
    expect(() => parseEnvPairs(['1X=y'])).toThrow(UsageError);
    expect(() => parseEnvPairs(['AWS_REGION=eu-west-1'])).toThrow(/Lambda sets AWS_REGION itself/);
    expect(() => parseEnvPairs(['DEBUGGER_WAIT_MS=5'])).toThrow(
      expect.objectContaining({ fix: expect.stringMatching(/use --wait/) }),
    );
    expect(parseEnvPairs(['DEBUGGER_LOG_LEVEL=debug'])).toEqual({ DEBUGGER_LOG_LEVEL: 'debug' });
  });
});

describe('parseBoundedInteger', () => {
  it('accepts whole numbers in range only', () => {
    expect(parseBoundedInteger('900', '--timeout', 1, 900)).toBe(900);
    for (const bad of ['0', '901', '1.5', '-3', 'ten', '']) {
      expect(() => parseBoundedInteger(bad, '--timeout', 1, 900), bad).toThrow(/--timeout .* out of range/);
    }
  });
});

describe('functionIdForFolder', () => {
  it("makes a function id from the folder's name", () => {
    expect(functionIdForFolder('/home/me/orders-api')).toBe('orders-api');
    expect(functionIdForFolder('/home/me/My Function (v2)')).toBe('My-Function-v2');
    expect(functionIdForFolder('/')).toBe('local-function');
    expect(functionIdForFolder(`/x/${'a'.repeat(300)}`)).toHaveLength(128);
  });
});
