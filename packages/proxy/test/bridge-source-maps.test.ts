/**
 * A bundle deployed with an external source map: a debugger on another machine cannot open the `.map` file, so the
 * bridge hands it over in `Debugger.scriptParsed` as a `data:` URL, sources embedded. A real child, a raw client.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DebugChild } from '../src/parent/child-launcher.js';
import { invokeChild, serveBridge, startChild } from './support/child.js';
import { RawCdpClient } from './support/raw-cdp-client.js';

const SOURCE = 'export const handler = async (event: { n: number }) => ({ next: event.n + 1 });\n';

describe('external source maps through the bridge of a real child', () => {
  let base: string;
  let child: DebugChild;
  let bridge: Awaited<ReturnType<typeof serveBridge>>;

  beforeAll(async () => {
    base = realpathSync(mkdtempSync(path.join(tmpdir(), 'bridge-maps-')));
    const taskRoot = path.join(base, 'task');
    mkdirSync(path.join(taskRoot, 'dist'), { recursive: true });
    mkdirSync(path.join(taskRoot, 'src'));
    writeFileSync(path.join(taskRoot, 'src', 'handler.ts'), SOURCE);
    writeFileSync(
      path.join(taskRoot, 'dist', 'index.js'),
      [
        "'use strict';",
        'exports.handler = async (event) => ({ next: event.n + 1 });',
        "require('./other.js');",
        '//# sourceMappingURL=index.js.map',
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(taskRoot, 'dist', 'index.js.map'),
      JSON.stringify({
        version: 3,
        file: 'index.js',
        sources: ['../src/handler.ts'],
        names: [],
        mappings: ';AAAA',
      }),
    );
    // A map that points outside the task root is not served.
    mkdirSync(path.join(base, 'private'));
    writeFileSync(path.join(base, 'private', 'other.js.map'), '{"version":3,"sources":[],"mappings":""}');
    writeFileSync(
      path.join(taskRoot, 'dist', 'other.js'),
      `module.exports = 1;\n//# sourceMappingURL=${path.join(base, 'private', 'other.js.map')}\n`,
    );
    child = await startChild(taskRoot, 'dist/index.handler');
    bridge = await serveBridge(child);
  });
  afterAll(async () => {
    await bridge.close();
    await child.shutdown();
    rmSync(base, { recursive: true, force: true });
  });

  it('sends the map as a data: URL with the TypeScript source, and warns about a map it may not serve', async () => {
    const client = await RawCdpClient.open(bridge.url);
    await client.send('Debugger.enable');
    const bundle = await client.event(
      (event) =>
        event.method === 'Debugger.scriptParsed' && /task\/dist\/index\.js$/.test(String(event.params?.url)),
    );
    const url = String(bundle.params?.sourceMapURL);
    expect(url).toMatch(/^data:application\/json;charset=utf-8;base64,/);
    const map = JSON.parse(Buffer.from(url.split(',')[1] ?? '', 'base64').toString('utf8'));
    expect(map).toMatchObject({
      sources: ['../src/handler.ts'],
      sourcesContent: [SOURCE],
      mappings: ';AAAA',
    });

    const other = await client.event(
      (event) =>
        event.method === 'Debugger.scriptParsed' && /task\/dist\/other\.js$/.test(String(event.params?.url)),
    );
    expect(other.params?.sourceMapURL).toBe(path.join(base, 'private', 'other.js.map'));
    const warning = await client.event(
      (event) =>
        event.method === 'Runtime.consoleAPICalled' &&
        /other\.js\.map is not served/.test(
          String((event.params?.args as Array<{ value?: unknown }> | undefined)?.[0]?.value),
        ),
    );
    expect(warning.params?.type).toBe('warning');

    expect(await invokeChild(child, { n: 1 }, { breakOnStart: false })).toEqual({
      kind: 'value',
      json: '{"next":2}',
    });
    await client.close();
  });
});
