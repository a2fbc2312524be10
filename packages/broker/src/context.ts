import type { Logger } from 'winston';
import { WebSocketServer } from 'ws';
import type { AccessControl } from './access.js';
import type { HeartbeatMonitor } from './heartbeat.js';
import type { ResolvedBrokerOptions } from './options.js';
import type { FlowController } from './relay.js';
import type { SessionRegistry } from './session-registry.js';
import type { TrackedTimers } from './timers.js';

/** What every endpoint of one broker shares. */
export interface BrokerContext {
  readonly options: ResolvedBrokerOptions;
  readonly logger: Logger;
  readonly access: AccessControl;
  readonly registry: SessionRegistry;
  readonly heartbeat: HeartbeatMonitor;
  readonly flow: FlowController;
  readonly timers: TrackedTimers;
}

/** A peer's address for logs and the admin API: `host:port`, IPv6 in brackets. */
export function formatRemoteAddress(address: string | undefined, port: number | undefined): string {
  const host = address ?? 'unknown';
  const shown = host.includes(':') ? `[${host}]` : host;
  return port === undefined ? shown : `${shown}:${port}`;
}

/**
 * The WebSocket server behind one endpoint: upgrades are handed to it after the endpoint's own checks, it keeps
 * no client list of its own (the endpoint does), and it never compresses (CDP relays as-is).
 */
export function createUpgradeServer(maxPayloadBytes: number): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: maxPayloadBytes,
  });
}
