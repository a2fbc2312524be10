import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installLayers, mapOptPath, readZip } from './layers.js';

/**
 * Zips made by Python's zipfile (another implementation than ours): `entries` are [name, content, mode, kind] with
 * kind `file`, `dir` or `link` (content is the link target); `deflate` picks the method.
 */
function pythonZip(
  file: string,
  entries: Array<[string, string, number, 'file' | 'dir' | 'link']>,
  deflate = true,
) {
  const script = `
import json, sys, zipfile
entries = json.loads(sys.argv[2])
method = zipfile.ZIP_DEFLATED if sys.argv[3] == '1' else zipfile.ZIP_STORED
with zipfile.ZipFile(sys.argv[1], 'w', method) as archive:
    for name, content, mode, kind in entries:
        info = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
        info.create_system = 3
        kinds = {'file': 0o100000, 'dir': 0o040000, 'link': 0o120000}
        info.external_attr = ((kinds[kind] | mode) << 16) | (0x10 if kind == 'dir' else 0)
        info.compress_type = method
        archive.writestr(info, content)
`;
  execFileSync('python3', ['-c', script, file, JSON.stringify(entries), deflate ? '1' : '0']);
}

describe('layers in the local Lambda', () => {
  let base: string;
  beforeAll(() => {
    base = mkdtempSync(path.join(tmpdir(), 'layers-test-'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  function freshOpt(name: string): string {
    const dir = path.join(base, name);
    mkdirSync(dir);
    return dir;
  }

  it('extracts zips in order, later ones overwriting, with modes and links kept', () => {
    const first = path.join(base, 'first.zip');
    const second = path.join(base, 'second.zip');
    pythonZip(first, [
      ['nodejs/', '', 0o755, 'dir'],
      ['nodejs/node_modules/greet/index.js', "module.exports = 'first';\n", 0o644, 'file'],
      ['bin/tool', '#!/bin/sh\necho tool\n', 0o755, 'file'],
      ['bin/tool-link', 'tool', 0o777, 'link'],
    ]);
    pythonZip(
      second,
      [['nodejs/node_modules/greet/index.js', "module.exports = 'second';\n", 0o600, 'file']],
      false,
    );
    const opt = freshOpt('ordered');
    installLayers([first, second], opt);
    expect(readFileSync(path.join(opt, 'nodejs/node_modules/greet/index.js'), 'utf8')).toBe(
      "module.exports = 'second';\n",
    );
    expect(statSync(path.join(opt, 'bin/tool')).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(opt, 'nodejs/node_modules/greet/index.js')).mode & 0o777).toBe(0o600);
    expect(lstatSync(path.join(opt, 'bin/tool-link')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(opt, 'bin/tool-link'))).toBe('tool');
  });

  it('copies a folder layer as it is', () => {
    const folder = path.join(base, 'folder-layer');
    mkdirSync(path.join(folder, 'nodejs', 'node_modules', 'dep'), { recursive: true });
    writeFileSync(path.join(folder, 'nodejs', 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');
    const opt = freshOpt('folder');
    installLayers([folder], opt);
    expect(existsSync(path.join(opt, 'nodejs/node_modules/dep/index.js'))).toBe(true);
  });

  it('refuses entries and links that would leave the folder, and what is not a zip', () => {
    const cases: Array<[string, Array<[string, string, number, 'file' | 'dir' | 'link']>]> = [
      ['dotdot', [['../escaped.js', 'x', 0o644, 'file']]],
      ['nested-dotdot', [['nodejs/../../escaped.js', 'x', 0o644, 'file']]],
      ['absolute', [['/tmp/escaped.js', 'x', 0o644, 'file']]],
      ['link-out', [['bin/out', '../../outside', 0o777, 'link']]],
      ['link-absolute', [['bin/abs', '/etc/passwd', 0o777, 'link']]],
    ];
    for (const [name, entries] of cases) {
      const zip = path.join(base, `${name}.zip`);
      pythonZip(zip, entries);
      const opt = freshOpt(`refused-${name}`);
      expect(() => installLayers([zip], opt), name).toThrow(/outside the layer folder/);
    }
    expect(existsSync(path.join(base, 'escaped.js'))).toBe(false);
    const notZip = path.join(base, 'not-a.zip');
    writeFileSync(notZip, 'plain text, not an archive');
    expect(() => installLayers([notZip], freshOpt('not-zip'))).toThrow(/not a zip file/);
    expect(() => installLayers([path.join(base, 'missing.zip')], freshOpt('missing'))).toThrow(
      /does not exist/,
    );
  });

  it('notices a damaged entry by its checksum', () => {
    const zip = path.join(base, 'damaged.zip');
    pythonZip(zip, [['nodejs/file.txt', 'the original content', 0o644, 'file']], false);
    const bytes = readFileSync(zip);
    const at = bytes.indexOf('the original content');
    bytes.write('THE', at);
    expect(() => readZip(bytes, zip)).toThrow(/checksum/);
  });

  it('maps /opt paths into the local folder, and leaves others alone', () => {
    expect(mapOptPath('/opt/lambda-debug/exec-wrapper', '/tmp/o')).toBe('/tmp/o/lambda-debug/exec-wrapper');
    expect(mapOptPath('/opt', '/tmp/o')).toBe('/tmp/o');
    expect(mapOptPath('/optional/x', '/tmp/o')).toBe('/optional/x');
    expect(mapOptPath('/opt/x', undefined)).toBe('/opt/x');
  });
});
