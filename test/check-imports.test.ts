import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = path.resolve(import.meta.dirname, '..', 'scripts', 'check-imports.mjs');

let tree: string | undefined;
afterEach(async () => {
  if (tree !== undefined) await rm(tree, { recursive: true, force: true });
  tree = undefined;
});

/** Writes `files` (path -> source) as a repo with one package, `@fake/proxy` in packages/proxy. */
async function makeTree(files: Record<string, string>): Promise<string> {
  tree = await mkdtemp(path.join(tmpdir(), 'check-imports-'));
  await mkdir(path.join(tree, 'packages', 'proxy'), { recursive: true });
  await writeFile(path.join(tree, 'packages', 'proxy', 'package.json'), '{"name":"@fake/proxy"}');
  for (const [file, source] of Object.entries(files)) {
    const full = path.join(tree, 'packages', 'proxy', 'src', file);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, source);
  }
  return tree;
}

async function check(dir: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, dir]);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('scripts/check-imports.mjs', () => {
  it('passes the repository itself', async () => {
    const result = await check(path.resolve(import.meta.dirname, '..'));
    expect(result.output).toContain('no cycles, no forbidden imports');
    expect(result.code).toBe(0);
  });

  it('lists a type-only cycle and exits 1', async () => {
    const dir = await makeTree({
      'shared/a.ts': "import type { B } from './b.js';\nexport type A = B | 1;\n",
      'shared/b.ts': "import type { A } from './a.js';\nexport type B = A | 2;\n",
    });
    const result = await check(dir);
    expect(result.code).toBe(1);
    expect(result.output).toContain(
      'import cycle: packages/proxy/src/shared/a.ts <-> packages/proxy/src/shared/b.ts',
    );
  });

  it('refuses parent/ importing child/ and shared/ importing parent/', async () => {
    const dir = await makeTree({
      'parent/launcher.ts': "import { run } from '../child/entry.js';\nexport const go = run;\n",
      'child/entry.ts': 'export const run = 1;\n',
      'shared/limits.ts': "export { go } from '../parent/launcher.js';\n",
    });
    const result = await check(dir);
    expect(result.code).toBe(1);
    expect(result.output).toContain(
      'packages/proxy/src/parent/launcher.ts -> packages/proxy/src/child/entry.ts',
    );
    expect(result.output).toContain(
      'packages/proxy/src/shared/limits.ts -> packages/proxy/src/parent/launcher.ts',
    );
  });
});
