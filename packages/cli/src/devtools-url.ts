/** The Chrome DevTools front-end URL for a Node target, as Node's own inspector advertises it in `/json/list`. */

/** The bundled DevTools front end with Node's layout (`js_app.html`), as in Node's `devtoolsFrontendUrl`. */
export const DEVTOOLS_FRONTEND = 'devtools://devtools/bundled/js_app.html?experiments=true&v8only=true';

/**
 * The DevTools URL for a WebSocket target written without its scheme (`host:port/path?query`). DevTools takes
 * plain sockets from `ws=` and TLS ones from `wss=`. The target goes in unencoded, as Node does: DevTools reads
 * the parameter with `URLSearchParams`, and our paths and tokens hold only URL-safe characters.
 */
export function devtoolsFrontendUrl(target: string, secure: boolean): string {
  return `${DEVTOOLS_FRONTEND}&${secure ? 'wss' : 'ws'}=${target}`;
}
