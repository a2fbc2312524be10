/**
 * The inspector bridge: a worker thread inside the child that serves the main thread's inspector to the parent.
 *
 * Why a worker and not Node's own inspector socket: Node's TCP inspector answers each round trip in ~44 ms
 * (Nagle and delayed ACK), while a worker's `inspector.Session.connectToMainThread()` answers in well under a
 * millisecond, also while the main thread is paused. Each authenticated TCP connection on 127.0.0.1 gets its own
 * inspector session (one per attached debugger); closing the connection disconnects the session, so V8 drops
 * that debugger's breakpoints and resumes, as with Node's own inspector.
 *
 * Messages are re-encoded here (the session API takes method and params objects); ordering is preserved because
 * replies and events are written in the order the session delivers them. The bridge adds only these things:
 * - the pause before the handler's first statement: on request from the main thread it sets a
 *   `Debugger.setBreakpointOnFunctionCall` breakpoint on the handler through the debugger's own session, with
 *   the bridge's own callbacks (the debugger never sees those commands or their replies); when that breakpoint is
 *   hit it removes it, takes its id out of `hitBreakpoints`, and reports the pause with reason "Break on start"
 *   (what Node reports for `--inspect-brk`, which VS Code treats as the entry pause);
 * - `Runtime.runIfWaitingForDebugger` is passed to the inspector as usual, and its reply also tells the parent
 *   the debugger is ready;
 * - `Runtime.consoleAPICalled` events lose the stack frames of the child's console forwarder at their top, so the
 *   debugger links a console message to the handler's line (Node's own console reports from native code, which
 *   leaves no frame);
 * - this worker is invisible to debuggers: `NodeWorker.enable` on the main thread's session reports every worker,
 *   this one too, and a debugger that paused it (js-debug lists it as "[worker 1]", one click away) would stop the
 *   thread that carries every message, its own `resume` included. The bridge takes this worker's
 *   `NodeWorker.attachedToWorker` out of the stream, detaches that worker session itself, and answers commands
 *   for it the way Node answers for an unknown session (an empty result). Workers the handler starts are untouched;
 * - only the user's code: the proxy's scripts (and Node's internals) are blackboxed in V8 for every debugger (`Debugger.setBlackboxPatterns`
 *   right after its `Debugger.enable`, and added to any patterns it sets itself), so stepping, "step out" and
 *   pause on exceptions never stop in them, and a `Debugger.paused` call stack ends at the handler's outermost frame:
 *   the proxy's frames below it (and the Node internals that delivered the invocation to the proxy) are cut off;
 * - external source maps (`//# sourceMappingURL=index.js.map`) name files a remote debugger cannot open: the bridge
 *   hands them over as `data:` URLs in `Debugger.scriptParsed`, with deployed sources embedded (see source-maps.ts);
 * - a debugger that connects while no other one is attached is not shown console messages from before it came:
 *   V8 keeps every console call made while any session is connected and replays them to each session that enables
 *   Runtime, so in a reused child the next invocation's debugger would get the earlier invocations' lines. The new
 *   session's first command is `Runtime.discardConsoleEntries` (the store is per process; it also releases the
 *   objects those messages held, which is why it waits for a debugger that has nobody to share them with);
 * - a debugger that leaves while the handler is paused can come back to that pause: on `hold` from the parent
 *   the bridge keeps the departed debugger's session open (V8 stays paused while any session with the Debugger
 *   domain enabled remains). A new session that enables the Debugger domain while the main thread is paused is
 *   sent `Debugger.paused` by V8 before the reply to `Debugger.enable` (Node 20, 22 and 24), so once that reply
 *   arrives the held session is closed: the new debugger has the pause.
 */
import { timingSafeEqual } from 'node:crypto';
import { Session } from 'node:inspector';
import net from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import {
  type BridgeControl,
  BridgeFrameDecoder,
  BridgeFrameKind,
  encodeBridgeFrame,
  encodeControlFrame,
  parseControl,
} from '../../shared/bridge-framing.js';
import { BRIDGE_HELLO_TIMEOUT_MS } from '../../shared/limits.js';
import { isProxyFile, PROXY_CODE_DIR } from '../../shared/own-code.js';
import { defaultSourceMapRules, resolveSourceMap } from './source-maps.js';

/** Data the main thread passes when starting the bridge. */
export interface BridgeWorkerData {
  /** Hex nonce the parent must present first on every connection. */
  readonly nonce: string;
}

/** Main thread -> bridge. */
export type MainToBridge =
  /** Arm the entry pause on the function stored at `globalThis[globalKey]`. */
  | { readonly type: 'arm'; readonly requestId: number; readonly globalKey: string }
  /** The invocation ended: remove an entry breakpoint that was never hit. */
  | { readonly type: 'disarm' };

/** Bridge -> main thread. */
export type BridgeToMain =
  | { readonly type: 'listening'; readonly host: string; readonly port: number }
  | { readonly type: 'armed'; readonly requestId: number; readonly ok: boolean; readonly detail?: string };

/** The pause reason Node gives the `--inspect-brk` pause; debuggers recognise it as the entry pause. */
export const BREAK_ON_START_REASON = 'Break on start';

/** Object group for the bridge's own `Runtime.evaluate`, released right after use. */
const INTERNAL_OBJECT_GROUP = 'lambda-debug-internal';

type PostCallback = (error: Error | null, result?: object) => void;

/** The `post` overload Node types cannot express for arbitrary method names. */
type LoosePost = (method: string, params: object | undefined, callback: PostCallback) => void;

/** True for a script URL of the proxy's own compiled files. */
function isProxyScript(url: unknown): boolean {
  if (typeof url !== 'string' || !url.startsWith('file:')) return false;
  try {
    return isProxyFile(fileURLToPath(url));
  } catch {
    return false;
  }
}

/**
 * Takes the proxy's frames off the top of a console call's stack trace: the call site the debugger shows is the
 * first frame left. A trace made only of proxy frames (the proxy's own console calls) is left whole.
 */
function dropLeadingProxyFrames(params: unknown): void {
  const stackTrace = (params as { stackTrace?: { callFrames?: unknown } } | undefined)?.stackTrace;
  if (!stackTrace || !Array.isArray(stackTrace.callFrames)) return;
  const frames: unknown[] = stackTrace.callFrames;
  let first = 0;
  while (first < frames.length && isProxyScript((frames[first] as { url?: unknown } | undefined)?.url))
    first += 1;
  if (first > 0 && first < frames.length) stackTrace.callFrames = frames.slice(first);
}

/** This worker's id as `NodeWorker` reports it (`workerInfo.workerId` is the thread id, as a string). */
const OWN_WORKER_ID = String(threadId);

/** `NodeWorker` commands that address one worker session by `sessionId`. */
const WORKER_SESSION_COMMANDS = new Set(['NodeWorker.sendMessageToWorker', 'NodeWorker.detach']);

/** `NodeWorker` events that belong to one worker session by `sessionId`. */
const WORKER_SESSION_EVENTS = new Set([
  'NodeWorker.detachedFromWorker',
  'NodeWorker.receivedMessageFromWorker',
]);

function sessionIdOf(params: unknown): string | undefined {
  const sessionId = (params as { sessionId?: unknown } | undefined)?.sessionId;
  return typeof sessionId === 'string' ? sessionId : undefined;
}

/** A V8 script-URL pattern for the proxy's own files (`Debugger.setBlackboxPatterns` takes regular expressions). */
const PROXY_SCRIPT_PATTERN = `^${`${pathToFileURL(PROXY_CODE_DIR).href}/`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`;

/**
 * Blackboxed for every debugger: the proxy's files, and Node's internals (what VS Code's default `skipFiles` hides),
 * because stepping into a call the proxy makes for the handler (its console forwarder formats with `util`) would
 * otherwise stop in Node's internals below the proxy's blackboxed frame.
 */
const BLACKBOXED_PATTERNS = [PROXY_SCRIPT_PATTERN, '^node:internal/'];

interface PausedFrame {
  readonly location?: { readonly scriptId?: unknown };
}

interface AsyncTrace {
  callFrames?: Array<{ readonly url?: unknown }>;
  parent?: AsyncTrace;
}

/**
 * The call stack as the user's code sees it: frames from the first proxy frame below a user frame down are the
 * proxy's invocation machinery and the Node internals that delivered the invocation, none of which exists in Lambda.
 * A stack with no user frame is left whole.
 */
function userFramesOf<Frame>(frames: readonly Frame[], isProxyFrame: (frame: Frame) => boolean): Frame[] {
  let seenUserFrame = false;
  for (const [index, frame] of frames.entries()) {
    if (!isProxyFrame(frame)) seenUserFrame = true;
    else if (seenUserFrame) return frames.slice(0, index);
  }
  return [...frames];
}

/** Stands in for an inlined source map's `data:` URL until the event is serialised (see `#serveSourceMap`). */
const SOURCE_MAP_PLACEHOLDER = `lambda-debug-source-map-${process.pid}-${threadId}`;

/** What a connection tells the bridge about itself. */
interface ConnectionEvents {
  /** The connection ended. */
  closed(connection: BridgeConnection): void;
  /** The connection's debugger enabled its Debugger domain: it now holds any pause as well. */
  debuggerEnabled(connection: BridgeConnection): void;
  /** No other debugger is attached (held sessions of departed debuggers do not count). */
  isOnlyDebugger(connection: BridgeConnection): boolean;
}

/** `ERR_INSPECTOR_COMMAND` messages are "Inspector error <code>: <message>"; recover the CDP error. */
function toCdpError(error: Error): { code: number; message: string } {
  const match = /^Inspector error (-?\d+): ([\s\S]*)$/.exec(error.message);
  if (match) return { code: Number(match[1]), message: match[2] ?? '' };
  return { code: -32603, message: error.message };
}

class BridgeConnection {
  readonly #socket: net.Socket;
  readonly #nonce: Buffer;
  readonly #decoder = new BridgeFrameDecoder();
  readonly #events: ConnectionEvents;
  #session: Session | undefined;
  #helloTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** The debugger enabled the Debugger domain: entry breakpoints can be set through this session. */
  debuggerEnabled = false;
  /** The main thread is paused, as this session was last told. */
  #paused = false;
  /** The debugger left while paused and this session is kept so the pause lasts (see `hold`). */
  #held = false;
  /** The entry breakpoint set through this session, until it is hit or removed. */
  #entryBreakpointId: string | undefined;
  #executionContextId = 1;
  /** Writes are being gathered until the end of this tick (see `#write`). */
  #corked = false;
  /** Script ids of the proxy's own files, from `Debugger.scriptParsed`. */
  readonly #proxyScriptIds = new Set<string>();
  /** Script ids of Node's internals (`node:` URLs). */
  readonly #nodeScriptIds = new Set<string>();
  /** The bridge stepped on past a pause in the proxy's code: the `Debugger.resumed` that follows is its own too. */
  #swallowNextResumed = false;
  /** `NodeWorker` session ids that lead into this bridge worker: never shown to the debugger. */
  readonly #ownWorkerSessions = new Set<string>();

  constructor(socket: net.Socket, nonce: Buffer, events: ConnectionEvents) {
    this.#socket = socket;
    this.#nonce = nonce;
    this.#events = events;
    socket.setNoDelay(true);
    this.#helloTimer = setTimeout(() => this.close(), BRIDGE_HELLO_TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  get authenticated(): boolean {
    return this.#session !== undefined;
  }

  /** Kept only to hold a departed debugger's pause: no longer anyone's session. */
  get held(): boolean {
    return this.#held;
  }

  #onData(chunk: Buffer): void {
    let frames: ReturnType<BridgeFrameDecoder['push']>;
    try {
      frames = this.#decoder.push(chunk);
    } catch {
      this.close();
      return;
    }
    for (const frame of frames) {
      if (this.#closed) return;
      if (!this.#session) {
        this.#authenticate(frame.kind === BridgeFrameKind.Control ? parseControl(frame.payload) : undefined);
        continue;
      }
      if (frame.kind === BridgeFrameKind.Cdp) {
        this.#onDebuggerMessage(frame.payload.toString('utf8'));
      } else {
        this.#onParentControl(parseControl(frame.payload));
      }
    }
  }

  #authenticate(control: { type: string; [key: string]: unknown } | undefined): void {
    const offered =
      control?.type === 'hello' && typeof control.nonce === 'string'
        ? Buffer.from(control.nonce, 'hex')
        : undefined;
    if (!offered || offered.length !== this.#nonce.length || !timingSafeEqual(offered, this.#nonce)) {
      this.close();
      return;
    }
    clearTimeout(this.#helloTimer);
    this.#helloTimer = undefined;
    const session = new Session();
    session.connectToMainThread();
    session.on('inspectorNotification', (notification) => this.#onInspectorEvent(notification));
    this.#session = session;
    // Posted before anything the debugger sends, so its `Runtime.enable` finds the store empty.
    if (this.#events.isOnlyDebugger(this))
      this.#post('Runtime.discardConsoleEntries', undefined, () => undefined);
  }

  #onParentControl(control: { type: string; [key: string]: unknown } | undefined): void {
    if (control?.type === 'notice' && typeof control.text === 'string') {
      this.#consoleNotice(control.text, control.level === 'warning' ? 'warning' : 'info');
    }
    if (control?.type === 'flush' && typeof control.id === 'number') {
      // Replies the inspector has already handed to this thread are queued ahead of this turn of the event loop;
      // one more turn lets them be written before the answer.
      const id = control.id;
      setImmediate(() => this.#sendControl({ type: 'flushed', id }));
    }
    if (control?.type === 'hold') this.#hold();
  }

  /** A console message only the debugger sees: it never reaches the function's log. */
  #consoleNotice(text: string, level: 'info' | 'warning'): void {
    this.#sendToParent(
      JSON.stringify({
        method: 'Runtime.consoleAPICalled',
        params: {
          type: level,
          args: [{ type: 'string', value: text }],
          executionContextId: this.#executionContextId,
          timestamp: Date.now(),
        },
      }),
    );
  }

  /**
   * Points an external source map at a `data:` URL the debugger can read, or says why it cannot. Returns the URL
   * to put in place of `SOURCE_MAP_PLACEHOLDER` once the event is serialised: `JSON.stringify` would scan a
   * 20 MB string for characters to escape, and base64 has none.
   */
  #serveSourceMap(params: unknown): string | undefined {
    const script = params as { url?: unknown; sourceMapURL?: unknown } | undefined;
    if (typeof script?.url !== 'string' || typeof script.sourceMapURL !== 'string') return undefined;
    const resolution = resolveSourceMap(script.url, script.sourceMapURL, defaultSourceMapRules());
    if (resolution.kind === 'refused') this.#consoleNotice(`lambda-debug: ${resolution.reason}.`, 'warning');
    if (resolution.kind !== 'inlined') return undefined;
    script.sourceMapURL = SOURCE_MAP_PLACEHOLDER;
    return resolution.url;
  }

  /** The debugger left: keep the session while the main thread is paused, else let it go at once. */
  #hold(): void {
    if (!this.#paused) {
      this.#sendControl({ type: 'released' });
      this.close();
      return;
    }
    this.#held = true;
    this.#sendControl({ type: 'held' });
  }

  #post(method: string, params: object | undefined, callback: PostCallback): void {
    const session = this.#session;
    if (!session) return;
    (session.post as unknown as LoosePost).call(session, method, params, callback);
  }

  #onDebuggerMessage(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      // What V8 answers to a message that is not JSON.
      this.#sendToParent(
        JSON.stringify({ error: { code: -32700, message: 'Message must be a valid JSON' } }),
      );
      return;
    }
    const { id, method, params } = (typeof message === 'object' && message !== null ? message : {}) as {
      id?: unknown;
      method?: unknown;
      params?: unknown;
    };
    if (typeof id !== 'number' || !Number.isInteger(id)) {
      this.#sendToParent(
        JSON.stringify({ error: { code: -32600, message: "Message must have integer 'id' property" } }),
      );
      return;
    }
    if (typeof method !== 'string') {
      this.#sendToParent(
        JSON.stringify({
          id,
          error: { code: -32600, message: "Message must have string 'method' property" },
        }),
      );
      return;
    }
    if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
      this.#sendToParent(JSON.stringify({ id, error: { code: -32602, message: 'Invalid parameters' } }));
      return;
    }
    if (WORKER_SESSION_COMMANDS.has(method)) {
      const sessionId = sessionIdOf(params);
      if (sessionId !== undefined && this.#ownWorkerSessions.has(sessionId)) {
        // What Node answers for a session id it does not know: the bridge's worker does not exist for debuggers.
        this.#sendToParent(JSON.stringify({ id, result: {} }));
        return;
      }
    }
    try {
      this.#post(method, this.#withProxyBlackboxed(method, params as object | undefined), (error, result) =>
        this.#onReply(id, method, error, result),
      );
      // Queued right behind `enable`, so it is in force before anything else the debugger sends.
      if (method === 'Debugger.enable') {
        this.#post('Debugger.setBlackboxPatterns', { patterns: BLACKBOXED_PATTERNS }, () => undefined);
      }
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      this.#sendToParent(JSON.stringify({ id, error: { code: -32602, message: text } }));
    }
  }

  /** The debugger's own blackbox patterns keep the proxy's files blackboxed. */
  #withProxyBlackboxed(method: string, params: object | undefined): object | undefined {
    if (method !== 'Debugger.setBlackboxPatterns') return params;
    const patterns = (params as { patterns?: unknown } | undefined)?.patterns;
    if (!Array.isArray(patterns)) return params;
    return { ...params, patterns: [...patterns, ...BLACKBOXED_PATTERNS] };
  }

  #frameOwner(frame: PausedFrame | undefined): 'proxy' | 'node' | 'user' {
    const scriptId = frame?.location?.scriptId;
    if (typeof scriptId !== 'string') return 'user';
    if (this.#proxyScriptIds.has(scriptId)) return 'proxy';
    return this.#nodeScriptIds.has(scriptId) ? 'node' : 'user';
  }

  /**
   * A pause in the proxy's code (or in Node's internals the proxy called) is not the user's: a step that entered
   * it, a step out of the handler, an exception thrown and caught inside the proxy. V8's blackboxing cannot be
   * relied on for this (it keeps a per-function cache computed before the debugger came, and never applies to
   * Node's built-in modules), so the bridge steps on by itself: out of it while the handler is further down the
   * stack, else resume. The debugger sees neither that pause nor the resumption after it. Returns true when it did.
   */
  #stepPastProxyCode(params: unknown): boolean {
    if (this.#held) return false;
    const frames = (params as { callFrames?: unknown } | undefined)?.callFrames;
    if (!Array.isArray(frames)) return false;
    const owners = (frames as PausedFrame[]).map((frame) => this.#frameOwner(frame));
    const firstOwnCode = owners.find((owner) => owner !== 'node');
    if (firstOwnCode !== 'proxy') return false;
    this.#swallowNextResumed = true;
    const method = owners.includes('user') ? 'Debugger.stepOut' : 'Debugger.resume';
    this.#post(method, undefined, () => undefined);
    return true;
  }

  /** Cuts the proxy's frames off a pause's call stack and its async parents (see `userFramesOf`). */
  #showUserFramesOnly(params: unknown): void {
    const paused = params as { callFrames?: unknown; asyncStackTrace?: AsyncTrace } | undefined;
    if (!paused || !Array.isArray(paused.callFrames)) return;
    paused.callFrames = userFramesOf(paused.callFrames as PausedFrame[], (frame) => {
      const scriptId = frame.location?.scriptId;
      return typeof scriptId === 'string' && this.#proxyScriptIds.has(scriptId);
    });
    // Async parents: the proxy's awaits and the Node internals that delivered the invocation message (`emit`,
    // `handleMessage`, `processTicksAndRejections`) are not the user's; a parent left with no frame goes.
    const chain: AsyncTrace[] = [];
    for (let trace = paused.asyncStackTrace; trace; trace = trace.parent) chain.push(trace);
    const kept = chain.filter((trace) => {
      trace.callFrames = (trace.callFrames ?? []).filter(
        (frame) =>
          !isProxyScript(frame.url) && !(typeof frame.url === 'string' && frame.url.startsWith('node:')),
      );
      return trace.callFrames.length > 0;
    });
    for (const [index, trace] of kept.entries()) {
      const parent = kept[index + 1];
      if (parent) trace.parent = parent;
      else delete trace.parent;
    }
    if (kept[0]) paused.asyncStackTrace = kept[0];
    else delete paused.asyncStackTrace;
  }

  #onReply(id: number, method: string, error: Error | null, result: object | undefined): void {
    if (error) {
      this.#sendToParent(JSON.stringify({ id, error: toCdpError(error) }));
      return;
    }
    this.#sendToParent(JSON.stringify({ id, result: result ?? {} }));
    if (method === 'Debugger.enable') {
      this.debuggerEnabled = true;
      this.#events.debuggerEnabled(this);
    }
    if (method === 'Debugger.disable') {
      // A disabled agent is told of no more pauses or resumptions.
      this.debuggerEnabled = false;
      this.#paused = false;
    }
    if (method === 'Runtime.runIfWaitingForDebugger') this.#sendControl({ type: 'run-requested' });
  }

  /** True when `notification` concerns this bridge's own worker and must not reach the debugger. */
  #isOwnWorkerEvent(notification: { method: string; params?: unknown }): boolean {
    if (notification.method === 'NodeWorker.attachedToWorker') {
      const params = notification.params as { sessionId?: unknown; workerInfo?: { workerId?: unknown } };
      const sessionId = sessionIdOf(params);
      if (params?.workerInfo?.workerId !== OWN_WORKER_ID || sessionId === undefined) return false;
      this.#ownWorkerSessions.add(sessionId);
      // Nobody will use that session: close it, so no second inspector session runs in this thread.
      this.#post('NodeWorker.detach', { sessionId }, () => undefined);
      return true;
    }
    if (!WORKER_SESSION_EVENTS.has(notification.method)) return false;
    const sessionId = sessionIdOf(notification.params);
    if (sessionId === undefined || !this.#ownWorkerSessions.has(sessionId)) return false;
    if (notification.method === 'NodeWorker.detachedFromWorker') this.#ownWorkerSessions.delete(sessionId);
    return true;
  }

  #onInspectorEvent(notification: { method: string; params?: unknown }): void {
    let inlinedSourceMap: string | undefined;
    if (notification.method.startsWith('NodeWorker.') && this.#isOwnWorkerEvent(notification)) return;
    if (notification.method === 'Debugger.paused') this.#paused = true;
    if (notification.method === 'Debugger.resumed') {
      this.#paused = false;
      if (this.#swallowNextResumed) {
        this.#swallowNextResumed = false;
        return;
      }
      // Nothing left to hold: the departed debugger's session goes, as it would have on leaving.
      if (this.#held) {
        this.close();
        return;
      }
    }
    if (notification.method === 'Runtime.consoleAPICalled') dropLeadingProxyFrames(notification.params);
    if (notification.method === 'Debugger.scriptParsed') {
      const script = notification.params as { scriptId?: unknown; url?: unknown } | undefined;
      const scriptId = typeof script?.scriptId === 'string' ? script.scriptId : undefined;
      const url = typeof script?.url === 'string' ? script.url : '';
      if (scriptId !== undefined && isProxyScript(url)) this.#proxyScriptIds.add(scriptId);
      else if (scriptId !== undefined && url.startsWith('node:')) this.#nodeScriptIds.add(scriptId);
      else inlinedSourceMap = this.#serveSourceMap(script);
    }
    if (notification.method === 'Runtime.executionContextCreated') {
      const context = (notification.params as { context?: { id?: unknown } } | undefined)?.context;
      if (typeof context?.id === 'number') this.#executionContextId = context.id;
    }
    if (notification.method === 'Debugger.paused' && this.#entryBreakpointId !== undefined) {
      const params = notification.params as { reason?: string; hitBreakpoints?: string[] } | undefined;
      const hit = params?.hitBreakpoints;
      if (params && Array.isArray(hit) && hit.includes(this.#entryBreakpointId)) {
        const entryId = this.#entryBreakpointId;
        this.#entryBreakpointId = undefined;
        const others = hit.filter((breakpointId) => breakpointId !== entryId);
        params.hitBreakpoints = others;
        // When the user's own breakpoint is hit at the same spot, theirs is the reason to show.
        if (others.length === 0) params.reason = BREAK_ON_START_REASON;
        this.#post('Debugger.removeBreakpoint', { breakpointId: entryId }, () => undefined);
      }
    }
    if (notification.method === 'Debugger.paused') {
      if (this.#stepPastProxyCode(notification.params)) return;
      this.#showUserFramesOnly(notification.params);
    }
    const json = JSON.stringify(notification);
    this.#sendToParent(
      inlinedSourceMap === undefined ? json : json.replace(SOURCE_MAP_PLACEHOLDER, () => inlinedSourceMap),
    );
  }

  /** Sets the entry breakpoint on `globalThis[globalKey]` through this debugger's session. */
  arm(globalKey: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#post(
        'Runtime.evaluate',
        {
          expression: `globalThis[${JSON.stringify(globalKey)}]`,
          objectGroup: INTERNAL_OBJECT_GROUP,
          silent: true,
        },
        (error, result) => {
          const objectId = (result as { result?: { objectId?: string } } | undefined)?.result?.objectId;
          if (error || objectId === undefined) {
            reject(error ?? new Error('the handler could not be found for the entry breakpoint'));
            return;
          }
          this.#post('Debugger.setBreakpointOnFunctionCall', { objectId }, (setError, setResult) => {
            this.#post('Runtime.releaseObjectGroup', { objectGroup: INTERNAL_OBJECT_GROUP }, () => undefined);
            const breakpointId = (setResult as { breakpointId?: string } | undefined)?.breakpointId;
            if (setError || breakpointId === undefined) {
              reject(setError ?? new Error('the inspector set no entry breakpoint'));
              return;
            }
            this.#entryBreakpointId = breakpointId;
            resolve();
          });
        },
      );
    });
  }

  /** Removes an entry breakpoint that was never hit. */
  disarm(): void {
    const breakpointId = this.#entryBreakpointId;
    if (breakpointId === undefined) return;
    this.#entryBreakpointId = undefined;
    this.#post('Debugger.removeBreakpoint', { breakpointId }, () => undefined);
  }

  #sendToParent(json: string): void {
    this.#write(encodeBridgeFrame(BridgeFrameKind.Cdp, json));
  }

  #sendControl(message: BridgeControl): void {
    // Control answers (`held`, `released`, `flushed`) are what the parent waits on: they leave at once, after the
    // events gathered before them.
    this.#write(encodeControlFrame(message));
    this.#flush();
  }

  /**
   * Frames written in one turn of the event loop leave in one write: `Debugger.enable` alone produces one
   * `Debugger.scriptParsed` event per loaded script, and a write (and a wake-up of the parent) each would make
   * the burst cost per event. The frames are length-prefixed, so sharing a write changes nothing for the reader.
   */
  #write(frame: Buffer): void {
    if (this.#closed) return;
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => this.#flush());
    }
    this.#socket.write(frame);
  }

  #flush(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#socket.uncork();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#helloTimer);
    this.#entryBreakpointId = undefined;
    try {
      // Disconnecting drops this session's breakpoints and lets a paused main thread run on.
      this.#session?.disconnect();
    } catch {
      // Already disconnected.
    }
    this.#session = undefined;
    this.#socket.destroy();
    this.#events.closed(this);
  }
}

/** Starts the bridge: called in the worker thread. */
function startBridge(): void {
  const port = parentPort;
  if (!port) return;
  const data = workerData as BridgeWorkerData;
  const nonce = Buffer.from(data.nonce, 'hex');
  const connections = new Set<BridgeConnection>();
  const events: ConnectionEvents = {
    closed: (closed) => connections.delete(closed),
    isOnlyDebugger: (connection) =>
      ![...connections].some((other) => other !== connection && other.authenticated && !other.held),
    debuggerEnabled: (enabled) => {
      // V8 has sent this session `Debugger.paused` (if paused) before answering its `Debugger.enable`, and keeps
      // the pause while it stays enabled: held sessions have done their job.
      for (const connection of [...connections]) {
        if (connection !== enabled && connection.held) connection.close();
      }
    },
  };
  const server = net.createServer((socket) => {
    connections.add(new BridgeConnection(socket, nonce, events));
  });
  // The listening server is what keeps this worker alive: inspector sessions do not.
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object') {
      port.postMessage({ type: 'listening', host: '127.0.0.1', port: address.port } satisfies BridgeToMain);
    }
  });
  port.on('message', (message: MainToBridge) => {
    if (message.type === 'disarm') {
      for (const connection of connections) connection.disarm();
      return;
    }
    // The most recently attached debugger with its Debugger domain enabled gets the entry pause.
    const target = [...connections]
      .reverse()
      .find((connection) => connection.authenticated && connection.debuggerEnabled && !connection.held);
    if (!target) {
      port.postMessage({
        type: 'armed',
        requestId: message.requestId,
        ok: false,
        detail: 'no attached debugger has enabled its Debugger domain',
      } satisfies BridgeToMain);
      return;
    }
    target.arm(message.globalKey).then(
      () =>
        port.postMessage({ type: 'armed', requestId: message.requestId, ok: true } satisfies BridgeToMain),
      (error: unknown) =>
        port.postMessage({
          type: 'armed',
          requestId: message.requestId,
          ok: false,
          detail: error instanceof Error ? error.message : String(error),
        } satisfies BridgeToMain),
    );
  });
}

startBridge();
