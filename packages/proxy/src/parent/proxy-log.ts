/**
 * The proxy's own log lines. They go through the runtime's `console` (which the runtime client has patched), so
 * they land in the function's log in the runtime's format with the request id, tagged `[lambda-debug]`. Tokens,
 * payloads and event data never appear in them.
 */
import type { ProxyLogLevel } from './config.js';

/** Where log lines go; tests pass their own. */
export type LogSink = (level: ProxyLogLevel, line: string) => void;

const SEVERITY: Readonly<Record<ProxyLogLevel, number>> = { error: 0, warn: 1, info: 2, debug: 3 };

/** Tag that starts every line, so the proxy's lines are easy to find (and to filter out) in the function's log. */
export const LOG_TAG = '[lambda-debug]';

/** Writes through the runtime's console methods of the same level. */
export const consoleSink: LogSink = (level, line) => {
  // Resolved at call time: the runtime client patches console after this module may have been loaded.
  console[level](line);
};

/** A levelled logger for one proxy flow. */
export class ProxyLogger {
  #sink: LogSink;
  #level: ProxyLogLevel;

  constructor(sink: LogSink = consoleSink, level: ProxyLogLevel = 'info') {
    this.#sink = sink;
    this.#level = level;
  }

  /** The same sink at another level (the level comes from `DEBUGGER_LOG_LEVEL`, read per invocation). */
  withLevel(level: ProxyLogLevel): ProxyLogger {
    return new ProxyLogger(this.#sink, level);
  }

  error(message: string): void {
    this.#write('error', message);
  }

  warn(message: string): void {
    this.#write('warn', message);
  }

  info(message: string): void {
    this.#write('info', message);
  }

  debug(message: string): void {
    this.#write('debug', message);
  }

  #write(level: ProxyLogLevel, message: string): void {
    if (SEVERITY[level] > SEVERITY[this.#level]) return;
    try {
      this.#sink(level, `${LOG_TAG} ${message}`);
    } catch {
      // A broken log sink must never turn into a failed invocation.
    }
  }
}
