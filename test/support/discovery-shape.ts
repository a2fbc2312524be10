/**
 * Field-by-field comparison of discovery answers (`/json/version`, `/json/list`) with what Node's own inspector
 * answers, which is what chrome://inspect, VS Code and `node inspect` were written against. A difference is
 * reported with the field's name and both values, so a failure says exactly what a client would trip over.
 */
import type { HttpJsonResponse } from './http-json.js';

/** One way an answer differs from Node's. */
export interface ShapeDifference {
  readonly field: string;
  readonly node: string;
  readonly other: string;
}

/** Node's `devtoolsFrontendUrl` prefix; the `ws=` value follows. */
export const NODE_FRONTEND_PREFIX =
  'devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=';
/** Node's `devtoolsFrontendUrlCompat` prefix. */
export const NODE_FRONTEND_COMPAT_PREFIX =
  'devtools://devtools/bundled/inspector.html?experiments=true&v8only=true&ws=';

/**
 * Headers a client may rely on, compared without case. Caching headers are not: clients poll discovery and
 * never cache it, so `no-store` and Node's `no-cache` behave the same for them.
 */
const COMPARED_HEADERS = ['content-type'] as const;

function show(value: unknown): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

function typeName(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
}

/** Differences in the headers a client may rely on. */
export function headerDifferences(
  node: HttpJsonResponse,
  other: HttpJsonResponse,
  where: string,
): ShapeDifference[] {
  const differences: ShapeDifference[] = [];
  if (node.status !== other.status) {
    differences.push({ field: `${where} status`, node: String(node.status), other: String(other.status) });
  }
  for (const header of COMPARED_HEADERS) {
    const a = node.headers[header];
    const b = other.headers[header];
    if (String(a).toLowerCase() !== String(b).toLowerCase()) {
      differences.push({ field: `${where} header ${header}`, node: show(a), other: show(b) });
    }
  }
  return differences;
}

/** Differences between two `/json/version` bodies: the same keys with the same types, never a WebSocket URL. */
export function versionDifferences(node: unknown, other: unknown): ShapeDifference[] {
  const differences: ShapeDifference[] = [];
  if (typeName(node) !== 'object' || typeName(other) !== 'object') {
    return [{ field: '/json/version body', node: typeName(node), other: typeName(other) }];
  }
  const a = node as Record<string, unknown>;
  const b = other as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (key === 'webSocketDebuggerUrl') continue;
    if (typeName(a[key]) !== typeName(b[key])) {
      differences.push({ field: `/json/version ${key}`, node: show(a[key]), other: show(b[key]) });
    }
  }
  if ('webSocketDebuggerUrl' in b) {
    // VS Code takes a webSocketDebuggerUrl here for a browser endpoint and stops reading /json/list.
    differences.push({
      field: '/json/version webSocketDebuggerUrl',
      node: '(absent)',
      other: show(b.webSocketDebuggerUrl),
    });
  }
  return differences;
}

/**
 * Differences between one `/json/list` entry of Node and one of another server; `requestHosts` are the Host
 * headers each was fetched with (Node builds its URLs from it, and so must anything imitating it).
 * `optionalFields` are Node fields the other side may leave out (a client falls back without them).
 */
export function listEntryDifferences(
  node: Record<string, unknown>,
  other: Record<string, unknown>,
  requestHosts: { readonly node: string; readonly other: string },
  optionalFields: readonly string[] = [],
): ShapeDifference[] {
  const differences: ShapeDifference[] = [];
  for (const key of new Set([...Object.keys(node), ...Object.keys(other)])) {
    if (!(key in other) && optionalFields.includes(key)) continue;
    if (typeName(node[key]) !== typeName(other[key])) {
      differences.push({ field: `/json/list[0].${key}`, node: show(node[key]), other: show(other[key]) });
    }
  }
  const equal = (field: string) => {
    if (node[field] !== other[field])
      differences.push({
        field: `/json/list[0].${field}`,
        node: show(node[field]),
        other: show(other[field]),
      });
  };
  equal('type');
  for (const field of ['id', 'title', 'description', 'url']) {
    if (typeof other[field] === 'string' && (other[field] as string).length === 0) {
      differences.push({ field: `/json/list[0].${field}`, node: show(node[field]), other: '(empty)' });
    }
  }
  for (const [name, entry] of [
    ['node', node],
    ['other', other],
  ] as const) {
    const socketPrefix = `ws://${requestHosts[name]}/`;
    const url = entry.webSocketDebuggerUrl;
    if (typeof url !== 'string' || !url.startsWith(socketPrefix)) {
      differences.push({
        field: '/json/list[0].webSocketDebuggerUrl (built from the Host header)',
        node: name === 'node' ? show(url) : 'as described',
        other: name === 'other' ? show(url) : 'as described',
      });
    }
    const withoutScheme = typeof url === 'string' ? url.replace(/^ws:\/\//, '') : '';
    for (const [field, prefix] of [
      ['devtoolsFrontendUrl', NODE_FRONTEND_PREFIX],
      ['devtoolsFrontendUrlCompat', NODE_FRONTEND_COMPAT_PREFIX],
    ] as const) {
      const frontend = entry[field];
      if (frontend === undefined && name === 'other' && optionalFields.includes(field)) continue;
      const ok =
        typeof frontend === 'string' &&
        frontend.startsWith(prefix) &&
        decodeURIComponent(frontend.slice(prefix.length)) === withoutScheme;
      if (!ok) {
        differences.push({
          field: `/json/list[0].${field} (${prefix}<webSocketDebuggerUrl without ws://>)`,
          node: name === 'node' ? show(frontend) : 'as described',
          other: name === 'other' ? show(frontend) : 'as described',
        });
      }
    }
  }
  return differences;
}

/** Renders differences one per line, for assertion messages. */
export function formatDifferences(differences: readonly ShapeDifference[]): string {
  return differences.map((d) => `${d.field}: node ${d.node}, other ${d.other}`).join('\n');
}
