import type { SessionEvent, SessionSummary } from '@lambda-debug/shim-protocol';
import { describe, expect, it } from 'vitest';
import { createPalette } from './output.js';
import { formatRemaining, formatSessionEvent, formatSessionTable } from './session-output.js';

const plain = createPalette(false);
const waiting: SessionSummary = {
  sessionId: 's1',
  functionId: 'orders-api',
  requestId: 'req-1',
  state: 'waiting',
  runtime: 'nodejs20.x',
  registeredAtMs: 1_000,
  deadlineMs: 301_000,
};
const attached: SessionSummary = {
  ...waiting,
  sessionId: 's2',
  functionId: 'billing',
  requestId: 'req-22',
  state: 'attached',
  debuggerAddress: '127.0.0.1:51000',
};

describe('formatRemaining', () => {
  it.each([
    [-5, 'expired'],
    [0, 'expired'],
    [999, '0s'],
    [42_000, '42s'],
    [245_000, '4m 05s'],
    [3_720_000, '1h 02m'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatRemaining(ms)).toBe(text);
  });
});

describe('formatSessionTable', () => {
  it('lines columns up and counts the time left from now', () => {
    const lines = formatSessionTable([waiting, attached], 61_000, plain).split('\n');
    expect(lines).toEqual([
      'FUNCTION    REQUEST  STATE     LEFT    DEBUGGER',
      'orders-api  req-1    waiting   4m 00s  -',
      'billing     req-22   attached  4m 00s  127.0.0.1:51000',
    ]);
  });

  it('shows why an ended session ended instead of time left', () => {
    const ended: SessionSummary = { ...waiting, state: 'ended', endReason: 'completed' };
    expect(formatSessionTable([ended], 0, plain)).toContain('ended  completed');
  });
});

describe('formatSessionEvent', () => {
  const at = (type: SessionEvent['type'], session: SessionSummary): SessionEvent => ({
    type,
    atMs: 1_000,
    session,
  });

  it('says what happened, to which function and request, and the time left', () => {
    expect(formatSessionEvent(at('session-registered', waiting), plain)).toMatch(
      /^\d\d:\d\d:\d\d {2}registered {2}orders-api {2}request req-1 {2}waiting for a debugger, 5m 00s left$/,
    );
    expect(formatSessionEvent(at('debugger-attached', attached), plain)).toContain(
      'attached    billing  request req-22  debugger 127.0.0.1:51000, 5m 00s left',
    );
    expect(formatSessionEvent(at('debugger-detached', { ...attached, state: 'waiting' }), plain)).toContain(
      'detached    billing  request req-22  debugger left',
    );
    expect(
      formatSessionEvent(at('session-ended', { ...waiting, state: 'ended', endReason: 'deadline' }), plain),
    ).toMatch(/ended {7}orders-api {2}request req-1 {2}deadline$/);
  });
});
