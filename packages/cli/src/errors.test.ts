import { describe, expect, it } from 'vitest';
import {
  describeError,
  ExitCode,
  errorDetails,
  exitCodeOf,
  RuntimeFailure,
  systemErrorCode,
  UsageError,
} from './errors.js';

describe('CLI errors', () => {
  it('read as one line: the problem, then the fix', () => {
    expect(describeError(new UsageError('invalid function id "a b"', 'Use 1 to 128 characters'))).toBe(
      'invalid function id "a b". Use 1 to 128 characters.',
    );
    expect(describeError(new RuntimeFailure('It failed.', ''))).toBe('It failed.');
  });

  it('map to exit codes 2 (usage) and 1 (everything else)', () => {
    expect(exitCodeOf(new UsageError('x', 'y'))).toBe(ExitCode.USAGE);
    expect(exitCodeOf(new RuntimeFailure('x', 'y'))).toBe(ExitCode.RUNTIME_FAILURE);
    expect(exitCodeOf(new Error('boom'))).toBe(ExitCode.RUNTIME_FAILURE);
  });

  it('describe unexpected errors without a stack, pointing at --verbose', () => {
    const line = describeError(new TypeError('x is undefined'));
    expect(line).toContain('unexpected error: x is undefined.');
    expect(line).toContain('--verbose');
    expect(line).not.toContain('\n');
  });

  it('give the stack and the causes as details', () => {
    const error = new RuntimeFailure('outer', 'fix', { cause: new Error('inner') });
    const details = errorDetails(error);
    expect(details).toContain('RuntimeFailure: outer');
    expect(details).toContain('caused by: Error: inner');
  });

  it('read system error codes', () => {
    expect(systemErrorCode(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('ENOENT');
    expect(systemErrorCode(new Error('plain'))).toBe('plain');
  });
});
