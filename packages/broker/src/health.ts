import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseRequestTarget } from './http-guard.js';

/** The load balancers' health check, served the same on both ports. */
export const HEALTH_PATH = '/healthz';

/** The whole answer to a health check: it says the process serves requests, and nothing else. */
const HEALTH_BODY = 'ok\n';

/**
 * Answers `GET`/`HEAD /healthz` with `200 ok` and returns true; any other request is left alone. It runs before
 * the debugger port's Host and Origin checks and needs no token: a load balancer sends whatever Host it likes
 * (HAProxy's `httpchk` may send none), and the answer reveals no session, version or configuration.
 */
export function answerHealthCheck(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (`/${parseRequestTarget(req.url).segments.join('/')}` !== HEALTH_PATH) return false;
  res.writeHead(200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(HEALTH_BODY),
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : HEALTH_BODY);
  return true;
}
