/**
 * `--broker` values. Debugger-side commands (`url`, `tunnel`, `sessions`) talk to the broker's debugger port;
 * `env` prints the address Lambdas use to reach its Lambda port. Both accept `HOST`, `HOST:PORT`, `[IPv6]:PORT`
 * or a URL; a `wss://`/`https://` URL means the broker speaks TLS (its own certificate, or a proxy in front).
 *
 * The default port rule, the same for every command and for the proxy's `DEBUGGER_BROKER_ADDRESS`: an address
 * without a port means the broker's own port for that side, 8080 for the Lambda side and 9229 for the debugger
 * side, whatever the scheme (none, `ws://`, `wss://`, `http://`, `https://`). Nothing assumes 443 or 80: a
 * broker behind a proxy on 443 is written `wss://host:443`. Addresses are always written back with their port,
 * so what the CLI prints means the same wherever it is pasted.
 */
import { isIPv6 } from 'node:net';
import { DEFAULT_DEBUGGER_PORT, DEFAULT_LAMBDA_PORT } from './broker-defaults.js';
import { UsageError } from './errors.js';

/** Environment variable giving the default broker for `url`, `tunnel` and `sessions`. */
export const BROKER_ENV = 'LAMBDA_DEBUG_BROKER';

/** Where the broker's debugger port is, as the CLI connects to it. */
export interface BrokerAddress {
  /** The broker is reached over TLS (`wss://`, `https://`). */
  readonly secure: boolean;
  /** The host as written in a URL: IPv6 literals keep their brackets. */
  readonly host: string;
  readonly port: number;
  /** A private CA to trust for this broker's certificate (`--ca FILE`, PEM), besides Node's own store. */
  readonly ca?: string;
}

const ADDRESS_FORMS = 'Use HOST, HOST:PORT, [IPv6]:PORT, or a URL such as wss://broker.example.com';
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const PLAIN_ADDRESS = /^(?<host>\[[^\]]*\]|[^:[\]]+)(?::(?<port>[^:]*))?$/;
const URL_PREFIX = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

function invalid(input: string, source: string, why: string): UsageError {
  return new UsageError(`invalid broker address "${input}" (from ${source}): ${why}`, ADDRESS_FORMS);
}

function parsePortText(text: string, input: string, source: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535))
    throw invalid(input, source, `port "${text}" is not between 1 and 65535`);
  return port;
}

function checkHost(host: string, input: string, source: string): string {
  if (host.startsWith('[')) {
    if (!isIPv6(host.slice(1, -1))) throw invalid(input, source, `"${host}" is not an IPv6 address`);
    return host.toLowerCase();
  }
  if (!HOST_NAME.test(host)) throw invalid(input, source, `"${host}" is not a host name or IP address`);
  return host.toLowerCase();
}

/** A `URL` for a broker address given as a URL, with everything the CLI cannot use refused. */
function parseUrlForm(input: string, source: string, protocols: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw invalid(input, source, 'not a valid URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw invalid(input, source, `the scheme must be ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  if (url.username || url.password) throw invalid(input, source, 'credentials do not belong in the address');
  if (url.search || url.hash)
    throw invalid(input, source, 'a query or fragment does not belong in the address');
  if (url.hostname === '') throw invalid(input, source, 'the host is missing');
  return url;
}

/**
 * The port written in a URL's authority, as typed: `URL` forgets a port equal to its scheme's standard one, and
 * the default port rule must not see `wss://host:443` as `wss://host`.
 */
function writtenPort(text: string): string | undefined {
  const authority = /^[^:]+:\/\/([^/?#]*)/.exec(text)?.[1] ?? '';
  const withoutHost = authority.startsWith('[') ? authority.slice(authority.indexOf(']') + 1) : authority;
  const colon = withoutHost.lastIndexOf(':');
  return colon < 0 ? undefined : withoutHost.slice(colon + 1);
}

/**
 * Parses a debugger-side broker address. Without a port, plain or URL, it gets `defaultPort` (the rule above).
 * `source` names where the value came from (`--broker`, `LAMBDA_DEBUG_BROKER`) so the error can say which one
 * to fix.
 */
export function parseBrokerAddress(input: string, defaultPort: number, source: string): BrokerAddress {
  const text = input.trim();
  if (text === '') throw invalid(input, source, 'it is empty');
  if (URL_PREFIX.test(text)) {
    const url = parseUrlForm(text, source, ['ws:', 'wss:', 'http:', 'https:']);
    if (url.pathname !== '/' && url.pathname !== '') {
      throw invalid(input, source, 'a path does not belong in the debugger address');
    }
    const secure = url.protocol === 'wss:' || url.protocol === 'https:';
    const portText = writtenPort(text);
    const port = portText === undefined ? defaultPort : parsePortText(portText, input, source);
    return { secure, host: checkHost(url.hostname, input, source), port };
  }
  const match = PLAIN_ADDRESS.exec(text);
  const host = match?.groups?.host;
  if (host === undefined) {
    throw invalid(input, source, text.includes('::') ? 'IPv6 addresses need brackets' : 'not HOST[:PORT]');
  }
  const portText = match?.groups?.port;
  return {
    secure: false,
    host: checkHost(host, input, source),
    port: portText === undefined ? defaultPort : parsePortText(portText, input, source),
  };
}

/**
 * The debugger-side broker: `--broker` if given, else `LAMBDA_DEBUG_BROKER`, else `localhost`, with the
 * debugger port (9229) when none is named.
 */
export function resolveDebuggerBroker(
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): BrokerAddress {
  if (option !== undefined) return parseBrokerAddress(option, DEFAULT_DEBUGGER_PORT, '--broker');
  const fromEnv = env[BROKER_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return parseBrokerAddress(fromEnv, DEFAULT_DEBUGGER_PORT, BROKER_ENV);
  }
  return { secure: false, host: 'localhost', port: DEFAULT_DEBUGGER_PORT };
}

/**
 * The value of `DEBUGGER_BROKER_ADDRESS` for `--broker` as given to `env`: `host:port` or a `ws://`/`wss://` URL
 * (path kept, for brokers behind a reverse proxy; `http(s)://` written as `ws(s)://`), always with an explicit
 * port, 8080 when none is given (the rule above), so the value shows what the function will really use.
 */
export function lambdaBrokerAddress(input: string, source = '--broker'): string {
  const text = input.trim();
  if (text === '') throw invalid(input, source, 'it is empty');
  if (URL_PREFIX.test(text)) {
    const url = parseUrlForm(text, source, ['ws:', 'wss:', 'http:', 'https:']);
    const secure = url.protocol === 'wss:' || url.protocol === 'https:';
    const rest = /^[^:]+:\/\/[^/?#]*(.*)$/.exec(text)?.[1] ?? '';
    const portText = writtenPort(text);
    const port = portText === undefined ? DEFAULT_LAMBDA_PORT : parsePortText(portText, input, source);
    const host = checkHost(url.hostname, input, source);
    const path = rest.replace(/\/+$/, '');
    return `${secure ? 'wss' : 'ws'}://${host}:${port}${path}`;
  }
  const address = parseBrokerAddress(text, DEFAULT_LAMBDA_PORT, source);
  return `${address.host}:${address.port}`;
}

/** `host:port`, as in a DevTools `ws=` parameter or a chrome://inspect target. */
export function hostPort(address: BrokerAddress): string {
  return `${address.host}:${address.port}`;
}

/** The WebSocket origin of the debugger port: `ws://host:port` or `wss://host:port`, port always written. */
export function webSocketOrigin(address: BrokerAddress): string {
  return `${address.secure ? 'wss' : 'ws'}://${hostPort(address)}`;
}

/** The HTTP origin of the debugger port: `http://host:port` or `https://host:port`, port always written. */
export function httpOrigin(address: BrokerAddress): string {
  return `${address.secure ? 'https' : 'http'}://${hostPort(address)}`;
}

/** The address as a `--broker` argument, for commands the CLI suggests: `host:port` or `wss://host:port`. */
export function brokerArgument(address: BrokerAddress): string {
  return address.secure ? `wss://${hostPort(address)}` : hostPort(address);
}

/** True for the address used when no `--broker` is given, so suggested commands can leave it out. */
export function isDefaultBroker(address: BrokerAddress): boolean {
  return !address.secure && address.host === 'localhost' && address.port === DEFAULT_DEBUGGER_PORT;
}
