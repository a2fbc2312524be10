import type { Protocol } from 'devtools-protocol';

/** How a notice shows in the debugger's console. */
export type NoticeLevel = 'log' | 'warning';

/**
 * A CDP `Runtime.consoleAPICalled` event carrying one line of text. Every debugger client shows console
 * events, so this is how the broker tells a debugger that it is waiting or that its session ended, without
 * inventing a message type clients would ignore. Execution context 0 is never a real context, so the line
 * cannot be mistaken for the function's own output.
 */
export function consoleNotice(level: NoticeLevel, text: string, nowMs = Date.now()): string {
  const params: Protocol.Runtime.ConsoleAPICalledEvent = {
    type: level,
    args: [{ type: 'string', value: `lambda-debug: ${text}` }],
    executionContextId: 0,
    timestamp: nowMs,
  };
  return JSON.stringify({ method: 'Runtime.consoleAPICalled', params });
}
