/**
 * Turns `demo`'s and `local`'s options into what the local chain runs: the runtime, the folder and handler, the
 * event, the function's variables and its limits. Every bad value is a `UsageError` naming the option.
 */
import { existsSync, realpathSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  defaultCacheDir,
  MAX_EVENT_BYTES,
  MAX_MEMORY_MB,
  MAX_TIMEOUT_MS,
  MIN_MEMORY_MB,
  RESERVED_ENV_VARS,
} from '@lambda-debug/lambda-emulator';
import { parseFunctionId, parsePort } from './arguments.js';
import type { CommandContext } from './context.js';
import { systemErrorCode, UsageError } from './errors.js';
import { findHandlerFile, resolveTaskRoot, wrapperHandlerString } from './handler-location.js';
import { LOCAL_DEBUGGER_WAIT_MS, LOCAL_FUNCTION_TIMEOUT_MS, LOCAL_MEMORY_MB } from './local-debug.js';
import type { LocalRunSettings } from './local-debug-run.js';
import { chooseRuntime, parseRuntime } from './local-runtime.js';

/** `local`'s options as commander hands them over. */
export interface LocalOptions {
  readonly handler: string;
  readonly dir: string;
  readonly event?: string;
  readonly runtime?: string;
  readonly fn?: string;
  readonly env?: string[];
  readonly layer?: string[];
  readonly timeout: string;
  readonly wait: string;
  readonly memory: string;
  readonly inspectPort: string;
  readonly once?: boolean;
  readonly json?: boolean;
}

/** `demo`'s options as commander hands them over. */
export interface DemoOptions {
  readonly once?: boolean;
  readonly json?: boolean;
  readonly runtime?: string;
  readonly inspectPort: string;
  readonly printRuntime?: boolean;
}

/** The demo function's id, as its URLs and `lambda-debug sessions` show it. */
export const DEMO_FUNCTION_ID = 'demo-hello';

/** The example function the demo runs, shipped with this package (from `src/` and from `dist/` alike). */
export const DEMO_TASK_ROOT = resolve(__dirname, '..', 'examples', 'hello');

/** The demo function's handler, in `DEMO_TASK_ROOT`. */
export const DEMO_HANDLER = 'index.handler';

/** The event every demo invocation gets, in `DEMO_TASK_ROOT`. */
const DEMO_EVENT_FILE = 'event.json';

/** Function id used when a folder's name gives none. */
const FALLBACK_FUNCTION_ID = 'local-function';

/** The `DEBUGGER_*` variables `local` sets itself; `--env` may set any other. */
const CHAIN_VARIABLES: Readonly<Record<string, string>> = {
  DEBUGGER_ACTIVE: 'it is always on here',
  DEBUGGER_BROKER_ADDRESS: 'the local broker is used',
  DEBUGGER_FUNCTION_ID: 'use --fn',
  DEBUGGER_TOKEN: 'tokens come from the secret made for this run',
  DEBUGGER_WAIT_MS: 'use --wait',
  DEBUGGER_HANDLER: 'use --handler',
};

/** Lambda's rule for environment variable names. */
const ENV_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Reads an event file: one JSON value, at most Lambda's synchronous payload size. */
export async function readEventFile(path: string): Promise<unknown> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw new UsageError(`cannot read --event ${path} (${systemErrorCode(error)})`, 'Check the path', {
      cause: error,
    });
  }
  if (size > MAX_EVENT_BYTES) {
    throw new UsageError(
      `--event ${path} is ${size} bytes; Lambda accepts events of at most ${MAX_EVENT_BYTES} bytes`,
      'Use a smaller event',
    );
  }
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(
      `--event ${path} is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
      'Put one JSON value in the file, such as {"name": "world"}',
      { cause: error },
    );
  }
}

/** A `--layer` path, absolute; a missing one is a usage error. */
function resolveLayer(layer: string): string {
  const file = resolve(layer);
  if (!existsSync(file)) {
    throw new UsageError(
      `--layer ${layer}: no such file or folder`,
      'Pass a layer zip or a folder with its files',
    );
  }
  return file;
}

/** `--env KEY=VALUE` values as variables; Lambda's reserved names and the chain's own are refused. */
export function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    const name = equals < 0 ? pair : pair.slice(0, equals);
    if (equals < 0 || !ENV_NAME.test(name)) {
      throw new UsageError(
        `--env "${name.slice(0, 64)}" is not KEY=VALUE`,
        'Write each variable as --env NAME=value, the name made of letters, digits and _',
      );
    }
    if (RESERVED_ENV_VARS.includes(name)) {
      throw new UsageError(`--env ${name}: Lambda sets ${name} itself`, `Leave ${name} out`);
    }
    const why = CHAIN_VARIABLES[name];
    if (why !== undefined) {
      throw new UsageError(`--env ${name}: lambda-debug local sets ${name} itself`, `Leave it out (${why})`);
    }
    env[name] = pair.slice(equals + 1);
  }
  return env;
}

/** A whole number within bounds, for options such as `--memory`. */
export function parseBoundedInteger(value: string, option: string, min: number, max: number): number {
  const number = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (number >= min && number <= max) return number;
  throw new UsageError(`${option} "${value}" is out of range`, `Use a whole number from ${min} to ${max}`);
}

/** A function id from a folder's name: its characters outside the id alphabet become `-`. */
export function functionIdForFolder(folder: string): string {
  const id = basename(folder)
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, 128);
  return id === '' ? FALLBACK_FUNCTION_ID : id;
}

/** The runtime from `--runtime`, or the best provisioned one. */
function runtimeFor(option: string | undefined, cacheDir: string) {
  return chooseRuntime(
    option === undefined ? undefined : parseRuntime(option),
    process.versions.node,
    cacheDir,
  );
}

/** What `demo` runs. */
export async function demoSettings(options: DemoOptions, context: CommandContext): Promise<LocalRunSettings> {
  const tunnelPort = parsePort(options.inspectPort, '--inspect-port', true);
  const cacheDir = defaultCacheDir(context.env);
  const { runtime, note } = runtimeFor(options.runtime, cacheDir);
  const taskRoot = realpathSync(DEMO_TASK_ROOT);
  return {
    title:
      'lambda-debug demo: an example function in a local Lambda, with the debugger proxy turned on ' +
      `(by \`debuggable\` in ${join(taskRoot, 'index.js')}).`,
    chain: {
      functionId: DEMO_FUNCTION_ID,
      runtime,
      taskRoot,
      handler: DEMO_HANDLER,
      setup: { kind: 'in-code' },
      env: {},
      waitMs: LOCAL_DEBUGGER_WAIT_MS,
      timeoutMs: LOCAL_FUNCTION_TIMEOUT_MS,
      memoryMb: LOCAL_MEMORY_MB,
      tunnelPort,
      cacheDir,
    },
    event: await readEventFile(join(taskRoot, DEMO_EVENT_FILE)),
    once: options.once === true,
    json: options.json === true,
    ...(note === undefined ? {} : { note }),
  };
}

/** What `local` runs. */
export async function localSettings(
  options: LocalOptions,
  context: CommandContext,
): Promise<LocalRunSettings> {
  const taskRoot = resolveTaskRoot(options.dir);
  findHandlerFile(taskRoot, options.handler);
  const functionId = options.fn === undefined ? functionIdForFolder(taskRoot) : parseFunctionId(options.fn);
  const maxSeconds = MAX_TIMEOUT_MS / 1000;
  const timeoutMs = parseBoundedInteger(options.timeout, '--timeout', 1, maxSeconds) * 1000;
  const waitMs = parseBoundedInteger(options.wait, '--wait', 1, maxSeconds) * 1000;
  const memoryMb = parseBoundedInteger(options.memory, '--memory', MIN_MEMORY_MB, MAX_MEMORY_MB);
  const tunnelPort = parsePort(options.inspectPort, '--inspect-port', true);
  const env = parseEnvPairs(options.env ?? []);
  const layers = (options.layer ?? []).map((layer) => resolveLayer(layer));
  const event = options.event === undefined ? {} : await readEventFile(resolve(options.event));
  const cacheDir = defaultCacheDir(context.env);
  const { runtime, note } = runtimeFor(options.runtime, cacheDir);
  return {
    title:
      `lambda-debug local: ${options.handler} in a local Lambda, with the debugger proxy turned on by its ` +
      'wrapper handler (no change to your code).',
    chain: {
      functionId,
      runtime,
      taskRoot,
      handler: options.handler.trim(),
      setup: {
        kind: 'wrapper',
        wrapperHandler: wrapperHandlerString(require.resolve('@lambda-debug/proxy/package.json')),
      },
      env,
      ...(layers.length > 0 ? { layers } : {}),
      waitMs,
      timeoutMs,
      memoryMb,
      tunnelPort,
      cacheDir,
    },
    event,
    once: options.once === true,
    json: options.json === true,
    ...(note === undefined ? {} : { note }),
  };
}
