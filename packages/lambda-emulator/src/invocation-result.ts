/** What an invocation returns, built from what the runtime reported or from what the service decided. */
import type { ServiceError } from './lambda-errors.js';
import type { ResponseMode, RuntimeOutcome } from './runtime-api-server.js';

/** How an invocation ended. */
export type InvokeStatus = 'success' | 'error' | 'timeout' | 'crash';

/** The result of one invocation: what the Lambda `Invoke` API would return, plus what happened around it. */
export interface InvokeResult {
  readonly requestId: string;
  readonly status: InvokeStatus;
  /**
   * Exactly the bytes the runtime posted (the response body, or the error body), as UTF-8 text; or Lambda's own
   * error JSON for a timeout, a runtime exit or an oversized response.
   */
  readonly payload: string;
  /** Like the `X-Amz-Function-Error` header of `Invoke`: set whenever the invocation failed. */
  readonly functionError?: 'Unhandled' | 'Handled';
  /** From `Lambda-Runtime-Function-Error-Type`, else the `errorType` of the error body. */
  readonly errorType?: string;
  /** Lines the runtime process wrote during this invocation (its init included, for a cold start). */
  readonly logs: readonly string[];
  /** Lines written but not kept in `logs` (past `MAX_LOG_LINES_PER_INVOCATION`). */
  readonly droppedLogLines: number;
  /** From the runtime receiving the invocation to its result (the init is not counted, as in Lambda). */
  readonly durationMs: number;
  /** True when this invocation started a new runtime process. */
  readonly coldStart: boolean;
  /** For a cold start: from starting the runtime process to it asking for the invocation. */
  readonly initDurationMs?: number;
  /** The deadline the runtime was given (`Lambda-Runtime-Deadline-Ms`); absent if it never got the invocation. */
  readonly deadlineMs?: number;
  /** How the runtime sent its response, when it sent one. */
  readonly responseMode?: ResponseMode;
  /** The response's content type, when the runtime sent one. */
  readonly contentType?: string;
  /** For a streamed response that failed part-way: what had been streamed before the error. */
  readonly streamedPayload?: string;
  /** Which execution environment (0-based) ran the invocation. */
  readonly environment: number;
}

/** The parts of a result that do not depend on how the invocation ended. */
export type ResultContext = Pick<
  InvokeResult,
  | 'requestId'
  | 'logs'
  | 'droppedLogLines'
  | 'durationMs'
  | 'coldStart'
  | 'initDurationMs'
  | 'deadlineMs'
  | 'environment'
>;

function errorTypeOfBody(body: Buffer): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'errorType' in parsed) {
      const { errorType } = parsed as { errorType: unknown };
      return typeof errorType === 'string' ? errorType : undefined;
    }
  } catch {
    // Not JSON: the body is returned as it is, without a type.
  }
  return undefined;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** A failure the runtime posted (an invocation or init error): its body as the payload, its type if known. */
function failureFields(body: Buffer, errorType: string | undefined) {
  return {
    status: 'error',
    payload: body.toString('utf8'),
    functionError: 'Unhandled',
    errorType: errorType ?? errorTypeOfBody(body),
  } as const;
}

/** The result for what the runtime reported (or the service decided, for an oversized response). */
export function resultFromOutcome(context: ResultContext, outcome: RuntimeOutcome): InvokeResult {
  switch (outcome.kind) {
    case 'response':
      return withoutUndefined({
        ...context,
        status: 'success',
        payload: outcome.body.toString('utf8'),
        responseMode: outcome.responseMode,
        contentType: outcome.contentType,
      });
    case 'error':
      return withoutUndefined({
        ...context,
        ...failureFields(outcome.body, outcome.errorType),
        responseMode: outcome.responseMode,
        streamedPayload: outcome.streamedBody?.toString('utf8'),
      });
    case 'init-error':
      return withoutUndefined({ ...context, ...failureFields(outcome.body, outcome.errorType) });
    case 'service-error':
      return resultFromServiceError(context, 'error', outcome.error);
  }
}

/** The result for an error the service itself reports (timeout, runtime exit, oversized response). */
export function resultFromServiceError(
  context: ResultContext,
  status: InvokeStatus,
  error: ServiceError,
): InvokeResult {
  return withoutUndefined({
    ...context,
    status,
    payload: error.payload,
    functionError: 'Unhandled',
    errorType: error.errorType,
  });
}
