import { format } from 'node:util';
import type { ConsoleMessage } from '@lambda-debug/shim-protocol';
import { describe, expect, it } from 'vitest';
import { describeConsoleCall, patchChildConsole, replayConsoleCall } from './console-forwarder.js';

/** A console that records the arguments each method was called with. */
function recordingConsole() {
  const calls: Array<{ level: string; args: unknown[] }> = [];
  const target: Record<string, unknown> = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'fatal']) {
    target[level] = (...args: unknown[]) => calls.push({ level, args });
  }
  return { target, calls };
}

/** What the runtime's text format prints for a call: `util.format(message, ...params)`. */
function textOf(args: unknown[]): string {
  const [message, ...params] = args;
  return format(message, ...params);
}

describe('console forwarding', () => {
  it.each([
    [['plain', 1]],
    [['%s is %d', 'Ann', 42]],
    [['100%% sure %s', 'yes']],
    [[{ nested: { list: [1, 2] } }]],
    [['with error', new TypeError('as argument')]],
    [[]],
    [[undefined]],
    [['multi\nline']],
  ])('replays %j so the text format prints the same line', (args) => {
    const message = describeConsoleCall('info', args, false, 'ric3');
    const { target, calls } = recordingConsole();
    replayConsoleCall(message, target);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.level).toBe('info');
    expect(textOf(calls[0]?.args ?? [])).toBe(textOf(args));
  });

  it('passes a single non-string argument as a value for JSON logs', () => {
    const message = describeConsoleCall('log', [{ a: [1, 2] }], true, 'ric4');
    expect(message.json).toBe('{"a":[1,2]}');
    const { target, calls } = recordingConsole();
    replayConsoleCall(message, target);
    expect(calls[0]?.args).toEqual([{ a: [1, 2] }]);
  });

  it('describes a lone error as the runtime JSON format does', () => {
    const error = new RangeError('alone');
    const message = describeConsoleCall('error', [error], true, 'ric4');
    expect(JSON.parse(message.json ?? 'null')).toMatchObject({
      errorType: 'RangeError',
      errorMessage: 'alone',
      stackTrace: error.stack?.split('\n'),
    });
  });

  it('calls with no argument, or only undefined, replay as a call without arguments for JSON logs', () => {
    for (const args of [[], [undefined]]) {
      const message = describeConsoleCall('warn', args, true, 'ric3');
      expect(message.noArguments).toBe(true);
      const { target, calls } = recordingConsole();
      replayConsoleCall(message, target);
      expect(calls[0]?.args).toEqual([]);
    }
  });

  it('gives the runtime an Error argument of the same class name, without changing the text', () => {
    const error = new TypeError('as argument');
    for (const generation of ['ric3', 'ric4'] as const) {
      const message = describeConsoleCall('error', ['with error', error], true, generation);
      expect(message.errorArgument).toEqual({
        constructorName: 'TypeError',
        message: 'as argument',
        stack: error.stack,
      });
      const { target, calls } = recordingConsole();
      replayConsoleCall(message, target);
      const args = calls[0]?.args ?? [];
      expect(textOf(args)).toBe(textOf(['with error', error]));
      const replayed = args.find((arg): arg is Error => arg instanceof Error);
      expect(replayed?.constructor.name).toBe('TypeError');
      expect(replayed?.message).toBe('as argument');
      expect(replayed?.stack).toBe(error.stack);
    }
  });

  it('looks for that error among all arguments on 3.x and after the first on 4.x, as each runtime does', () => {
    const args = [new Error('first'), 'then text'];
    expect(describeConsoleCall('error', args, true, 'ric3').errorArgument?.message).toBe('first');
    expect(describeConsoleCall('error', args, true, 'ric4').errorArgument).toBeUndefined();
  });
});

describe('the child console', () => {
  it('reports each call to the inspector with the very arguments (fatal as error) and sends one message', () => {
    const global = console as unknown as Record<string, unknown>;
    const levels = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'fatal'];
    const saved = new Map(levels.map((level) => [level, global[level]]));
    const reported: Array<{ method: string; args: unknown[] }> = [];
    const inspectorConsole: Record<string, unknown> = {};
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
      inspectorConsole[method] = (...args: unknown[]) => reported.push({ method, args });
    }
    const sent: ConsoleMessage[] = [];
    const value = { expandable: true };
    try {
      patchChildConsole((message) => sent.push(message), 'ric3', undefined, inspectorConsole);
      console.log('value', value);
      console.warn('careful');
      (global.fatal as (...args: unknown[]) => void)('the end');
    } finally {
      for (const [level, method] of saved) {
        if (method === undefined) delete global[level];
        else global[level] = method;
      }
    }
    expect(reported).toEqual([
      { method: 'log', args: ['value', value] },
      { method: 'warn', args: ['careful'] },
      { method: 'error', args: ['the end'] },
    ]);
    expect(reported[0]?.args[1]).toBe(value);
    expect(sent.map((message) => [message.level, message.message])).toEqual([
      ['log', 'value { expandable: true }'],
      ['warn', 'careful'],
      ['fatal', 'the end'],
    ]);
  });
});
