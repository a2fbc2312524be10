/**
 * The `ws` library the broker itself uses (ws 8), resolved from the broker package: the root's hoisted `ws` is
 * an older major brought in by chrome-remote-interface, and the benchmarks must speak the same library version as
 * the code they measure.
 */
import { createRequire } from 'node:module';

const requireFromBroker = createRequire(
  createRequire(import.meta.url).resolve('@lambda-debug/broker/package.json'),
);

/** ws 8's WebSocket client class. */
export const WebSocket = requireFromBroker('ws');

/** ws 8's WebSocket server class. */
export const WebSocketServer = WebSocket.WebSocketServer;
