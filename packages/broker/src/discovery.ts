import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Session } from './session-registry.js';

/** The CDP version the broker advertises; the relayed inspector speaks it. */
export const ADVERTISED_PROTOCOL_VERSION = '1.3';

/** Where DevTools is told the function's code lives (Lambda's task root). */
const TARGET_URL = 'file:///var/task';

/** This package's version, read once from its package.json (next to `src/` and `dist/`). */
export const BROKER_VERSION: string = (
  JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }
).version;

/** `GET /json/version`. No `webSocketDebuggerUrl`: VS Code would take it for a browser endpoint. */
export interface VersionResponse {
  readonly Browser: string;
  readonly 'Protocol-Version': string;
}

/** One entry of `GET /json/list`, in the shape Node's inspector uses. */
export interface DiscoveryTarget {
  readonly id: string;
  readonly type: 'node';
  readonly title: string;
  readonly description: string;
  readonly url: string;
  readonly webSocketDebuggerUrl: string;
  readonly devtoolsFrontendUrl: string;
  readonly devtoolsFrontendUrlCompat: string;
}

/** The body of `GET /json/version`. */
export function versionResponse(): VersionResponse {
  return { Browser: `lambda-debug/${BROKER_VERSION}`, 'Protocol-Version': ADVERTISED_PROTOCOL_VERSION };
}

/**
 * Encodes a `ws=` value for a DevTools URL: the characters that would end or split the outer query are
 * escaped so the inner `?token=` survives; `/` and `:` stay readable as Node's own URLs have them.
 */
export function encodeWsParameter(value: string): string {
  return encodeURIComponent(value).replace(/%2F/g, '/').replace(/%3A/g, ':');
}

/**
 * The targets for `sessions`, with URLs built from the request's Host header (already checked against DNS
 * rebinding), so they work however the caller reached the broker.
 */
export function buildTargets(
  sessions: readonly Session[],
  options: {
    host: string;
    /** The broker speaks TLS: `wss://` URLs, and DevTools' `wss=` parameter. */
    secure: boolean;
    tokenFor: (functionId: string) => string | undefined;
    nowMs: number;
  },
): DiscoveryTarget[] {
  return sessions.map((session) => {
    const token = options.tokenFor(session.functionId);
    const address = `${options.host}/${session.functionId}/${session.sessionId}${token ? `?token=${token}` : ''}`;
    const secondsLeft = Math.max(0, Math.round((session.deadlineMs - options.nowMs) / 1000));
    const wsParameter = `${options.secure ? 'wss' : 'ws'}=${encodeWsParameter(address)}`;
    return {
      id: session.sessionId,
      type: 'node',
      title: `${session.functionId} ${session.requestId}`,
      description: `lambda-debug session, ${session.state}, ${secondsLeft} s left`,
      url: TARGET_URL,
      webSocketDebuggerUrl: `${options.secure ? 'wss' : 'ws'}://${address}`,
      devtoolsFrontendUrl: `devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&${wsParameter}`,
      devtoolsFrontendUrlCompat: `devtools://devtools/bundled/inspector.html?experiments=true&v8only=true&${wsParameter}`,
    };
  });
}
