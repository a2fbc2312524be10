/**
 * Plain HTTP GETs as debugger clients make them for discovery (`/json/version`, `/json/list`), with full control
 * of the headers: VS Code sends `Host: localhost`, Chrome sends none of its own, and neither sends an Origin.
 */
import http from 'node:http';

/** A discovery answer: the status, the headers and the body, parsed when it is JSON. */
export interface HttpJsonResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  /** The parsed body, or `undefined` when it is not JSON. */
  readonly json: unknown;
}

/** Largest discovery body read, in bytes: a session list is a few kilobytes. */
export const MAX_DISCOVERY_BODY_BYTES = 1024 * 1024;

/** GETs `url` with exactly the given extra headers (a `host` entry replaces the Host header). */
export function getJson(url: string, headers: Record<string, string> = {}): Promise<HttpJsonResponse> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_DISCOVERY_BODY_BYTES) {
          request.destroy(
            new Error(`GET ${redactUrl(url)}: body larger than ${MAX_DISCOVERY_BODY_BYTES} bytes`),
          );
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
      });
      response.on('error', reject);
    });
    request.on('error', (error) =>
      reject(new Error(`GET ${redactUrl(url)}: ${error.message}`, { cause: error })),
    );
  });
}

/** `url` with the value of any `token` query parameter replaced, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#\s]*/g, '$1<redacted>');
}
