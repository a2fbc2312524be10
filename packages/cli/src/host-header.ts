/**
 * The tunnel's use of the shared Host-header rule (shim-protocol's `judgeHostHeader`, the broker's too). The tunnel
 * serves debuggers on localhost without a token, as Node's inspector does, so it accepts what Node accepts:
 * a missing Host (HTTP/1.0 clients) included, and no configured names.
 */
import { judgeHostHeader } from '@lambda-debug/shim-protocol';

/** True when a request with this Host header may be served by the tunnel. */
export function isAllowedHostHeader(hostHeader: string | undefined): boolean {
  const { kind } = judgeHostHeader(hostHeader);
  return kind === 'allowed' || kind === 'missing';
}
