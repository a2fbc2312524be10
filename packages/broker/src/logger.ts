import { createLogger, format, type LogEntry, type Logger, transports } from 'winston';
import Transport from 'winston-transport';

/** Levels the broker logs at, most severe first (winston's npm levels). */
export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
/** One of `LOG_LEVELS`. */
export type LogLevel = (typeof LOG_LEVELS)[number];
/** How log lines are written: one JSON object per line, or readable text. */
export type LogFormat = 'json' | 'pretty';

// Tokens have a recognisable shape; a token that slipped into a message or a field is cut to its role.
const TOKEN_SHAPE = /\bld1\.(lambda|debugger|admin)\.[A-Za-z0-9_-]+/g;
const SENSITIVE_KEYS = new Set(['token', 'secret', 'authorization', 'password']);

/** `text` with token-shaped strings cut to their role and each of `secrets` replaced by `***`. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let redacted = text.replace(TOKEN_SHAPE, 'ld1.$1.***');
  for (const secret of secrets) redacted = redacted.split(secret).join('***');
  return redacted;
}

function secretsOf(options: unknown): readonly string[] {
  const secrets = (options as { secrets?: unknown } | undefined)?.secrets;
  return Array.isArray(secrets)
    ? secrets.filter((secret): secret is string => typeof secret === 'string')
    : [];
}

/** Masks token-shaped strings, the given `secrets`, and fields named like secrets, in every log entry. */
const redact = format((info, options: unknown) => {
  const secrets = secretsOf(options);
  for (const key of Object.keys(info)) {
    const value = info[key];
    if (SENSITIVE_KEYS.has(key.toLowerCase())) info[key] = '***';
    else if (typeof value === 'string') info[key] = redactText(value, secrets);
    else if (value !== null && typeof value === 'object') {
      info[key] = JSON.parse(redactText(JSON.stringify(value), secrets));
    }
  }
  return info;
});

/** Hands every entry, already redacted, to another logger. */
class ForwardTransport extends Transport {
  #target: Logger;

  constructor(target: Logger) {
    super();
    this.#target = target;
  }

  override log(info: LogEntry, next: () => void): void {
    this.#target.log({ ...info });
    next();
  }
}

/**
 * The logger the broker writes through: it masks tokens and `secrets` in every entry, then hands it to
 * `target`. Peers send free text (close reasons, session-end messages, Host headers) that may carry a token,
 * and a library user's own logger has no reason to know that; this way no logger the broker is given can leak.
 */
export function redactingLogger(target: Logger, secrets: readonly string[]): Logger {
  return createLogger({
    level: target.level,
    levels: target.levels,
    format: redact({ secrets }),
    transports: [new ForwardTransport(target)],
  });
}

function prettyLine(info: Record<string, unknown>): string {
  const { timestamp, level, message, tag, ...rest } = info;
  const fields = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  const prefix = `${String(timestamp)} ${String(level).padEnd(5)}${tag ? ` [${String(tag)}]` : ''}`;
  return `${prefix} ${String(message)}${fields ? ` ${fields}` : ''}`;
}

/** The broker's default logger: JSON lines (or readable text with `format: 'pretty'`) on stderr, level `info`. */
export function createBrokerLogger(options: { level?: string; format?: LogFormat }): Logger {
  const level = options.level ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new TypeError(`log level "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  const shape =
    options.format === 'pretty'
      ? format.printf((info) => prettyLine(info as Record<string, unknown>))
      : format.json();
  return createLogger({
    level,
    format: format.combine(redact(), format.timestamp(), shape),
    transports: [new transports.Console({ stderrLevels: [...LOG_LEVELS] })],
  });
}

/** A URL for a log line: path kept, every query value replaced by `***` (tokens travel in query strings). */
export function maskUrl(url: string | undefined): string {
  if (url === undefined) return '';
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return url;
  const masked = url
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      return equals < 0 ? pair : `${pair.slice(0, equals)}=***`;
    })
    .join('&');
  return `${url.slice(0, queryStart)}?${masked}`;
}
