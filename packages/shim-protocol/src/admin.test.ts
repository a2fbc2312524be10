import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeSessionEvent,
  decodeSessionListResponse,
  decodeSessionSummary,
  SESSION_EVENT_TYPES,
  SESSION_STATES,
  type SessionSummary,
} from './admin.js';
import { SESSION_END_REASONS } from './lambda-link.js';

const idArb = fc.stringMatching(/^[A-Za-z0-9._-]{1,128}$/);
const timeArb = fc.integer({ min: 0, max: 2 ** 45 });

const summaryArb: fc.Arbitrary<SessionSummary> = fc.record(
  {
    sessionId: idArb,
    functionId: idArb,
    requestId: fc.string({ maxLength: 100 }),
    state: fc.constantFrom(...SESSION_STATES),
    runtime: fc.string({ maxLength: 64 }),
    registeredAtMs: timeArb,
    deadlineMs: timeArb,
    debuggerAddress: fc.string({ maxLength: 64 }),
    endReason: fc.constantFrom(...SESSION_END_REASONS),
  },
  {
    requiredKeys: [
      'sessionId',
      'functionId',
      'requestId',
      'state',
      'runtime',
      'registeredAtMs',
      'deadlineMs',
    ],
  },
);

const sample: SessionSummary = {
  sessionId: 's-1',
  functionId: 'orders-api',
  requestId: 'req-1',
  state: 'attached',
  runtime: 'AWS_Lambda_nodejs20.x',
  registeredAtMs: 1_000,
  deadlineMs: 301_000,
  debuggerAddress: '203.0.113.7:51234',
};

describe('admin API validators', () => {
  it('accept every well-formed summary, event and list unchanged after a JSON round trip', () => {
    fc.assert(
      fc.property(summaryArb, fc.constantFrom(...SESSION_EVENT_TYPES), timeArb, (session, type, atMs) => {
        const wire = (value: unknown) => JSON.parse(JSON.stringify(value));
        expect(decodeSessionSummary(wire(session))).toEqual({ ok: true, value: session });
        expect(decodeSessionEvent(wire({ type, atMs, session }))).toEqual({
          ok: true,
          value: { type, atMs, session },
        });
        expect(decodeSessionListResponse(wire({ sessions: [session, session] }))).toEqual({
          ok: true,
          value: { sessions: [session, session] },
        });
      }),
    );
  });

  it('name the first bad field of a summary', () => {
    const bad = decodeSessionSummary({ ...sample, state: 'sleeping' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.code).toBe('invalid-field');
      expect(bad.error.field).toBe('state');
    }
    const missing = decodeSessionSummary({ ...sample, functionId: undefined });
    expect(missing.ok || missing.error.code).toBe('missing-field');
    const badId = decodeSessionSummary({ ...sample, functionId: 'has space' });
    expect(badId.ok || badId.error.field).toBe('functionId');
  });

  it('refuse events of unknown types and events whose session is invalid', () => {
    const unknown = decodeSessionEvent({ type: 'session-exploded', atMs: 1, session: sample });
    expect(unknown.ok || unknown.error.field).toBe('type');
    const nested = decodeSessionEvent({
      type: 'session-ended',
      atMs: 1,
      session: { ...sample, deadlineMs: -1 },
    });
    expect(nested.ok || nested.error.message).toContain('deadlineMs');
  });

  it('refuse a list that is not { sessions: [...] } or holds a bad entry, saying which', () => {
    expect(decodeSessionListResponse([]).ok || 'refused').toBe('refused');
    const missing = decodeSessionListResponse({});
    expect(missing.ok || missing.error.code).toBe('missing-field');
    const entry = decodeSessionListResponse({ sessions: [sample, { ...sample, requestId: 7 }] });
    expect(entry.ok || entry.error.message).toContain('sessions[1]');
  });
});
