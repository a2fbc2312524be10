/**
 * HTTP requests from the CLI to the broker's debugger port (`/json/*` for the tunnel, `/admin/sessions` for
 * `sessions`), with network failures turned into one-line errors that say what to check.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BROKER_ENV, type BrokerAddress, hostPort, httpOrigin } from './broker-address.js';
import { isCertificateError, tlsOptionsFor } from './broker-trust.js';
import { RuntimeFailure, systemErrorCode } from './errors.js';

/** How long the CLI waits for the broker to answer one HTTP request, in milliseconds. */
export const BROKER_REQUEST_TIMEOUT_MS = 10_000;

/** Largest response body the CLI reads from the broker, in bytes: session lists are small. */
export const MAX_BROKER_RESPONSE_BYTES = 8 * 1024 * 1024;

/** An answer from the broker: its status and its body parsed as JSON (`undefined` when it was not JSON). */
export interface BrokerResponse {
  readonly status: number;
  readonly body: unknown;
}

/** What to add to a request: query parameters (such as `token` and `fn`) and an `Authorization: Bearer` token. */
export interface BrokerRequestOptions {
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly bearerToken?: string;
  /** Cancels the request early (for example when the tunnel stops); the timeout applies regardless. */
  readonly signal?: AbortSignal;
}

/** Explains why the broker could not be reached, naming the address but never the token. */
export function unreachableBroker(broker: BrokerAddress, error: unknown): RuntimeFailure {
  const where = hostPort(broker);
  const fix = `Check that \`lambda-debug broker start\` runs there, or point --broker (or ${BROKER_ENV}) at the broker's debugger port`;
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const code = systemErrorCode(cause);
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new RuntimeFailure(
      `the broker at ${where} did not answer within ${BROKER_REQUEST_TIMEOUT_MS / 1000} s`,
      fix,
      {
        cause: error,
      },
    );
  }
  if (isCertificateError(code)) {
    return new RuntimeFailure(
      `the broker at ${where} presented a TLS certificate that did not verify (${code})`,
      "If a private CA issued it, pass --ca FILE with that CA's certificate (or set NODE_EXTRA_CA_CERTS)",
      { cause: error },
    );
  }
  const why =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? `cannot resolve ${broker.host}`
        : code;
  return new RuntimeFailure(`cannot reach the broker at ${where} (${why})`, fix, { cause: error });
}

/** GETs `path` on the broker's debugger port. Throws a `RuntimeFailure` when the broker cannot be reached. */
export async function getFromBroker(
  broker: BrokerAddress,
  path: string,
  options: BrokerRequestOptions = {},
): Promise<BrokerResponse> {
  const url = new URL(path, httpOrigin(broker));
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.bearerToken !== undefined) headers.authorization = `Bearer ${options.bearerToken}`;
  let answer: { status: number; text: string };
  try {
    const timeout = AbortSignal.timeout(BROKER_REQUEST_TIMEOUT_MS);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
    answer = await requestText(broker, url, headers, signal);
  } catch (error) {
    // Cancelled by the caller: not the broker's fault, so not reported as such.
    if (options.signal?.aborted) throw error;
    throw error instanceof RuntimeFailure ? error : unreachableBroker(broker, error);
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    body = undefined;
  }
  return { status: answer.status, body };
}

/**
 * One GET over `http` or `https` (Node's trust store, plus `--ca`), its body read up to
 * `MAX_BROKER_RESPONSE_BYTES`. Node's own modules rather than `fetch`, whose TLS trust cannot be extended per
 * request without another dependency.
 */
function requestText(
  broker: BrokerAddress,
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const send = broker.secure ? httpsRequest : httpRequest;
    const request = send(url, { headers, signal, agent: false, ...tlsOptionsFor(broker) }, (response) => {
      const declared = Number(response.headers['content-length'] ?? '0');
      if (declared > MAX_BROKER_RESPONSE_BYTES) {
        response.destroy();
        reject(tooLarge(broker));
        return;
      }
      const chunks: Buffer[] = [];
      let total = 0;
      response.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > MAX_BROKER_RESPONSE_BYTES) {
          response.destroy();
          reject(tooLarge(broker));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    });
    request.on('error', (error) => {
      // An abort by the timeout surfaces as AbortError; report it as the timeout it is.
      reject(signal.aborted && signal.reason instanceof Error ? signal.reason : error);
    });
    request.end();
  });
}

function tooLarge(broker: BrokerAddress): RuntimeFailure {
  return new RuntimeFailure(
    `the server at ${hostPort(broker)} sent more than ${MAX_BROKER_RESPONSE_BYTES} bytes`,
    'Check that --broker points at a lambda-debug broker',
  );
}
