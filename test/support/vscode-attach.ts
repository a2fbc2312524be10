/**
 * An attach performed the way VS Code's JavaScript debugger (js-debug, `"type": "node", "request": "attach"`)
 * performs it, scripted at the CDP level: js-debug's standalone DAP server is not published on the npm registry,
 * so the tests replay its observable behaviour instead of driving it.
 *
 * What js-debug does, from its sources (`targets/browser/spawn/endpoints.ts`, `cdp/webSocketTransport.ts`,
 * `adapter/threads.ts`):
 * - discovery: GETs `/json/version` and `/json/list` at once, both with `Host: localhost`; a
 *   `webSocketDebuggerUrl` in `/json/version` wins (Chrome's browser target), otherwise the first entry of
 *   `/json/list`; the URL's host is replaced by the address it was discovered at. With `websocketAddress` in the
 *   launch config, discovery is skipped.
 * - connection: `ws` with `Host: localhost`, no Origin, no per-message deflate, 256 MiB max payload.
 * - first burst: the domains and settings below, sent without waiting for each answer; `Network.enable` is
 *   refused by Node and js-debug ignores the refusal.
 * - breakpoints by `urlRegex`, then `Runtime.runIfWaitingForDebugger`.
 * - a pause with reason `Break on start` (Node's own, not in the CDP spec) is the entry pause: shown as "entry"
 *   with `stopOnEntry`, resumed at once with `continueOnAttach`.
 */
import type { ArtifactDir } from './artifacts.js';
import { CdpConnection } from './cdp-connection.js';
import { escapeRegExp, nextPause, type Pause } from './cdp-debugging.js';
import { CdpCommandError } from './cdp-events.js';
import { getJson, redactUrl } from './http-json.js';
import type { Steps } from './steps.js';

/** The Host header js-debug sends on discovery and on the WebSocket upgrade. */
export const JS_DEBUG_HOST_HEADER = 'localhost';

/** A breakpoint as a person sets it in VS Code: an absolute file path and a 1-based line. */
export interface EditorBreakpoint {
  readonly path: string;
  readonly line: number;
}

/** The parts of a `launch.json` attach configuration the scenarios use. */
export interface AttachConfiguration {
  /** `address` and `port`: discovery through `/json/list`. */
  readonly address?: string;
  readonly port?: number;
  /** `websocketAddress`: attach to this URL directly (how a token-carrying broker URL is given). */
  readonly websocketAddress?: string;
  /** Resume the `Break on start` pause as soon as it arrives. */
  readonly continueOnAttach?: boolean;
  readonly breakpoints?: readonly EditorBreakpoint[];
}

/** What discovery found. */
export interface Discovery {
  readonly webSocketDebuggerUrl: string;
  /** True when `/json/version` carried a `webSocketDebuggerUrl` (js-debug then ignores `/json/list`). */
  readonly fromVersion: boolean;
  readonly version: unknown;
  readonly list: unknown;
}

/** How js-debug sees a pause. */
export interface AttachPause extends Pause {
  /** `entry` for `Break on start`, `breakpoint` when a breakpoint was hit, otherwise CDP's reason. */
  readonly kind: 'entry' | 'breakpoint' | 'other';
}

/** A debug session attached like js-debug attaches. */
export class JsDebugStyleAttach {
  readonly connection: CdpConnection;
  readonly discovery: Discovery | undefined;
  /** Commands of the first burst that were refused (js-debug logs and ignores them). */
  readonly refusedInBurst: readonly string[];
  readonly #config: AttachConfiguration;
  readonly #steps: Steps;

  private constructor(
    connection: CdpConnection,
    discovery: Discovery | undefined,
    refused: string[],
    config: AttachConfiguration,
    steps: Steps,
  ) {
    this.connection = connection;
    this.discovery = discovery;
    this.refusedInBurst = refused;
    this.#config = config;
    this.#steps = steps;
  }

  /** Discovery as js-debug performs it against `http://address:port`. */
  static async discover(address: string, port: number, steps: Steps): Promise<Discovery> {
    return steps.run(
      `VS Code discovery: GET /json/version and /json/list on ${address}:${port}`,
      async () => {
        const base = `http://${address}:${port}`;
        const headers = { host: JS_DEBUG_HOST_HEADER };
        const [version, list] = await Promise.all([
          getJson(`${base}/json/version`, headers),
          getJson(`${base}/json/list`, headers),
        ]);
        const versionUrl = (version.json as { webSocketDebuggerUrl?: unknown } | undefined)
          ?.webSocketDebuggerUrl;
        if (version.status === 200 && typeof versionUrl === 'string') {
          return {
            webSocketDebuggerUrl: fixHost(versionUrl, address, port),
            fromVersion: true,
            version: version.json,
            list: list.json,
          };
        }
        if (list.status !== 200 || !Array.isArray(list.json) || list.json.length === 0) {
          throw new Error(
            `/json/list answered HTTP ${list.status} with ${list.text.slice(0, 200)}: no target to attach to`,
          );
        }
        const first = list.json[0] as { webSocketDebuggerUrl?: unknown };
        if (typeof first.webSocketDebuggerUrl !== 'string')
          throw new Error('the first /json/list entry has no webSocketDebuggerUrl');
        return {
          webSocketDebuggerUrl: fixHost(first.webSocketDebuggerUrl, address, port),
          fromVersion: false,
          version: version.json,
          list: list.json,
        };
      },
    );
  }

  /** Attaches: discovery (unless `websocketAddress`), connection, first burst, breakpoints, run. */
  static async attach(config: AttachConfiguration, steps: Steps): Promise<JsDebugStyleAttach> {
    let discovery: Discovery | undefined;
    let url = config.websocketAddress;
    if (url === undefined) {
      if (config.address === undefined || config.port === undefined) {
        throw new Error('an attach configuration needs `websocketAddress` or `address` and `port`');
      }
      discovery = await JsDebugStyleAttach.discover(config.address, config.port, steps);
      url = discovery.webSocketDebuggerUrl;
    }
    const target = url;
    const connection = await steps.run(
      `VS Code connects to ${redactUrl(target)} with Host: localhost and no Origin`,
      () => CdpConnection.open(target, { headers: { host: JS_DEBUG_HOST_HEADER } }),
    );
    const refused = await steps.run(
      'VS Code sends its first burst (domains, async stacks, skip files, pause settings)',
      async () => {
        const refusedMethods: string[] = [];
        const tolerate = (method: string) => (error: unknown) => {
          if (error instanceof CdpCommandError) refusedMethods.push(method);
          else throw error;
        };
        await Promise.all([
          connection.send('Runtime.enable').catch(tolerate('Runtime.enable')),
          connection.send('Network.enable', {}).catch(tolerate('Network.enable')),
          connection
            .send('Debugger.enable', { maxScriptsCacheSize: 100_000_000 })
            .catch(tolerate('Debugger.enable')),
          connection
            .send('Debugger.setAsyncCallStackDepth', { maxDepth: 32 })
            .catch(tolerate('Debugger.setAsyncCallStackDepth')),
          connection
            .send('Debugger.setBlackboxPatterns', { patterns: ['^node:internal\\/.*'] })
            .catch(tolerate('Debugger.setBlackboxPatterns')),
          connection
            .send('Debugger.setPauseOnExceptions', { state: 'none' })
            .catch(tolerate('Debugger.setPauseOnExceptions')),
          connection
            .send('Debugger.setInstrumentationBreakpoint', {
              instrumentation: 'beforeScriptWithSourceMapExecution',
            })
            .catch(tolerate('Debugger.setInstrumentationBreakpoint')),
          connection
            .send('Runtime.evaluate', {
              expression:
                'typeof process === "undefined" ? undefined : { processId: process.pid, nodeVersion: process.version, architecture: process.arch }',
              returnByValue: true,
            })
            .catch(tolerate('Runtime.evaluate')),
        ]);
        const essential = refusedMethods.filter((method) => method !== 'Network.enable');
        if (essential.length > 0) throw new Error(`the target refused ${essential.join(', ')}`);
        return refusedMethods;
      },
    );
    const attach = new JsDebugStyleAttach(connection, discovery, refused, config, steps);
    for (const breakpoint of config.breakpoints ?? []) await attach.setBreakpoint(breakpoint);
    await steps.run('VS Code sends Runtime.runIfWaitingForDebugger', async () => {
      await connection.send('Runtime.runIfWaitingForDebugger');
    });
    return attach;
  }

  /** Sets a breakpoint as VS Code does: by a URL regex matching the file's path or `file://` URL. */
  async setBreakpoint(breakpoint: EditorBreakpoint): Promise<string> {
    return this.#steps.run(
      `VS Code sets a breakpoint at ${breakpoint.path.split('/').pop()}:${breakpoint.line}`,
      async () => {
        const path = escapeRegExp(breakpoint.path);
        const { breakpointId } = await this.connection.send('Debugger.setBreakpointByUrl', {
          urlRegex: `^(file://)?${path}($|\\?)`,
          lineNumber: breakpoint.line - 1,
          columnNumber: 0,
        });
        return breakpointId;
      },
    );
  }

  /**
   * The next pause a person would see. Instrumentation pauses (js-debug's source-map hook) are resumed as
   * js-debug resumes them; with `continueOnAttach`, so is the entry pause.
   */
  async nextPause(stepName: string): Promise<AttachPause> {
    return this.#steps.run(stepName, async () => {
      for (;;) {
        const pause = await nextPause(this.connection);
        if (pause.reason === 'instrumentation') {
          await this.connection.send('Debugger.resume');
          continue;
        }
        const kind =
          pause.reason === 'Break on start'
            ? 'entry'
            : pause.hitBreakpoints.length > 0
              ? 'breakpoint'
              : 'other';
        if (kind === 'entry' && this.#config.continueOnAttach) {
          await this.connection.send('Debugger.resume');
          continue;
        }
        return { ...pause, kind };
      }
    });
  }

  /** Continue (F5). */
  async continue(): Promise<void> {
    await this.#steps.run('VS Code: Continue', async () => {
      await this.connection.send('Debugger.resume');
    });
  }

  /** Disconnect, as the Stop button does for an attach session. */
  async disconnect(artifacts?: ArtifactDir): Promise<void> {
    await this.#steps.run('VS Code: Disconnect', async () => {
      await this.connection.close();
    });
    artifacts?.writeText('vscode-cdp-received.jsonl', `${this.connection.received.join('\n')}\n`);
  }
}

/** js-debug's `fixRemoteUrl`: the WebSocket URL's host becomes the address discovery used. */
function fixHost(webSocketUrl: string, address: string, port: number): string {
  const url = new URL(webSocketUrl);
  url.host = `${address}:${port}`;
  return url.toString();
}
