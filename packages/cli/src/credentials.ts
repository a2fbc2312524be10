/**
 * Where the CLI gets the broker secret and the tokens derived from it. Tokens are computed offline (HMAC of the
 * secret), so `url` and `env` work without reaching the broker. Neither the secret nor a token ever appears in
 * an error message.
 */
import { readFile, stat } from 'node:fs/promises';
import { deriveToken, MIN_SECRET_LENGTH } from '@lambda-debug/broker/tokens';
import { RuntimeFailure, systemErrorCode, UsageError } from './errors.js';
import type { Output } from './output.js';

/** Environment variable holding the broker secret, read by `broker start`, `url`, `env`, `sessions`, `tunnel`. */
export const SECRET_ENV = 'LAMBDA_DEBUG_SECRET';

/** Largest secret file read, in bytes: a secret is a short line, anything bigger is the wrong file. */
export const MAX_SECRET_FILE_BYTES = 4096;

/** Token roles the CLI derives. */
export type TokenRole = 'lambda' | 'debugger' | 'admin';

const MAKE_ONE = 'Make one with `lambda-debug secret`';

/** Checks a secret's strength; surrounding whitespace (a file's final newline) is not part of it. */
export function checkSecret(raw: string, source: string): string {
  const secret = raw.trim();
  if (secret.length === 0) {
    throw new UsageError(`${source} is empty`, `Put the broker secret there. ${MAKE_ONE}`);
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new UsageError(
      `the secret in ${source} is too short (${secret.length} characters, at least ${MIN_SECRET_LENGTH} needed)`,
      MAKE_ONE,
    );
  }
  return secret;
}

/** The secret from `LAMBDA_DEBUG_SECRET`, or `undefined` when the variable is not set. */
export function secretFromEnv(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const value = env[SECRET_ENV];
  return value === undefined ? undefined : checkSecret(value, SECRET_ENV);
}

/**
 * The token a command needs (admin tokens are not scoped to a function, so they take no `functionId`), or
 * `undefined` with `--no-auth` (for a broker started with `--no-auth`). Without
 * `LAMBDA_DEBUG_SECRET` this is a usage error that says how to get one.
 */
export function tokenFor(
  role: TokenRole,
  functionId: string | undefined,
  options: { auth: boolean; env: Readonly<Record<string, string | undefined>> },
): string | undefined {
  if (!options.auth) return undefined;
  const secret = secretFromEnv(options.env);
  if (secret === undefined) {
    throw new UsageError(
      `${SECRET_ENV} is not set`,
      `Set it to the broker's secret (${MAKE_ONE.toLowerCase()}), or pass --no-auth for a broker started with --no-auth`,
    );
  }
  return deriveToken(secret, role, functionId);
}

/**
 * Reads a `--secret-file`. Warns when other users can read it, since anyone holding the secret can debug every
 * function on the broker.
 */
export async function readSecretFile(path: string, output: Output): Promise<string> {
  let mode: number;
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile())
      throw new UsageError(`--secret-file ${path} is not a file`, 'Pass the path of the secret file');
    mode = info.mode;
    size = info.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `cannot read --secret-file ${path} (${systemErrorCode(error)})`,
      `Check the path. ${MAKE_ONE} --out ${path}`,
      {
        cause: error,
      },
    );
  }
  if (size > MAX_SECRET_FILE_BYTES) {
    throw new UsageError(
      `--secret-file ${path} is ${size} bytes, more than a secret (at most ${MAX_SECRET_FILE_BYTES})`,
      'Pass the file that holds only the secret',
    );
  }
  if ((mode & 0o077) !== 0) {
    output.warn(
      `${path} can be read by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
    );
  }
  try {
    return checkSecret(await readFile(path, 'utf8'), `--secret-file ${path}`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new RuntimeFailure(
      `cannot read --secret-file ${path} (${systemErrorCode(error)})`,
      'Check the file permissions',
      {
        cause: error,
      },
    );
  }
}
