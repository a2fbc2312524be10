/**
 * The `DEBUGGER_*` environment variables, parsed once per invocation. Required variables that are missing or
 * malformed make the configuration unusable (the handler then runs normally after one log line naming the
 * variable); optional ones that are malformed fall back to their default, also with one log line.
 */
import { isValidFunctionId } from '@lambda-debug/shim-protocol';
import {
  BROKER_LINK_PATH,
  DEFAULT_BROKER_PORT,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DEADLINE_MARGIN_MS,
  DEFAULT_RECONNECT_GRACE_MS,
  DEFAULT_WAIT_MS,
  MAX_CONNECT_TIMEOUT_MS,
  MAX_DEADLINE_MARGIN_MS,
  MAX_RECONNECT_GRACE_MS,
  MAX_WAIT_MS,
  MIN_CONNECT_TIMEOUT_MS,
  MIN_DEADLINE_MARGIN_MS,
} from '../shared/limits.js';

/** Levels of the proxy's own log lines, most severe first. */
export const PROXY_LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
/** A level of the proxy's own log lines. */
export type ProxyLogLevel = (typeof PROXY_LOG_LEVELS)[number];

/** Longest `DEBUGGER_TOKEN` the broker accepts (the `hello` message's limit). */
const MAX_TOKEN_LENGTH = 512;

/** Everything an active proxy needs, validated. */
export interface ProxyConfig {
  /** Full WebSocket URL of the broker's proxy endpoint (`ws(s)://host:port/.../v1/lambda`). */
  readonly brokerUrl: string;
  /** The same URL without any path, for log lines. */
  readonly brokerDisplay: string;
  readonly functionId: string;
  readonly token: string;
  readonly waitMs: number;
  readonly breakOnStart: boolean;
  readonly deadlineMarginMs: number;
  readonly connectTimeoutMs: number;
  /** How long a paused handler waits for a debugger to attach again after its debugger left; 0: not at all. */
  readonly reconnectGraceMs: number;
  readonly logLevel: ProxyLogLevel;
}

/** One variable that was missing or malformed, and what happens because of it. */
export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

/** The outcome of reading the environment: a usable configuration, or the problems that prevent one. */
export type ConfigResult =
  | { readonly ok: true; readonly config: ProxyConfig; readonly warnings: readonly ConfigProblem[] }
  | {
      readonly ok: false;
      readonly problems: readonly ConfigProblem[];
      readonly warnings: readonly ConfigProblem[];
    };

/** A parsed `DEBUGGER_BROKER_ADDRESS`. */
export interface BrokerAddress {
  readonly url: string;
  readonly display: string;
}

const HOST_PATTERN = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)$/;

/**
 * Parses `host`, `host:port`, `[v6]:port`, or a `ws://` / `wss://` URL with an optional path prefix. Port 8080
 * when none is written, for URLs too (write `wss://host:443` for the TLS default). Returns an error message
 * instead of throwing.
 */
export function parseBrokerAddress(raw: string): BrokerAddress | { readonly error: string } {
  const value = raw.trim();
  if (value === '') return { error: 'is empty' };
  if (/\s/.test(value)) return { error: 'must not contain spaces' };
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value);
  let scheme = 'ws';
  let rest = value;
  if (schemeMatch) {
    scheme = (schemeMatch[1] ?? '').toLowerCase();
    if (scheme !== 'ws' && scheme !== 'wss') {
      return {
        error: `uses the scheme "${scheme}://"; use host[:port], ws://host[:port] or wss://host[:port]`,
      };
    }
    rest = value.slice(schemeMatch[0].length);
  }
  if (/[?#]/.test(rest)) return { error: 'must not contain a query or fragment' };
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const pathPrefix = (slash < 0 ? '' : rest.slice(slash)).replace(/\/+$/, '');
  if (authority.includes('@'))
    return { error: 'must not contain credentials; the token goes in DEBUGGER_TOKEN' };
  const hostPort = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(authority);
  const host = hostPort?.[1] ?? '';
  const portText = hostPort?.[2];
  if (!hostPort || host === '' || !HOST_PATTERN.test(host))
    return { error: `has an invalid host "${authority}"` };
  let port = DEFAULT_BROKER_PORT;
  if (portText !== undefined) {
    port = Number(portText);
    if (portText === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
      return { error: `has an invalid port "${portText}" (1 to 65535)` };
    }
  }
  let url: URL;
  try {
    url = new URL(`${scheme}://${host}:${port}${pathPrefix}${BROKER_LINK_PATH}`);
  } catch {
    return { error: 'is not a valid address' };
  }
  return { url: url.href, display: `${scheme}://${host}:${port}` };
}

function readInteger(
  env: NodeJS.ProcessEnv,
  variable: string,
  fallback: number,
  min: number,
  max: number,
  warnings: ConfigProblem[],
): number {
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    warnings.push({
      variable,
      message: `${variable}="${raw.slice(0, 32)}" is not an integer from ${min} to ${max}; using the default ${fallback}`,
    });
    return fallback;
  }
  return value;
}

function readBoolean(
  env: NodeJS.ProcessEnv,
  variable: string,
  fallback: boolean,
  warnings: ConfigProblem[],
): boolean {
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') return fallback;
  const normalized = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
  if (['false', '0', 'no', 'off'].includes(normalized)) return false;
  warnings.push({
    variable,
    message: `${variable}="${raw.slice(0, 32)}" is not true or false; using the default ${fallback}`,
  });
  return fallback;
}

function hasSpaceOrControl(value: string): boolean {
  for (const character of value) {
    const code = character.codePointAt(0) ?? 0;
    if (code <= 0x20 || code === 0x7f || /\s/.test(character)) return true;
  }
  return false;
}

/** Reads every `DEBUGGER_*` variable the proxy uses. Never throws. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];

  const addressRaw = env.DEBUGGER_BROKER_ADDRESS;
  let address: BrokerAddress | undefined;
  if (addressRaw === undefined || addressRaw.trim() === '') {
    problems.push({
      variable: 'DEBUGGER_BROKER_ADDRESS',
      message:
        'DEBUGGER_BROKER_ADDRESS is not set; set it to the broker as host, host:port or a ws:// / wss:// URL',
    });
  } else {
    const parsed = parseBrokerAddress(addressRaw);
    if ('error' in parsed) {
      problems.push({
        variable: 'DEBUGGER_BROKER_ADDRESS',
        message: `DEBUGGER_BROKER_ADDRESS ${parsed.error}`,
      });
    } else {
      address = parsed;
    }
  }

  const functionId = env.DEBUGGER_FUNCTION_ID;
  if (functionId === undefined || functionId === '') {
    problems.push({
      variable: 'DEBUGGER_FUNCTION_ID',
      message:
        'DEBUGGER_FUNCTION_ID is not set; set it to the id you pair the debugger with (lambda-debug env --fn ID)',
    });
  } else if (!isValidFunctionId(functionId)) {
    problems.push({
      variable: 'DEBUGGER_FUNCTION_ID',
      message: 'DEBUGGER_FUNCTION_ID must be 1 to 128 characters of A-Z a-z 0-9 . _ -',
    });
  }

  // The token's value never goes into a message: only whether it is present and well formed.
  const token = env.DEBUGGER_TOKEN;
  if (token === undefined || token === '') {
    problems.push({
      variable: 'DEBUGGER_TOKEN',
      message: 'DEBUGGER_TOKEN is not set; print it with `lambda-debug env --fn ID`',
    });
  } else if (token.length > MAX_TOKEN_LENGTH || hasSpaceOrControl(token)) {
    problems.push({
      variable: 'DEBUGGER_TOKEN',
      message: `DEBUGGER_TOKEN is malformed (at most ${MAX_TOKEN_LENGTH} characters, no spaces or control characters); print it again with \`lambda-debug env --fn ID\``,
    });
  }

  const waitMs = readInteger(env, 'DEBUGGER_WAIT_MS', DEFAULT_WAIT_MS, 0, MAX_WAIT_MS, warnings);
  const breakOnStart = readBoolean(env, 'DEBUGGER_BREAK_ON_START', true, warnings);
  const deadlineMarginMs = readInteger(
    env,
    'DEBUGGER_DEADLINE_MARGIN_MS',
    DEFAULT_DEADLINE_MARGIN_MS,
    MIN_DEADLINE_MARGIN_MS,
    MAX_DEADLINE_MARGIN_MS,
    warnings,
  );
  const connectTimeoutMs = readInteger(
    env,
    'DEBUGGER_CONNECT_TIMEOUT_MS',
    DEFAULT_CONNECT_TIMEOUT_MS,
    MIN_CONNECT_TIMEOUT_MS,
    MAX_CONNECT_TIMEOUT_MS,
    warnings,
  );
  const reconnectGraceMs = readInteger(
    env,
    'DEBUGGER_RECONNECT_GRACE_MS',
    DEFAULT_RECONNECT_GRACE_MS,
    0,
    MAX_RECONNECT_GRACE_MS,
    warnings,
  );
  let logLevel: ProxyLogLevel = 'info';
  const logLevelRaw = env.DEBUGGER_LOG_LEVEL?.trim().toLowerCase();
  if (logLevelRaw !== undefined && logLevelRaw !== '') {
    if ((PROXY_LOG_LEVELS as readonly string[]).includes(logLevelRaw)) {
      logLevel = logLevelRaw as ProxyLogLevel;
    } else {
      warnings.push({
        variable: 'DEBUGGER_LOG_LEVEL',
        message: `DEBUGGER_LOG_LEVEL="${logLevelRaw.slice(0, 32)}" is not one of ${PROXY_LOG_LEVELS.join(', ')}; using info`,
      });
    }
  }

  if (problems.length > 0 || address === undefined || functionId === undefined || token === undefined) {
    return { ok: false, problems, warnings };
  }
  return {
    ok: true,
    warnings,
    config: {
      brokerUrl: address.url,
      brokerDisplay: address.display,
      functionId,
      token,
      waitMs,
      breakOnStart,
      deadlineMarginMs,
      connectTimeoutMs,
      reconnectGraceMs,
      logLevel,
    },
  };
}
