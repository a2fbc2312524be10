/**
 * The broker's defaults, as the contract states them. They live here as well as in `@lambda-debug/broker` so that
 * commands which only parse or print addresses (`url`, `env`, `--help`) start without loading the broker and
 * its logging and WebSocket libraries; `broker-defaults.test.ts` checks that both copies agree.
 */

/** Address `broker start` listens on by default: loopback only. */
export const DEFAULT_BROKER_HOST = '127.0.0.1';

/** The broker's Lambda port (proxies) when none is given. */
export const DEFAULT_LAMBDA_PORT = 8080;

/** The broker's debugger port when none is given: the inspector's usual port. */
export const DEFAULT_DEBUGGER_PORT = 9229;

/** Levels the broker logs at, most severe first, as `--log-level` accepts them. */
export const BROKER_LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
