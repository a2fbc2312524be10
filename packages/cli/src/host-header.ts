/**
 * The Host-header rule of Node's own inspector, which the tunnel applies because it serves debuggers on
 * localhost without a token: a web page that rebinds its DNS name to 127.0.0.1 still sends its own name in
 * Host, so only IP literals and `localhost` are accepted.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The host part of a Host header: `[v6]:port` and `name:port` lose the port, a bare name stays. */
function withoutPort(hostHeader: string): string {
  if (hostHeader.startsWith('[')) {
    const end = hostHeader.indexOf(']');
    return end < 0 ? hostHeader : hostHeader.slice(0, end + 1);
  }
  const colon = hostHeader.lastIndexOf(':');
  return colon < 0 ? hostHeader : hostHeader.slice(0, colon);
}

/**
 * True when a request with this Host header may be served. A missing header is allowed (HTTP/1.0 clients),
 * as in Node. IPv4 must be plain dotted decimal (no octal or hex forms) and not in 0.0.0.0/8; IPv6 must be in
 * brackets, without a zone index, and not `::`.
 */
export function isAllowedHostHeader(hostHeader: string | undefined): boolean {
  if (hostHeader === undefined || hostHeader === '') return true;
  const host = withoutPort(hostHeader);
  if (host.toLowerCase() === 'localhost') return true;
  if (host.startsWith('[') && host.endsWith(']')) {
    const address = host.slice(1, -1);
    return !address.includes('%') && isIPv6(address) && !/^[0:.]+$/.test(address);
  }
  return isIPv4(host) && !host.startsWith('0.');
}
