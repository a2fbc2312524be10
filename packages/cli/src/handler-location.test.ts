import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeFailure, UsageError } from './errors.js';
import {
  findHandlerFile,
  parseHandlerString,
  resolveTaskRoot,
  wrapperHandlerString,
} from './handler-location.js';

let root: string;

beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'lambda-debug-handler-')));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('parseHandlerString', () => {
  it('splits module folder, module and (nested) export as the runtime client does', () => {
    expect(parseHandlerString('index.handler')).toEqual({
      moduleFolder: '',
      moduleName: 'index',
      exportPath: 'handler',
    });
    expect(parseHandlerString('src/api/app.handlers.main')).toEqual({
      moduleFolder: 'src/api/',
      moduleName: 'app',
      exportPath: 'handlers.main',
    });
  });

  it('refuses what the runtime client refuses, as usage errors', () => {
    expect(() => parseHandlerString('../shared/index.handler')).toThrow(/contains "\.\."/);
    for (const bad of ['index', 'index.', '.handler', 'src/']) {
      expect(() => parseHandlerString(bad), bad).toThrow(UsageError);
    }
  });
});

describe('findHandlerFile', () => {
  it('finds the file with the extensions the runtime client tries, in its order', () => {
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'app.mjs'), 'export const main = async () => 1;\n');
    writeFileSync(join(root, 'index.cjs'), 'exports.handler = async () => 1;\n');
    writeFileSync(join(root, 'index.js'), 'exports.handler = async () => 1;\n');
    expect(findHandlerFile(root, 'src/app.main')).toBe(join(root, 'src', 'app.mjs'));
    expect(findHandlerFile(root, 'index.handler')).toBe(join(root, 'index.js'));
  });

  it('names what it looked for when there is no such file', () => {
    expect(() => findHandlerFile(root, 'src/app.main')).toThrow(
      /no handler file for "src\/app\.main" in .* \(looked for src\/app\.js, src\/app\.mjs, src\/app\.cjs\)/,
    );
  });
});

describe('resolveTaskRoot', () => {
  it('returns the real path of a folder and refuses anything else', () => {
    symlinkSync(root, `${root}-link`);
    try {
      expect(resolveTaskRoot(`${root}-link`)).toBe(root);
    } finally {
      rmSync(`${root}-link`);
    }
    writeFileSync(join(root, 'file'), '');
    expect(() => resolveTaskRoot(join(root, 'file'))).toThrow(/is not a folder/);
    expect(() => resolveTaskRoot(join(root, 'missing'))).toThrow(UsageError);
  });
});

describe('wrapperHandlerString', () => {
  it("names the installed proxy's wrapper by its absolute real path", () => {
    const handler = wrapperHandlerString(require.resolve('@lambda-debug/proxy/package.json'));
    expect(handler).toMatch(/^\/.*\/wrapper\.handler$/);
    expect(existsSync(handler.replace(/\.handler$/, '.mjs'))).toBe(true);
    expect(handler).not.toContain('..');
  });

  it('fails clearly when the real path holds "..", which the runtime client refuses', () => {
    const folder = join(root, 'odd..name');
    mkdirSync(folder);
    writeFileSync(join(folder, 'package.json'), '{}');
    expect(() => wrapperHandlerString(join(folder, 'package.json'))).toThrow(RuntimeFailure);
  });
});
