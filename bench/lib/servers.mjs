/**
 * Starts the server side of the broker figures in its own process: the real broker (workers/broker-host.mjs) or
 * the bare `ws` relay it is compared with (workers/bare-relay-host.mjs). Both answer the same IPC requests.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkModule, nextMessage, request, stopChild } from './processes.mjs';

const WORKERS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'workers');

/** How long a host may take to close (the broker gives peers a grace period to finish closing). */
const HOST_CLOSE_TIMEOUT_MS = 30_000;

/** A fresh broker secret for one run: 32 random bytes, as `lambda-debug secret` makes. */
export function makeSecret() {
  return randomBytes(32).toString('base64url');
}

/**
 * Starts a host. `kind` is `broker` or `bare`; `secret` and `limits` go to the broker. Resolves with its
 * addresses and IPC helpers.
 */
export async function startHost(kind, { secret, limits = {}, logLevel } = {}) {
  const module = path.join(WORKERS_DIR, kind === 'broker' ? 'broker-host.mjs' : 'bare-relay-host.mjs');
  const child = forkModule(module, [], {
    execArgv: ['--expose-gc'],
    // Log lines are discarded, as the broker's stderr would go to a log shipper, not to this table.
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: {
      ...process.env,
      BENCH_BROKER_SECRET: secret ?? '',
      BENCH_BROKER_LIMITS: JSON.stringify(limits),
      ...(logLevel ? { BENCH_BROKER_LOG_LEVEL: logLevel } : {}),
    },
  });
  const ready = await nextMessage(child, (message) => message?.type === 'ready');
  const { lambdaAddress, debuggerAddress } = ready;
  return {
    kind,
    child,
    lambdaUrl: `ws://${lambdaAddress.host}:${lambdaAddress.port}/v1/lambda`,
    lambdaAddress,
    debuggerAddress,
    debuggerBase: `ws://${debuggerAddress.host}:${debuggerAddress.port}`,
    /** RSS, heap, CPU time and the host's own counters. */
    usage: () => request(child, { type: 'usage' }),
    /** The same, after forced garbage collection. */
    usageAfterGc: () => request(child, { type: 'gc' }),
    /** Session changes as `{ type: 'session-event', ... }` IPC messages from now on. */
    watch: () => request(child, { type: 'watch' }),
    close: async () => {
      if (child.connected)
        await request(child, { type: 'close' }, HOST_CLOSE_TIMEOUT_MS).catch(() => undefined);
      await stopChild(child);
    },
  };
}
