/**
 * Debugging verbs over any CDP client (the raw one or chrome-remote-interface): what a person does in a
 * debugger, phrased so scenarios read like the steps they prove.
 */
import type { Protocol } from 'devtools-protocol';
import type {
  CdpCommand,
  CdpEvent,
  CdpEventInbox,
  CdpEventParams,
  CdpParams,
  CdpResult,
} from './cdp-events.js';

/** What both CDP clients offer. */
export interface CdpClient {
  readonly events: CdpEventInbox;
  send<M extends CdpCommand>(method: M, ...params: CdpParams<M>): Promise<CdpResult<M>>;
  next<E extends CdpEvent>(
    method: E,
    accept?: (params: CdpEventParams<E>) => boolean,
  ): Promise<CdpEventParams<E>>;
}

/** Where and why the debuggee paused, with 1-based line numbers as editors show them. */
export interface Pause {
  readonly reason: string;
  readonly url: string;
  /** 1-based. */
  readonly line: number;
  readonly functionName: string;
  readonly callFrames: readonly Protocol.Debugger.CallFrame[];
  readonly hitBreakpoints: readonly string[];
  readonly data: unknown;
}

/** The script URL of a call frame; falls back to the script id's `scriptParsed` URL when a frame has none. */
function frameUrl(client: CdpClient, frame: Protocol.Debugger.CallFrame): string {
  if (frame.url) return frame.url;
  const parsed = client.events
    .seen('Debugger.scriptParsed')
    .find((s) => s.scriptId === frame.location.scriptId);
  return parsed?.url ?? '';
}

/** Waits for the next `Debugger.paused` and describes it. */
export async function nextPause(client: CdpClient): Promise<Pause> {
  const paused = await client.next('Debugger.paused');
  const top = paused.callFrames[0];
  return {
    reason: paused.reason,
    url: top ? frameUrl(client, top) : '',
    line: top ? top.location.lineNumber + 1 : 0,
    functionName: top?.functionName ?? '',
    callFrames: paused.callFrames,
    hitBreakpoints: paused.hitBreakpoints ?? [],
    data: paused.data,
  };
}

/** `describe(pause)`: `reason at file.js:3 (handler)`, for failure messages. */
export function describePause(pause: Pause): string {
  const file = pause.url.split('/').pop() ?? pause.url;
  return `${pause.reason} at ${file}:${pause.line} (${pause.functionName || 'anonymous'})`;
}

/** Evaluates `expression` in the top frame of `pause` and returns its value by value. */
export async function evaluateInFrame(
  client: CdpClient,
  pause: Pause,
  expression: string,
  frame = 0,
): Promise<unknown> {
  const callFrame = pause.callFrames[frame];
  if (!callFrame) throw new Error(`the pause has no call frame ${frame} to evaluate "${expression}" in`);
  const result = await client.send('Debugger.evaluateOnCallFrame', {
    callFrameId: callFrame.callFrameId,
    expression,
    returnByValue: true,
  });
  if (result.exceptionDetails) {
    throw new Error(
      `evaluating "${expression}" threw: ${result.exceptionDetails.exception?.description ?? result.exceptionDetails.text}`,
    );
  }
  return result.result.value;
}

/** The local scope of the top frame as name -> value (by value, as DevTools' Scope pane would show it). */
export async function localScope(
  client: CdpClient,
  pause: Pause,
  frame = 0,
): Promise<Record<string, unknown>> {
  const callFrame = pause.callFrames[frame];
  const local = callFrame?.scopeChain.find((scope) => scope.type === 'local');
  if (!local?.object.objectId) throw new Error(`frame ${frame} of the pause has no local scope`);
  const { result } = await client.send('Runtime.getProperties', {
    objectId: local.object.objectId,
    ownProperties: true,
    generatePreview: false,
  });
  const values: Record<string, unknown> = {};
  for (const property of result) {
    values[property.name] = property.value?.value ?? property.value?.description;
  }
  return values;
}

/** Resumes and waits for `Debugger.resumed`. */
export async function resume(client: CdpClient): Promise<void> {
  const resumed = client.next('Debugger.resumed');
  await client.send('Debugger.resume');
  await resumed;
}

/** The `Debugger.scriptParsed` events seen so far whose URL ends with `suffix`. */
export function scriptsEndingWith(
  client: CdpClient,
  suffix: string,
): Array<CdpEventParams<'Debugger.scriptParsed'>> {
  return client.events.seen('Debugger.scriptParsed').filter((script) => script.url.endsWith(suffix));
}

/** Waits until a script whose URL ends with `suffix` has been parsed and returns it. */
export async function scriptEndingWith(
  client: CdpClient,
  suffix: string,
): Promise<CdpEventParams<'Debugger.scriptParsed'>> {
  const known = scriptsEndingWith(client, suffix)[0];
  if (known) return known;
  return client.next('Debugger.scriptParsed', (script) => script.url.endsWith(suffix));
}

/** Text of a `Runtime.consoleAPICalled` event, its arguments joined with spaces as a console shows them. */
export function consoleText(event: CdpEventParams<'Runtime.consoleAPICalled'>): string {
  return event.args
    .map((arg) => (arg.value !== undefined ? String(arg.value) : (arg.description ?? '')))
    .join(' ');
}

/** Escapes `text` for use inside a regular expression (`urlRegex` breakpoints). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * What every CDP client sends first: `Runtime.enable`, `Debugger.enable`, then `Runtime.runIfWaitingForDebugger`.
 * Sent without waiting between them, so a debugger the broker holds until an invocation arrives can queue them.
 */
export async function enableAndRun(client: CdpClient): Promise<void> {
  await Promise.all([
    client.send('Runtime.enable'),
    client.send('Debugger.enable', {}),
    client.send('Runtime.runIfWaitingForDebugger'),
  ]);
}
