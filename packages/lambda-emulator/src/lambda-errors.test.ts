import { describe, expect, it } from 'vitest';
import { responseTooLarge, runtimeExited, taskTimedOut } from './lambda-errors.js';

describe('Lambda service errors', () => {
  it('words a timeout as Lambda does, with the configured timeout in seconds', () => {
    const error = taskTimedOut('req-1', 3000);
    expect(error.errorType).toBe('Sandbox.Timedout');
    expect(error.errorMessage).toBe('RequestId: req-1 Error: Task timed out after 3.00 seconds');
    expect(JSON.parse(error.payload)).toEqual({
      errorType: error.errorType,
      errorMessage: error.errorMessage,
    });
    expect(taskTimedOut('r', 250).errorMessage).toBe('RequestId: r Error: Task timed out after 0.25 seconds');
  });

  it('words a runtime exit by exit status, signal, or no reason', () => {
    expect(runtimeExited('r', { code: 1, signal: null }).errorMessage).toBe(
      'RequestId: r Error: Runtime exited with error: exit status 1',
    );
    expect(runtimeExited('r', { code: null, signal: 'SIGKILL' }).errorMessage).toBe(
      'RequestId: r Error: Runtime exited with error: signal: killed',
    );
    expect(runtimeExited('r', { code: null, signal: 'SIGUSR2' }).errorMessage).toBe(
      'RequestId: r Error: Runtime exited with error: signal: SIGUSR2',
    );
    expect(runtimeExited('r', { code: 0, signal: null }).errorMessage).toBe(
      'RequestId: r Error: Runtime exited without providing a reason',
    );
    expect(runtimeExited('r', { code: 2, signal: null }).errorType).toBe('Runtime.ExitError');
  });

  it('words an oversized response with and without its size', () => {
    expect(responseTooLarge(100, 150).errorMessage).toBe(
      'Response payload size (150 bytes) exceeded maximum allowed payload size (100 bytes).',
    );
    expect(responseTooLarge(100).errorMessage).toBe(
      'Response payload size exceeded maximum allowed payload size (100 bytes).',
    );
    expect(responseTooLarge(100).errorType).toBe('Function.ResponseSizeTooLarge');
  });
});
