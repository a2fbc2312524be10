import { describe, expect, it } from 'vitest';
import {
  endWarningNotice,
  httpCallerNotice,
  httpCallerOf,
  invocationStartNotice,
} from './session-notices.js';

describe('session notices', () => {
  it('say which invocation it is, how long is left and when it ends', () => {
    const now = Date.UTC(2026, 0, 2, 10, 0, 0);
    expect(invocationStartNotice('req-9', now + 899_500, now)).toBe(
      "lambda-debug: invocation req-9: 899 s left to debug it (the session ends at 10:14:59 UTC: the function's timeout less DEBUGGER_DEADLINE_MARGIN_MS).",
    );
    expect(invocationStartNotice('req-9', now - 5, now)).toContain(': 0 s left');
    expect(endWarningNotice(10, now)).toMatch(/^lambda-debug: 10 s left: at 10:00:00 UTC/);
  });

  it('recognise API Gateway and function URL events, and nothing else', () => {
    expect(httpCallerOf({ requestContext: { apiId: 'abc123', stage: 'prod' } })).toBe('api-gateway');
    expect(
      httpCallerOf({ requestContext: { apiId: 'x', domainName: 'abcdef.lambda-url.eu-west-1.on.aws' } }),
    ).toBe('function-url');
    for (const event of [
      null,
      'text',
      42,
      {},
      { requestContext: null },
      { requestContext: { stage: 'x' } },
    ]) {
      expect(httpCallerOf(event)).toBeUndefined();
    }
    expect(httpCallerNotice('api-gateway')).toContain('29 s');
    expect(httpCallerNotice('function-url')).toContain('function URL');
  });
});
