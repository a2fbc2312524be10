/**
 * The Host-header rule of every lambda-debug server that debuggers reach (the broker's debugger port and the
 * CLI's tunnel). It guards against DNS rebinding: a web page that re-points its own name at the server still
 * sends that name in Host, so only names that cannot be rebound are accepted, as Node's own inspector does, plus
 * the public names an operator configured. IPv4 must be plain dotted decimal (no octal or hex forms) and not in
 * 0.0.0.0/8 (which some browsers route to this machine); IPv6 must be in brackets, without a zone index, and not
 * the unspecified address.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** What the rule says about one Host header. Whether a missing header is refused is the server's choice. */
export type HostHeaderVerdict =
  | { readonly kind: 'allowed' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'not-allowed'; readonly name: string };

/** A configured host name as the rule compares it: trimmed, lower case, no trailing dot. */
export function normalizeHostName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * Splits a Host header into its host and whether that host was a bracketed IPv6 literal; `undefined` when the
 * header is malformed (an unclosed bracket, a port that is not 1-5 digits, an unbracketed IPv6 address).
 */
export function hostNameOf(hostHeader: string): string | undefined {
  if (hostHeader.startsWith('[')) {
    const end = hostHeader.indexOf(']');
    if (end < 0) return undefined;
    const rest = hostHeader.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    return hostHeader.slice(0, end + 1);
  }
  const colon = hostHeader.indexOf(':');
  if (colon < 0) return hostHeader;
  if (!/^\d{1,5}$/.test(hostHeader.slice(colon + 1))) return undefined;
  return hostHeader.slice(0, colon);
}

function isUnreboundable(host: string): boolean {
  if (host === 'localhost') return true;
  if (host.startsWith('[') && host.endsWith(']')) {
    const address = host.slice(1, -1);
    return !address.includes('%') && isIPv6(address) && !/^[0:.]+$/.test(address);
  }
  return isIPv4(host) && !host.startsWith('0.');
}

/** Judges `hostHeader` against the rule; `allowedNames` holds configured names, already normalized. */
export function judgeHostHeader(
  hostHeader: string | undefined,
  allowedNames: ReadonlySet<string> = new Set(),
): HostHeaderVerdict {
  if (hostHeader === undefined || hostHeader === '') return { kind: 'missing' };
  const host = hostNameOf(hostHeader);
  if (host === undefined) return { kind: 'malformed' };
  const normalized = normalizeHostName(host);
  if (isUnreboundable(normalized) || allowedNames.has(normalized)) return { kind: 'allowed' };
  const shown = host.startsWith('[') ? host.slice(1, -1) : host;
  return { kind: 'not-allowed', name: shown };
}
