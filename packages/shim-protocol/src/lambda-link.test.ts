import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.js';
import {
  type BrokerMessage,
  DEBUGGER_DETACH_REASONS,
  decodeBrokerFrame,
  decodeProxyFrame,
  encodeCdpFrame,
  encodeControl,
  type ProxyMessage,
  SESSION_END_REASONS,
} from './lambda-link.js';
import { MAX_CONTROL_MESSAGE_BYTES, MAX_FRAME_BYTES, PROTOCOL_VERSION } from './limits.js';

const idArb = fc.stringMatching(/^[A-Za-z0-9._-]{1,128}$/);
const textArb = (max: number) => fc.string({ maxLength: max });
const timeArb = fc.integer({ min: 0, max: 2 ** 45 });

/** `session-end` is the one message both sides send. */
const sessionEndArb = fc.record(
  {
    type: fc.constant('session-end' as const),
    sessionId: idArb,
    reason: fc.constantFrom(...SESSION_END_REASONS),
    message: textArb(200),
  },
  { requiredKeys: ['type', 'sessionId', 'reason'] },
);

const proxyMessageArb: fc.Arbitrary<ProxyMessage> = fc.oneof(
  fc.record({
    type: fc.constant('hello' as const),
    protocolVersion: fc.constant(PROTOCOL_VERSION),
    functionId: idArb,
    token: textArb(200),
    runtime: textArb(64),
    proxyVersion: textArb(32),
  }),
  fc.record(
    {
      type: fc.constant('register' as const),
      sessionId: idArb,
      requestId: textArb(100),
      deadlineMs: timeArb,
      invokedFunctionArn: textArb(200),
    },
    { requiredKeys: ['type', 'sessionId', 'requestId', 'deadlineMs'] },
  ),
  sessionEndArb,
  fc.record({ type: fc.constant('heartbeat' as const), sentAtMs: timeArb, reply: fc.boolean() }),
);

const brokerMessageArb: fc.Arbitrary<BrokerMessage> = fc.oneof(
  fc.record({
    type: fc.constant('welcome' as const),
    protocolVersion: fc.constant(PROTOCOL_VERSION),
    connectionId: idArb,
    heartbeatIntervalMs: fc.integer({ min: 1, max: 600_000 }),
  }),
  fc.record({ type: fc.constant('registered' as const), sessionId: idArb }),
  fc.record(
    {
      type: fc.constant('debugger-attached' as const),
      sessionId: idArb,
      debuggerId: idArb,
      remoteAddress: textArb(60),
    },
    { requiredKeys: ['type', 'sessionId', 'debuggerId'] },
  ),
  fc.record({
    type: fc.constant('debugger-detached' as const),
    sessionId: idArb,
    debuggerId: idArb,
    reason: fc.constantFrom(...DEBUGGER_DETACH_REASONS),
  }),
  sessionEndArb,
  fc.record(
    { type: fc.constant('error' as const), code: textArb(64), message: textArb(300), sessionId: idArb },
    { requiredKeys: ['type', 'code', 'message'] },
  ),
  fc.record({ type: fc.constant('heartbeat' as const), sentAtMs: timeArb, reply: fc.boolean() }),
);

describe('control messages', () => {
  it('every valid proxy message round-trips through encode/decode unchanged', () => {
    fc.assert(
      fc.property(proxyMessageArb, (message) => {
        const decoded = decodeProxyFrame(encodeControl(message));
        expect(decoded).toEqual({ ok: true, value: { kind: 'control', message } });
      }),
    );
  });

  it('every valid broker message round-trips through encode/decode unchanged', () => {
    fc.assert(
      fc.property(brokerMessageArb, (message) => {
        const decoded = decodeBrokerFrame(Buffer.from(encodeControl(message)));
        expect(decoded).toEqual({ ok: true, value: { kind: 'control', message } });
      }),
    );
  });

  it('a broker message is not accepted as a proxy message and vice versa', () => {
    const welcome = encodeControl({
      type: 'welcome',
      protocolVersion: 1,
      connectionId: 'c1',
      heartbeatIntervalMs: 5,
    });
    const decoded = decodeProxyFrame(welcome);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.code).toBe('unknown-type');
    const register = encodeControl({ type: 'register', sessionId: 's', requestId: 'r', deadlineMs: 1 });
    const back = decodeBrokerFrame(register);
    expect(!back.ok && back.error.code).toBe('unknown-type');
  });
});

describe('CDP frames', () => {
  it('carry the payload bytes untouched, from strings and from buffers', () => {
    fc.assert(
      fc.property(
        idArb,
        fc.string({ minLength: 1, maxLength: 2000, unit: 'grapheme' }),
        (sessionId, payload) => {
          for (const frame of [
            encodeCdpFrame(sessionId, payload),
            encodeCdpFrame(sessionId, Buffer.from(payload)),
          ]) {
            const decoded = decodeBrokerFrame(frame);
            expect(decoded.ok).toBe(true);
            if (decoded.ok && decoded.value.kind === 'cdp') {
              expect(decoded.value.sessionId).toBe(sessionId);
              expect(decoded.value.payload.toString('utf8')).toBe(payload);
            } else {
              expect.unreachable('expected a CDP frame');
            }
          }
        },
      ),
    );
  });

  it('a payload containing newlines and braces is still one payload', () => {
    const payload = '{\n  "id": 1,\n  "method": "Runtime.evaluate",\n  "params": {"expression": "a\\nb"}\n}';
    const decoded = decodeProxyFrame(encodeCdpFrame('session-1', payload));
    expect(decoded.ok && decoded.value.kind === 'cdp' && decoded.value.payload.toString()).toBe(payload);
  });
});

describe('refusals are typed, distinct and never thrown', () => {
  const codeOf = (data: Buffer | string) => {
    const decoded = decodeProxyFrame(data);
    if (decoded.ok) throw new Error('expected a refusal');
    expect(decoded.error).toBeInstanceOf(ProtocolError);
    return decoded.error.code;
  };

  it('arbitrary bytes never throw and always give a typed error or a message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const decoded = decodeProxyFrame(Buffer.from(bytes));
        if (!decoded.ok) expect(decoded.error).toBeInstanceOf(ProtocolError);
        const back = decodeBrokerFrame(Buffer.from(bytes));
        if (!back.ok) expect(back.error).toBeInstanceOf(ProtocolError);
      }),
      { numRuns: 2000 },
    );
  });

  it('arbitrary JSON never throws and is refused unless it is a valid message', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        const decoded = decodeProxyFrame(text.startsWith('{') ? text : `{"type":${text}}`);
        if (!decoded.ok) expect(decoded.error).toBeInstanceOf(ProtocolError);
      }),
      { numRuns: 2000 },
    );
  });

  it('objects with a known type and random fields never throw', () => {
    const types = ['hello', 'register', 'session-end', 'heartbeat', 'welcome', 'registered', 'error'];
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.dictionary(fc.string(), fc.jsonValue()), (type, fields) => {
        const text = JSON.stringify({ ...fields, type });
        const a = decodeProxyFrame(text);
        const b = decodeBrokerFrame(text);
        if (!a.ok) expect(a.error).toBeInstanceOf(ProtocolError);
        if (!b.ok) expect(b.error).toBeInstanceOf(ProtocolError);
      }),
      { numRuns: 2000 },
    );
  });

  it('empty and truncated frames', () => {
    expect(codeOf('')).toBe('truncated-frame');
    expect(codeOf('cdp:abc')).toBe('truncated-frame');
    expect(codeOf('cdp:abc\n')).toBe('truncated-frame');
  });

  it('truncated control messages are malformed JSON', () => {
    const full = encodeControl({ type: 'register', sessionId: 's1', requestId: 'r', deadlineMs: 10 });
    for (let cut = 1; cut < full.length; cut++) expect(codeOf(full.slice(0, cut))).toBe('malformed-json');
  });

  it('oversize frames and control messages', () => {
    expect(codeOf(Buffer.alloc(MAX_FRAME_BYTES + 1, 0x20))).toBe('frame-too-large');
    const big = JSON.stringify({
      type: 'heartbeat',
      sentAtMs: 1,
      reply: false,
      pad: 'x'.repeat(MAX_CONTROL_MESSAGE_BYTES),
    });
    expect(codeOf(big)).toBe('frame-too-large');
  });

  it('wrong protocol version', () => {
    const hello = {
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION + 1,
      functionId: 'f',
      token: 't',
      runtime: 'r',
      proxyVersion: '1',
    };
    expect(codeOf(JSON.stringify(hello))).toBe('unsupported-version');
  });

  it('unknown type, missing type, missing and invalid fields, non-objects', () => {
    expect(codeOf('{"type":"launch-missiles"}')).toBe('unknown-type');
    expect(codeOf('{"kind":"hello"}')).toBe('missing-field');
    expect(codeOf('{"type":"register","requestId":"r","deadlineMs":1}')).toBe('missing-field');
    expect(codeOf('{"type":"register","sessionId":"has space","requestId":"r","deadlineMs":1}')).toBe(
      'invalid-field',
    );
    expect(codeOf('{"type":"register","sessionId":"s","requestId":"r","deadlineMs":-1}')).toBe(
      'invalid-field',
    );
    expect(
      codeOf(
        '{"type":"hello","protocolVersion":1,"functionId":"no/slash","token":"","runtime":"","proxyVersion":""}',
      ),
    ).toBe('invalid-field');
    expect(codeOf('[1,2]')).toBe('malformed-frame');
    expect(codeOf('cdp:bad id\n{}')).toBe('malformed-frame');
    expect(codeOf(`cdp:${'a'.repeat(300)}\n{}`)).toBe('malformed-frame');
  });

  it('names the offending field', () => {
    const decoded = decodeProxyFrame('{"type":"session-end","sessionId":"s","reason":"bored"}');
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.error.field).toBe('reason');
      expect(decoded.error.message).toContain('reason');
    }
  });
});
