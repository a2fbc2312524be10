/**
 * The error bodies the Lambda service itself returns (rather than the runtime): timeouts, runtime exits and
 * oversized responses. The shapes follow what Lambda returns to `Invoke` today and what the official Runtime
 * Interface Emulator produces: `{"errorType": ..., "errorMessage": "RequestId: <id> Error: <reason>"}`.
 */

/** An error the Lambda service reports for an invocation, with the exact JSON body it returns. */
export interface ServiceError {
  readonly errorType: string;
  readonly errorMessage: string;
  /** The invocation response body: `{"errorType":...,"errorMessage":...}`. */
  readonly payload: string;
}

function serviceError(errorType: string, requestId: string, reason: string): ServiceError {
  const errorMessage = `RequestId: ${requestId} Error: ${reason}`;
  return { errorType, errorMessage, payload: JSON.stringify({ errorType, errorMessage }) };
}

/**
 * The invocation ran past its timeout. Lambda reports the configured timeout in seconds with two decimals
 * (`Task timed out after 3.00 seconds`) under the `Sandbox.Timedout` type; older runtimes used the bare
 * `<date> <id> Task timed out after N seconds` message without a type, which is no longer returned.
 */
export function taskTimedOut(requestId: string, timeoutMs: number): ServiceError {
  return serviceError(
    'Sandbox.Timedout',
    requestId,
    `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
  );
}

/** How a runtime process ended, as Node reports it. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * The runtime process exited during an invocation (or its init) without reporting a result. The reason reads as
 * Lambda's (Go's `exec.ExitError` wording): `exit status 1`, `signal: killed`, or no reason for exit code 0.
 */
export function runtimeExited(requestId: string, exit: ProcessExit): ServiceError {
  if (exit.signal) {
    return serviceError(
      'Runtime.ExitError',
      requestId,
      `Runtime exited with error: signal: ${signalWord(exit.signal)}`,
    );
  }
  if (exit.code === 0 || exit.code === null) {
    return serviceError('Runtime.ExitError', requestId, 'Runtime exited without providing a reason');
  }
  return serviceError('Runtime.ExitError', requestId, `Runtime exited with error: exit status ${exit.code}`);
}

/** Go names signals by their description (`killed`, `terminated`, `aborted` ...), as Lambda's messages do. */
function signalWord(signal: NodeJS.Signals): string {
  const words: Partial<Record<NodeJS.Signals, string>> = {
    SIGKILL: 'killed',
    SIGTERM: 'terminated',
    SIGABRT: 'aborted',
    SIGSEGV: 'segmentation fault',
    SIGINT: 'interrupt',
    SIGBUS: 'bus error',
    SIGFPE: 'floating point exception',
    SIGILL: 'illegal instruction',
  };
  return words[signal] ?? signal;
}

/**
 * The runtime posted a response larger than Lambda accepts. `actualBytes` is known for a buffered response
 * (its `Content-Length`), not for a streamed one.
 */
export function responseTooLarge(limitBytes: number, actualBytes?: number): ServiceError {
  const size = actualBytes === undefined ? '' : ` (${actualBytes} bytes)`;
  const errorMessage = `Response payload size${size} exceeded maximum allowed payload size (${limitBytes} bytes).`;
  return {
    errorType: 'Function.ResponseSizeTooLarge',
    errorMessage,
    payload: JSON.stringify({ errorType: 'Function.ResponseSizeTooLarge', errorMessage }),
  };
}
