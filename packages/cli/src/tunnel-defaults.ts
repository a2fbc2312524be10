/**
 * Where `lambda-debug tunnel` listens unless told otherwise. Apart from the tunnel server so that commands which
 * only mention the tunnel (`url`, `--help`) do not load the HTTP stack at start-up.
 */

/** Port the tunnel listens on by default: the inspector's, which chrome://inspect and `node inspect` try first. */
export const DEFAULT_TUNNEL_PORT = 9229;

/** Address the tunnel listens on by default: loopback only, since it serves debuggers without a token. */
export const DEFAULT_TUNNEL_HOST = '127.0.0.1';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/** Whether `host` names this machine only, so a tunnel bound to it serves no one else. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}
