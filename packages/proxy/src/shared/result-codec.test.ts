import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  appendCallerFrames,
  captureCallerFrames,
  cutOwnFrames,
  rebuildResult,
  rebuildThrown,
  restoreCallerFrames,
  serializeResult,
  serializeThrown,
  spliceCallerFrames,
} from './result-codec.js';

/** What the runtime does with a result: `JSON.stringify(result === undefined ? null : result)`. */
function postedBody(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

function roundTrip(value: unknown): unknown {
  const outcome = serializeResult(value);
  if (outcome.kind !== 'value') throw new Error('expected a value outcome');
  // Across IPC the outcome is structured-cloned; a JSON copy is at least as strict.
  return rebuildResult(JSON.parse(JSON.stringify(outcome)));
}

describe('results', () => {
  it.each([undefined, null, 0, -0, '', false, true, 'text', [], {}, { a: [1, { b: null }] }])(
    'posts %j exactly as the handler returned it',
    (value) => {
      expect(postedBody(roundTrip(value))).toBe(postedBody(value));
    },
  );

  it('keeps the byte-identical JSON of any JSON value, key order and escapes included', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(postedBody(roundTrip(value))).toBe(postedBody(value));
      }),
      { numRuns: 300 },
    );
  });

  it('applies toJSON once, as the runtime would', () => {
    const value = { when: new Date(0), nested: { toJSON: () => 'replaced' } };
    expect(postedBody(roundTrip(value))).toBe(postedBody(value));
  });

  it('hands the runtime a value that fails to serialise when the result could not be serialised', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const value of [cycle, { big: 10n }]) {
      const outcome = serializeResult(value);
      expect(outcome).toEqual({ kind: 'value', unserializable: true });
      if (outcome.kind !== 'value') continue;
      expect(() => JSON.stringify(rebuildResult(outcome))).toThrow(TypeError);
    }
  });
});

class ValidationError extends Error {
  code = 'E_VALIDATION';
  statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}
class PlainSubclass extends Error {}

describe('thrown errors', () => {
  it.each([
    ['Error', new Error('plain')],
    ['TypeError', new TypeError('built-in subclass')],
    ['a class that sets its name and own properties', new ValidationError('bad input')],
    ['a subclass that keeps the name Error', new PlainSubclass('keeps Error')],
    ['a multi-line message with \\x7f', new Error('one\ntwo \x7f three')],
  ])('rebuilds %s with the same name, message, constructor, properties and stack', (_label, error) => {
    for (const convention of ['callback', 'promise'] as const) {
      const serialized = serializeThrown(error, convention, undefined, '/not/the/proxy');
      const rebuilt = rebuildThrown(JSON.parse(JSON.stringify(serialized))) as Error;
      expect(rebuilt).toBeInstanceOf(Error);
      expect(rebuilt.name).toBe(error.name);
      expect(rebuilt.message).toBe(error.message);
      expect(rebuilt.stack).toBe(error.stack);
      expect(rebuilt.constructor.name).toBe(error.constructor.name);
      expect(Object.keys(rebuilt)).toEqual(Object.keys(error));
      expect({ ...rebuilt }).toEqual({ ...error });
      expect(Object.hasOwn(rebuilt, 'name')).toBe(Object.hasOwn(error, 'name'));
      expect(serialized.errorType).toBe(error.name);
      expect(serialized.errorMessage).toBe(error.message.replace(/\x7f/g, '%7F'));
    }
  });

  it('rebuilds the cause chain', () => {
    const error = new Error('outer', { cause: new RangeError('inner') });
    const rebuilt = rebuildThrown(serializeThrown(error, 'promise')) as Error & { cause: Error };
    expect(rebuilt.cause).toBeInstanceOf(RangeError);
    expect(rebuilt.cause.message).toBe('inner');
    expect(Object.keys(rebuilt)).not.toContain('cause');
  });

  it.each([
    ['a string', 'text', 'string', 'text'],
    ['a number', 42, 'number', '42'],
    ['NaN', Number.NaN, 'number', 'NaN'],
    ['a boolean', false, 'boolean', 'false'],
    ['undefined', undefined, 'undefined', 'undefined'],
    ['null', null, 'object', 'null'],
    ['an object', { reason: 'x', nested: { a: 1 } }, 'object', '[object Object]'],
    ['an array', [1, 2], 'object', '1,2'],
    ['a bigint', 7n, 'bigint', '7'],
    ['a symbol', Symbol('why'), 'symbol', 'Symbol(why)'],
    ['a function', function named() {}, 'function', 'function named() {}'],
    [
      'an object that only looks like an error',
      { name: 'Looks', message: 'like', stack: 'Looks: like' },
      'object',
      '[object Object]',
    ],
  ])('rebuilds %s as a value of the same type that prints the same', (_label, value, type, text) => {
    const serialized = serializeThrown(value, 'callback');
    expect(serialized.kind).toBe('value');
    expect(serialized.errorType).toBe(type);
    expect(serialized.errorMessage).toBe(text);
    expect(serialized.trace).toEqual([]);
    const rebuilt = rebuildThrown(JSON.parse(JSON.stringify(serialized)));
    expect(rebuilt === null ? 'object' : typeof rebuilt).toBe(type);
    expect(String(rebuilt)).toBe(text);
    if (type === 'object' && value !== null) expect(JSON.stringify(rebuilt)).toBe(JSON.stringify(value));
  });
});

const OWN = path.join(path.sep, 'opt', 'proxy', 'dist');
const USER_FRAME = '    at Runtime.handler (/var/task/index.js:3:9)';
const OWN_SYNC = `    at ChildInvocation.start (${OWN}${path.sep}child-runtime.js:67:45)`;
const OWN_ASYNC = `    at async ChildInvocation.start (${OWN}${path.sep}child-runtime.js:67:45)`;
const RUNTIME_SYNC = ['    at Runtime.handleOnceNonStreaming (file:///var/runtime/index.mjs:1173:29)'];
const RUNTIME_ASYNC = [
  '    at async BufferedInvokeProcessor.processInvoke (file:///var/runtime/index.mjs:1094:22)',
];
const FRAMES = { sync: RUNTIME_SYNC, async: RUNTIME_ASYNC };

describe('stack frames', () => {
  it('replaces the proxy frames with the runtime frames of the same kind', () => {
    const syncStack = ['Error: boom', USER_FRAME, OWN_SYNC, '    at node:internal/x:1:1'].join('\n');
    expect(spliceCallerFrames(syncStack, FRAMES, OWN)).toBe(
      ['Error: boom', USER_FRAME, ...RUNTIME_SYNC].join('\n'),
    );
    const asyncStack = ['Error: boom', USER_FRAME, OWN_ASYNC].join('\n');
    expect(spliceCallerFrames(asyncStack, FRAMES, OWN)).toBe(
      ['Error: boom', USER_FRAME, ...RUNTIME_ASYNC].join('\n'),
    );
  });

  it('leaves a stack without proxy frames alone', () => {
    const stack = ['Error: boom', USER_FRAME].join('\n');
    expect(spliceCallerFrames(stack, FRAMES, OWN)).toBeUndefined();
    expect(cutOwnFrames(stack, OWN)).toBeUndefined();
  });

  it('never grows a stack past Error.stackTraceLimit', () => {
    const saved = Error.stackTraceLimit;
    Error.stackTraceLimit = 3;
    try {
      const userFrames = [USER_FRAME, USER_FRAME];
      const many = Array.from(
        { length: 5 },
        (_, index) => `    at caller${index} (file:///var/runtime/x.mjs:1:1)`,
      );
      expect(appendCallerFrames(['Error: boom', ...userFrames].join('\n'), many)).toBe(
        ['Error: boom', ...userFrames, many[0]].join('\n'),
      );
    } finally {
      Error.stackTraceLimit = saved;
    }
  });

  it('restores the frames of an error and its cause in place, once', () => {
    const error = new Error('outer', { cause: new Error('inner') });
    error.stack = ['Error: outer', USER_FRAME, OWN_SYNC].join('\n');
    (error.cause as Error).stack = ['Error: inner', USER_FRAME, OWN_ASYNC].join('\n');
    restoreCallerFrames(error, FRAMES, OWN);
    restoreCallerFrames(error, FRAMES, OWN);
    expect(error.stack).toBe(['Error: outer', USER_FRAME, ...RUNTIME_SYNC].join('\n'));
    expect((error.cause as Error).stack).toBe(['Error: inner', USER_FRAME, ...RUNTIME_ASYNC].join('\n'));
  });

  it('splices when serialising with frames, and marks the cut without them', () => {
    const error = new Error('boom');
    error.stack = ['Error: boom', USER_FRAME, OWN_SYNC].join('\n');
    expect(serializeThrown(error, 'promise', FRAMES, OWN).stack).toBe(
      ['Error: boom', USER_FRAME, ...RUNTIME_SYNC].join('\n'),
    );
    const cut = serializeThrown(error, 'promise', undefined, OWN);
    expect(cut.stack).toBe(['Error: boom', USER_FRAME].join('\n'));
    expect(cut.callerFramesCut).toBe('sync');
    expect((rebuildThrown(cut, FRAMES) as Error).stack).toBe(
      ['Error: boom', USER_FRAME, ...RUNTIME_SYNC].join('\n'),
    );
  });

  it('captures the caller frames without its own', () => {
    const frames = captureCallerFrames(__dirname);
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) {
      expect(frame).toMatch(/^\s+at /);
      expect(frame).not.toContain(`${__dirname}${path.sep}`);
    }
  });
});
