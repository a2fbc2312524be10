import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSourceMap, type SourceMapRules } from './source-maps.js';

function decode(url: string): Record<string, unknown> {
  const prefix = 'data:application/json;charset=utf-8;base64,';
  expect(url.startsWith(prefix)).toBe(true);
  return JSON.parse(Buffer.from(url.slice(prefix.length), 'base64').toString('utf8')) as Record<
    string,
    unknown
  >;
}

describe('external source maps for a remote debugger', () => {
  let base: string;
  let taskRoot: string;
  let outside: string;
  let rules: SourceMapRules;
  const source = 'export const handler = async (event: { n: number }) => event.n + 1;\n';

  beforeAll(() => {
    base = realpathSync(mkdtempSync(path.join(tmpdir(), 'source-maps-')));
    taskRoot = path.join(base, 'task');
    outside = path.join(base, 'elsewhere');
    for (const folder of ['dist', 'maps', 'src']) mkdirSync(path.join(taskRoot, folder), { recursive: true });
    mkdirSync(outside);
    writeFileSync(path.join(taskRoot, 'src', 'handler.ts'), source);
    writeFileSync(path.join(taskRoot, 'dist', 'index.js'), '// the bundle\n');
    mkdirSync(path.join(taskRoot, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(path.join(taskRoot, 'node_modules', 'dep', 'index.js'), '// a dependency\n');
    writeFileSync(path.join(outside, 'index.js'), "// not the function's\n");
    const map = { version: 3, file: 'index.js', sources: ['../src/handler.ts'], names: [], mappings: 'AAAA' };
    writeFileSync(path.join(taskRoot, 'dist', 'index.js.map'), JSON.stringify(map));
    writeFileSync(
      path.join(taskRoot, 'maps', 'index.js.map'),
      JSON.stringify({ ...map, sources: ['../src/handler.ts'], sourcesContent: ['// already inside\n'] }),
    );
    writeFileSync(path.join(outside, 'index.js.map'), JSON.stringify(map));
    writeFileSync(path.join(taskRoot, 'dist', 'broken.js.map'), '{ not json');
    rules = { roots: [taskRoot], maxBytes: 10_000 };
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const script = () => pathToFileURL(path.join(taskRoot, 'dist', 'index.js')).href;

  it('inlines a map beside the bundle and embeds the deployed source it lacks', () => {
    const resolution = resolveSourceMap(script(), 'index.js.map', rules);
    expect(resolution).toMatchObject({ kind: 'inlined', embeddedSources: 1 });
    if (resolution.kind !== 'inlined') return;
    expect(decode(resolution.url)).toMatchObject({
      sources: ['../src/handler.ts'],
      sourcesContent: [source],
    });
  });

  it('inlines a map from another folder of the task root as it is, by relative or absolute reference', () => {
    for (const reference of ['../maps/index.js.map', path.join(taskRoot, 'maps', 'index.js.map')]) {
      const resolution = resolveSourceMap(script(), reference, rules);
      expect(resolution).toMatchObject({ kind: 'inlined', embeddedSources: 0 });
      if (resolution.kind !== 'inlined') return;
      expect(decode(resolution.url).sourcesContent).toEqual(['// already inside\n']);
    }
  });

  it('refuses maps outside the task root, through a symlink too, and says why', () => {
    const refusedOutside = resolveSourceMap(script(), path.join(outside, 'index.js.map'), rules);
    expect(refusedOutside).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/task root/) });
    symlinkSync(path.join(outside, 'index.js.map'), path.join(taskRoot, 'dist', 'linked.js.map'));
    expect(resolveSourceMap(script(), 'linked.js.map', rules)).toMatchObject({ kind: 'refused' });
    expect(resolveSourceMap(script(), 'missing.js.map', rules)).toMatchObject({ kind: 'refused' });
  });

  it('refuses a map over the limit and one that is not JSON, with the reason', () => {
    expect(resolveSourceMap(script(), 'index.js.map', { ...rules, maxBytes: 10 })).toMatchObject({
      kind: 'refused',
      reason: expect.stringMatching(/bytes, more than the 10 bytes/),
    });
    expect(resolveSourceMap(script(), 'broken.js.map', rules)).toMatchObject({
      kind: 'refused',
      reason: expect.stringMatching(/not valid JSON/),
    });
  });

  it("leaves dependencies' maps and scripts outside the roots alone", () => {
    for (const file of [
      path.join(taskRoot, 'node_modules', 'dep', 'index.js'),
      path.join(outside, 'index.js'),
    ]) {
      expect(resolveSourceMap(pathToFileURL(file).href, 'index.js.map', rules)).toEqual({
        kind: 'unchanged',
      });
    }
  });

  it('leaves inline, http and absent maps alone', () => {
    for (const reference of ['', 'data:application/json;base64,e30=', 'https://example.test/index.js.map']) {
      expect(resolveSourceMap(script(), reference, rules)).toEqual({ kind: 'unchanged' });
    }
  });
});
