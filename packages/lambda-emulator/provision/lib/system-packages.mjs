/**
 * Debian packages: the toolchain `aws-lambda-ric` builds its native code with, and Chromium for browser tests.
 * Installed with apt-get when missing and running as root; otherwise the exact command is printed.
 */
import { existsSync } from 'node:fs';
import { commandExists, ProvisionError, runLogged } from './commands.mjs';

/**
 * What the runtime client's build runs, and the Debian package providing each: curl's `autoreconf`, libtool,
 * aws-lambda-cpp's cmake, node-gyp's python3 and C++ compiler, and xz for aws-lambda-ric 4.x's archives.
 */
export const BUILD_TOOLS = [
  { command: 'autoreconf', pkg: 'autoconf' },
  { command: 'automake', pkg: 'automake' },
  { command: 'libtoolize', pkg: 'libtool' },
  { command: 'cmake', pkg: 'cmake' },
  { command: 'g++', pkg: 'g++' },
  { command: 'make', pkg: 'make' },
  { command: 'python3', pkg: 'python3' },
  { command: 'xz', pkg: 'xz-utils' },
];

/** Where Debian's chromium package puts the browser the e2e tests drive. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Installs Debian packages with apt-get (after `apt-get update`), or explains how when not root. */
async function aptInstall(packages, logFile, why) {
  const command = `apt-get update && apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  if (!isRoot()) {
    throw new ProvisionError(
      `${why} is missing. Install it as root, then run again:\n  sudo sh -c '${command}'`,
    );
  }
  if (!commandExists('apt-get')) {
    throw new ProvisionError(
      `${why} is missing and this machine has no apt-get. Install the equivalent of these Debian packages: ${packages.join(' ')}`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runLogged('apt-get', ['update'], { env, logFile });
  await runLogged('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env, logFile });
}

/** Makes sure the build toolchain is there; returns 'cached' or the packages it installed. */
export async function ensureBuildTools(logFile) {
  const missing = BUILD_TOOLS.filter((tool) => !commandExists(tool.command));
  if (missing.length === 0) return { installed: [] };
  const packages = [...new Set(missing.map((tool) => tool.pkg))];
  await aptInstall(packages, logFile, `The toolchain aws-lambda-ric builds with (${packages.join(', ')})`);
  const stillMissing = BUILD_TOOLS.filter((tool) => !commandExists(tool.command));
  if (stillMissing.length > 0) {
    throw new ProvisionError(
      `apt-get finished but ${stillMissing.map((tool) => tool.command).join(', ')} is still not on PATH.`,
    );
  }
  return { installed: packages };
}

/** Makes sure Chromium is installed for the browser tests. */
export async function ensureChromium(logFile) {
  if (existsSync(CHROMIUM_PATH)) return { installed: [] };
  await aptInstall(['chromium'], logFile, `Chromium (${CHROMIUM_PATH})`);
  if (!existsSync(CHROMIUM_PATH))
    throw new ProvisionError(`apt-get finished but ${CHROMIUM_PATH} is still missing.`);
  return { installed: ['chromium'] };
}
