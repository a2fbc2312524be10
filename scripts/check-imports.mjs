#!/usr/bin/env node
// Checks the import graph of every package's src/: no cycles (type-only imports, `typeof import()` and
// `require()` included, since a type-only cycle still ties two files together for a reader and for the
// compiler), and the edges the architecture forbids (docs/architecture.md):
// - the proxy's parent/ (the Lambda process) and child/ (the debug child) never import each other, and shared/
//   imports neither of them (nor entry/);
// - the broker and the proxy never import each other (they share @lambda-debug/shim-protocol alone);
// - in the CLI, only program.ts imports commands/*: commands wire commander to library code, never the reverse.
// Prints every finding and exits 1 when there is one. Run by `npm run lint`; `node scripts/check-imports.mjs DIR`
// checks another tree laid out the same way (the check's own test does that).
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '..'));
const packagesDir = path.join(root, 'packages');

/** Every .ts file (tests excluded) below `dir`. */
function sourceFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')
      ? [full]
      : [];
  });
}

const packages = fs
  .readdirSync(packagesDir)
  .filter((name) => fs.existsSync(path.join(packagesDir, name, 'package.json')))
  .map((name) => {
    const dir = path.join(packagesDir, name);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    return { name: manifest.name, dir, exports: manifest.exports ?? {} };
  });

/** The source file a package specifier (`@lambda-debug/x` or `@lambda-debug/x/sub`) names, if it is ours. */
function resolvePackage(specifier) {
  for (const pkg of packages) {
    if (specifier !== pkg.name && !specifier.startsWith(`${pkg.name}/`)) continue;
    const subpath = specifier === pkg.name ? '.' : `.${specifier.slice(pkg.name.length)}`;
    const target = pkg.exports[subpath];
    const sourcePath =
      typeof target === 'object' && target !== null ? target['lambda-debug-source'] : undefined;
    if (typeof sourcePath === 'string') return path.join(pkg.dir, sourcePath);
    return subpath === '.' ? path.join(pkg.dir, 'src', 'index.ts') : undefined;
  }
  return undefined;
}

/** The source file a relative specifier names (`./x.js` -> `./x.ts`, a folder -> its index.ts). */
function resolveRelative(from, specifier) {
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [base.replace(/\.(c|m)?js$/, '.ts'), `${base}.ts`, path.join(base, 'index.ts')];
  return candidates.find((file) => fs.existsSync(file) && fs.statSync(file).isFile());
}

const files = packages.flatMap((pkg) => sourceFiles(path.join(pkg.dir, 'src')));
const graph = new Map();
for (const file of files) {
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  const edges = new Set();
  for (const { fileName } of importedFiles) {
    const target = fileName.startsWith('.') ? resolveRelative(file, fileName) : resolvePackage(fileName);
    if (target !== undefined && target !== file) edges.add(target);
  }
  graph.set(file, [...edges]);
}

const relative = (file) => path.relative(root, file);
const findings = [];

// Cycles: Tarjan's strongly connected components; every component with more than one file is a cycle.
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
function connect(file) {
  index.set(file, counter);
  low.set(file, counter);
  counter += 1;
  stack.push(file);
  onStack.add(file);
  for (const next of graph.get(file) ?? []) {
    if (!graph.has(next)) continue;
    if (!index.has(next)) {
      connect(next);
      low.set(file, Math.min(low.get(file), low.get(next)));
    } else if (onStack.has(next)) {
      low.set(file, Math.min(low.get(file), index.get(next)));
    }
  }
  if (low.get(file) !== index.get(file)) return;
  const component = [];
  let member;
  do {
    member = stack.pop();
    onStack.delete(member);
    component.push(member);
  } while (member !== file);
  if (component.length > 1) findings.push(`import cycle: ${component.map(relative).sort().join(' <-> ')}`);
}
for (const file of graph.keys()) if (!index.has(file)) connect(file);

// Forbidden edges.
const proxySrc = path.join(packagesDir, 'proxy', 'src');
const brokerSrc = path.join(packagesDir, 'broker', 'src');
const cliSrc = path.join(packagesDir, 'cli', 'src');
const within = (file, dir) => file.startsWith(`${dir}${path.sep}`);
const rules = [
  {
    applies: (from) => within(from, path.join(proxySrc, 'parent')),
    forbids: (to) => within(to, path.join(proxySrc, 'child')),
    why: 'the Lambda process side (parent/) must not import the debug child (child/)',
  },
  {
    applies: (from) => within(from, path.join(proxySrc, 'child')),
    forbids: (to) => within(to, path.join(proxySrc, 'parent')) || within(to, path.join(proxySrc, 'entry')),
    why: 'the debug child (child/) must not import the Lambda process side (parent/, entry/)',
  },
  {
    applies: (from) => within(from, path.join(proxySrc, 'shared')),
    forbids: (to) => within(to, proxySrc) && !within(to, path.join(proxySrc, 'shared')),
    why: 'shared/ is used by both sides and imports only shared/',
  },
  {
    applies: (from) => within(from, proxySrc),
    forbids: (to) => within(to, brokerSrc),
    why: 'the proxy and the broker share only @lambda-debug/shim-protocol',
  },
  {
    applies: (from) => within(from, brokerSrc),
    forbids: (to) => within(to, proxySrc),
    why: 'the proxy and the broker share only @lambda-debug/shim-protocol',
  },
  {
    applies: (from) =>
      within(from, cliSrc) &&
      !within(from, path.join(cliSrc, 'commands')) &&
      path.basename(from) !== 'program.ts',
    forbids: (to) => within(to, path.join(cliSrc, 'commands')),
    why: 'CLI library modules must not import commands/ (commands wire commander to library code)',
  },
];
for (const [from, targets] of graph) {
  for (const to of targets) {
    for (const rule of rules) {
      if (rule.applies(from) && rule.forbids(to))
        findings.push(`${relative(from)} -> ${relative(to)}: ${rule.why}`);
    }
  }
}

if (findings.length > 0) {
  for (const finding of findings) console.error(finding);
  console.error(`check-imports: ${findings.length} finding(s) in ${files.length} files`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} files, no cycles, no forbidden imports`);
