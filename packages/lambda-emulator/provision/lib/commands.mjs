/**
 * Running the commands provisioning needs: output goes to a log file (builds print thousands of lines), and a
 * failure carries the command, its exit status and the end of its log.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { delimiter, join, sep } from 'node:path';

/** Lines of a failed command's log shown in the error. */
const LOG_TAIL_LINES = 25;

/** A provisioning step that failed; `message` says what failed and how to fix it. */
export class ProvisionError extends Error {
  name = 'ProvisionError';
}

/** True when `name` is an executable on PATH. */
export function commandExists(name, env = process.env) {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return true;
  }
  return false;
}

/** The last lines of a log file, for an error message. */
export function logTail(logFile) {
  try {
    const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n');
    return lines.slice(-LOG_TAIL_LINES).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Runs `command args` with stdout and stderr appended to `logFile`; resolves when it exits with 0, rejects with
 * a `ProvisionError` naming the log otherwise.
 */
export function runLogged(command, args, { cwd, env, logFile }) {
  return new Promise((resolve, reject) => {
    const fd = openSync(logFile, 'a');
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', fd, fd] });
    child.once('error', (error) => {
      closeSync(fd);
      reject(new ProvisionError(`${command} could not be started: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      closeSync(fd);
      if (code === 0) resolve();
      else {
        const status = signal ? `signal ${signal}` : `exit status ${code}`;
        reject(
          new ProvisionError(
            `\`${command} ${args.join(' ')}\` failed (${status}). Last lines of ${logFile}:\n${logTail(logFile)}`,
          ),
        );
      }
    });
  });
}

/**
 * This process's environment without the `npm_*` variables `npm run` sets: a nested `npm install` would read
 * `npm_config_local_prefix` and friends as its own configuration and install into the repository instead of the
 * cache folder.
 */
export function environmentWithoutNpmRun(extra = {}) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.toLowerCase().startsWith('npm_')) env[name] = value;
  }
  // `npm run` also puts the repository's node_modules/.bin folders and its node-gyp shim first on PATH.
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir && !dir.endsWith(`node_modules${sep}.bin`) && !dir.endsWith('node-gyp-bin'))
    .join(delimiter);
  return { ...env, ...extra };
}

/** Runs a short command and returns its trimmed stdout, or `undefined` when it fails. */
export function captureOutput(command, args, env = process.env) {
  const result = spawnSync(command, args, { env, encoding: 'utf8', timeout: 60_000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** Seconds since `startedAt` (from `performance.now()`), for the one-line reports. */
export function secondsSince(startedAt) {
  return `${((performance.now() - startedAt) / 1000).toFixed(1)} s`;
}
