/**
 * A real debugger for the local chain's tests: chrome-remote-interface, set up the way DevTools and VS Code
 * start a session (`Runtime.enable`, `Debugger.enable`, `Runtime.runIfWaitingForDebugger`), with pauses read in
 * order and script ids turned back into file paths.
 */
import { fileURLToPath } from 'node:url';
import CDP from 'chrome-remote-interface';
import type { Protocol } from 'devtools-protocol';
import { Inbox } from '../../broker/test/helpers.js';

/** How long a test waits for a pause: the local runtime and the debug process start first, on a busy machine. */
export const PAUSE_BOUND_MS = 60_000;

/** Where the debugger stopped. */
export interface PauseLocation {
  readonly reason: string;
  /** The paused script's file path (a `file://` URL turned into a path). */
  readonly file: string;
  /** 1-based, as editors count. */
  readonly line: number;
}

/** One debugger connection to a function, through the broker or the tunnel. */
export class DebuggerClient {
  /** Resolves when the other side closes the connection. */
  readonly disconnected: Promise<void>;
  readonly #client: CDP.Client;
  readonly #scripts = new Map<string, string>();
  readonly #pauses = new Inbox<Protocol.Debugger.PausedEvent>('Debugger.paused');
  #current: Protocol.Debugger.PausedEvent | undefined;

  private constructor(client: CDP.Client) {
    this.#client = client;
    client.on('Debugger.scriptParsed', (script) => {
      this.#scripts.set(script.scriptId, script.url);
    });
    client.on('Debugger.paused', (pause: Protocol.Debugger.PausedEvent) => this.#pauses.push(pause));
    this.disconnected = new Promise((resolve) => client.on('disconnect', () => resolve()));
  }

  /** Connects to a `ws://` target and starts the session as DevTools does. */
  static async attach(webSocketUrl: string): Promise<DebuggerClient> {
    const debuggerClient = new DebuggerClient(await CDP({ target: webSocketUrl, local: true }));
    await debuggerClient.#client.send('Runtime.enable');
    await debuggerClient.#client.send('Debugger.enable');
    await debuggerClient.#client.send('Runtime.runIfWaitingForDebugger');
    return debuggerClient;
  }

  /** The next pause, with its top frame's file and line. */
  async nextPause(): Promise<PauseLocation> {
    const pause = await this.#pauses.next(() => true, PAUSE_BOUND_MS);
    this.#current = pause;
    const frame = pause.callFrames[0];
    if (frame === undefined) throw new Error('Debugger.paused came without a call frame');
    // V8 leaves CallFrame.url empty; the script id names the script reported by Debugger.scriptParsed.
    const url = this.#scripts.get(frame.location.scriptId) ?? frame.url;
    return {
      reason: pause.reason,
      file: url.startsWith('file://') ? fileURLToPath(url) : url,
      line: frame.location.lineNumber + 1,
    };
  }

  /** Evaluates an expression in the top frame of the current pause (the handler's locals are in scope). */
  async evaluateOnTopFrame(expression: string): Promise<unknown> {
    const pause = this.#current;
    if (pause === undefined) throw new Error('not paused');
    const frame = pause.callFrames[0];
    if (frame === undefined) throw new Error('no call frame');
    const { result } = await this.#client.send('Debugger.evaluateOnCallFrame', {
      callFrameId: frame.callFrameId,
      expression,
      returnByValue: true,
    });
    return result.value;
  }

  /** Lets the handler run on. */
  async resume(): Promise<void> {
    await this.#client.send('Debugger.resume');
  }

  /** Closes the connection from this side. */
  async close(): Promise<void> {
    await this.#client.close();
  }
}
