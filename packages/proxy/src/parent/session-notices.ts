/**
 * Console notes only the debugger sees (never the function's log) about the invocation it is debugging: which one
 * it is and how long it has, warnings as its end comes near, and a caller that may stop waiting first.
 */

/** Seconds before the session ends at which the debugger is warned, largest first. */
export const END_WARNINGS_SECONDS = [60, 10] as const;

function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** Whole seconds from `nowMs` to `endByMs`, never negative. */
function secondsLeft(endByMs: number, nowMs: number): number {
  return Math.max(0, Math.floor((endByMs - nowMs) / 1000));
}

/** The note that opens a debugged invocation. */
export function invocationStartNotice(requestId: string, endByMs: number, nowMs = Date.now()): string {
  return `lambda-debug: invocation ${requestId}: ${secondsLeft(endByMs, nowMs)} s left to debug it (the session ends at ${clockTime(endByMs)} UTC: the function's timeout less DEBUGGER_DEADLINE_MARGIN_MS).`;
}

/** The warning `seconds` before the session ends. */
export function endWarningNotice(seconds: number, endByMs: number): string {
  return `lambda-debug: ${seconds} s left: at ${clockTime(endByMs)} UTC the debugging session ends and the invocation fails (LambdaDebug.DeadlineReached) unless the handler has returned.`;
}

/** What kind of HTTP front door called the function, from the event's `requestContext`. */
export function httpCallerOf(event: unknown): 'api-gateway' | 'function-url' | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const requestContext = (event as { requestContext?: unknown }).requestContext;
  if (typeof requestContext !== 'object' || requestContext === null) return undefined;
  const { apiId, domainName } = requestContext as { apiId?: unknown; domainName?: unknown };
  if (typeof domainName === 'string' && /\.lambda-url\./.test(domainName)) return 'function-url';
  if (typeof apiId === 'string') return 'api-gateway';
  return undefined;
}

/** The one-time note for an invocation whose HTTP caller may stop waiting while the handler is paused. */
export function httpCallerNotice(caller: 'api-gateway' | 'function-url'): string {
  return caller === 'api-gateway'
    ? 'lambda-debug: this invocation came through API Gateway, which stops waiting after its own integration timeout (29 s by default for REST APIs, 30 s for HTTP APIs): while you are paused, its caller may already have had a 504, and the response may reach nobody.'
    : 'lambda-debug: this invocation came through a function URL: the HTTP client that called it may stop waiting before you resume, and the response may then reach nobody.';
}
