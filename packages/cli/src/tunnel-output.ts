/** What `lambda-debug tunnel` prints: its ready line and one line per event. */
import type { Palette } from './output.js';
import type { TunnelEvent } from './tunnel-server.js';

/** The `tunnel --json` line printed once the tunnel listens. */
export interface TunnelReady {
  /** `host:port` the tunnel listens on (the chrome://inspect target). */
  readonly address: string;
  readonly port: number;
  /** WebSocket URL attaching to the function's next or waiting invocation, no token needed. */
  readonly ws: string;
  readonly devtools: string;
}

/** One line for something the tunnel reports, for the person watching its terminal. */
export function formatTunnelEvent(event: TunnelEvent, style: Palette): string {
  switch (event.type) {
    case 'debugger-connected':
      return `${style.green('debugger connected')} from ${event.remoteAddress} to ${event.path} (#${event.connectionId})`;
    case 'debugger-disconnected':
      return `${style.dim('debugger disconnected')} (#${event.connectionId})`;
    case 'debugger-refused':
      return `${style.yellow('debugger refused by the broker')}: ${event.status} ${event.reason}`.trimEnd();
    case 'broker-problem':
      return `${style.yellow('broker:')} ${event.message}`;
    case 'broker-ok':
      return `${style.green('broker reachable again')}`;
  }
}

export function describeTunnelReady(
  ready: TunnelReady,
  functionId: string,
  brokerShown: string,
  style: Palette,
): string {
  return [
    `Tunnel for ${style.bold(functionId)} listening on ${style.bold(ready.address)} (broker ${brokerShown}).`,
    `  chrome://inspect  add ${style.bold(`localhost:${ready.port}`)} under "Discover network targets"`,
    `  node inspect      ${style.cyan(`node inspect ${ready.address}`)}`,
    `  VS Code           attach with "address": "localhost", "port": ${ready.port}, "autoAttachChildProcesses": false`,
    `  DevTools          ${ready.devtools}`,
    style.dim('Debuggers connect here without a token, as to `node --inspect`. Press Ctrl+C to stop.'),
  ].join('\n');
}
