/** What `lambda-debug broker start` prints once both ports listen. */
import { SECRET_ENV } from './credentials.js';
import type { Palette } from './output.js';

/** Log formats `--log-format` accepts. */
export const LOG_FORMATS = ['json', 'pretty'] as const;

/** The `broker start --json` line printed once both ports listen. */
export interface BrokerReady {
  readonly lambdaUrl: string;
  readonly debuggerUrl: string;
  readonly lambdaPort: number;
  readonly debuggerPort: number;
  readonly auth: boolean;
  /** Both ports speak TLS: the URLs are `wss://` and `https://`. */
  readonly tls: boolean;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/** `address` as the host part of a URL: an IPv6 literal goes in brackets. */
export function urlHost(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/** What the operator sees once the broker listens: where, and the commands to run next. */
export function formatBrokerReady(
  ready: BrokerReady,
  bindHost: string,
  allowedHosts: readonly string[],
  style: Palette,
): string {
  // On a wildcard address the broker's reachable name is unknown here; suggest a placeholder to fill in.
  const wildcard = WILDCARD_HOSTS.has(bindHost);
  // With TLS the commands need the scheme too, and the certificate's name rather than the bound address.
  const scheme = ready.tls ? 'wss://' : '';
  const lambdaAt = `${scheme}${wildcard ? '<address Lambdas reach>' : urlHost(bindHost)}:${ready.lambdaPort}`;
  const debuggerAt = `${scheme}${wildcard ? '<address you reach>' : urlHost(bindHost)}:${ready.debuggerPort}`;
  const noAuth = ready.auth ? '' : ' --no-auth';
  const lines = [
    style.bold('lambda-debug broker listening'),
    `  Lambda port    ${ready.lambdaUrl}   ${style.dim('(proxies connect here)')}`,
    `  Debugger port  ${ready.debuggerUrl}   ${style.dim('(DevTools, VS Code, node inspect, lambda-debug url/sessions/tunnel)')}`,
    `  TLS            ${ready.tls ? 'on: wss:// and https:// on both ports (SIGHUP reloads the certificate files)' : 'off'}`,
    `  Auth           ${ready.auth ? `on: tokens derived from the broker secret` : style.yellow('off (--no-auth): anyone who can reach these ports can debug')}`,
    '',
    style.bold('Next'),
    `  1. Set the function's environment:  ${style.cyan(`lambda-debug env --fn <ID> --broker ${lambdaAt}${noAuth}`)}`,
    "  2. Raise the function's timeout and invoke it.",
    `  3. Attach a debugger:               ${style.cyan(`lambda-debug url --fn <ID> --broker ${debuggerAt}${noAuth}`)}`,
    `  Watch sessions:                     ${style.cyan(`lambda-debug sessions --follow --broker ${debuggerAt}${noAuth}`)}`,
  ];
  if (ready.auth) lines.push(style.dim(`  (url, env and sessions read the secret from ${SECRET_ENV}.)`));
  if (wildcard && allowedHosts.length === 0) {
    lines.push(
      style.dim(
        '  Debuggers that reach the broker by DNS name need --allowed-host <name>; IPs and localhost always work.',
      ),
    );
  }
  lines.push('', style.dim('Press Ctrl+C to stop.'));
  return lines.join('\n');
}
