import { describe, expect, it } from 'vitest';
import { isDebuggingActive } from '../shared/flags.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DEADLINE_MARGIN_MS,
  DEFAULT_RECONNECT_GRACE_MS,
  DEFAULT_WAIT_MS,
  MAX_RECONNECT_GRACE_MS,
  MAX_WAIT_MS,
} from '../shared/limits.js';
import { parseBrokerAddress, readConfig } from './config.js';

const VALID = {
  DEBUGGER_ACTIVE: 'true',
  DEBUGGER_BROKER_ADDRESS: 'broker.example.com',
  DEBUGGER_FUNCTION_ID: 'orders-api.prod_1',
  DEBUGGER_TOKEN: 'ld1.lambda.secret-token-value',
};

describe('DEBUGGER_ACTIVE', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['false', false],
    ['FALSE', false],
    ['0', false],
    [' 0 ', false],
    ['true', true],
    ['1', true],
    ['yes', true],
    ['anything', true],
  ])('%j means debugging is %s', (value, expected) => {
    expect(isDebuggingActive(value === undefined ? {} : { DEBUGGER_ACTIVE: value })).toBe(expected);
  });
});

describe('parseBrokerAddress', () => {
  it.each([
    ['broker.example.com', 'ws://broker.example.com:8080/v1/lambda', 'ws://broker.example.com:8080'],
    ['broker.example.com:9000', 'ws://broker.example.com:9000/v1/lambda', 'ws://broker.example.com:9000'],
    ['127.0.0.1:1', 'ws://127.0.0.1:1/v1/lambda', 'ws://127.0.0.1:1'],
    ['[::1]:8080', 'ws://[::1]:8080/v1/lambda', 'ws://[::1]:8080'],
    ['ws://broker.example.com', 'ws://broker.example.com:8080/v1/lambda', 'ws://broker.example.com:8080'],
    ['wss://broker.example.com', 'wss://broker.example.com:8080/v1/lambda', 'wss://broker.example.com:8080'],
    ['wss://broker.example.com:443', 'wss://broker.example.com/v1/lambda', 'wss://broker.example.com:443'],
    [
      'WSS://Broker.Example.com:8443/debug/',
      'wss://broker.example.com:8443/debug/v1/lambda',
      'wss://Broker.Example.com:8443',
    ],
    ['  broker:80  ', 'ws://broker/v1/lambda', 'ws://broker:80'],
  ])('%j -> %s', (raw, url, display) => {
    expect(parseBrokerAddress(raw)).toEqual({ url, display });
  });

  it.each([
    ['', /empty/],
    ['http://broker', /scheme "http:\/\/"/],
    ['broker:0', /invalid port "0"/],
    ['broker:70000', /invalid port "70000"/],
    ['broker:', /invalid port ""/],
    ['user:pass@broker', /credentials/],
    ['broker?x=1', /query/],
    ['bro ker', /spaces/],
    ['bro_ker', /invalid host/],
  ])('refuses %j with a reason', (raw, reason) => {
    const parsed = parseBrokerAddress(raw);
    expect(parsed).toHaveProperty('error');
    expect((parsed as { error: string }).error).toMatch(reason);
  });
});

describe('readConfig', () => {
  it('uses the documented defaults', () => {
    const read = readConfig(VALID);
    expect(read).toEqual({
      ok: true,
      warnings: [],
      config: {
        brokerUrl: 'ws://broker.example.com:8080/v1/lambda',
        brokerDisplay: 'ws://broker.example.com:8080',
        functionId: 'orders-api.prod_1',
        token: VALID.DEBUGGER_TOKEN,
        waitMs: DEFAULT_WAIT_MS,
        breakOnStart: true,
        deadlineMarginMs: DEFAULT_DEADLINE_MARGIN_MS,
        connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
        reconnectGraceMs: DEFAULT_RECONNECT_GRACE_MS,
        logLevel: 'info',
      },
    });
  });

  it('reads every optional setting', () => {
    const read = readConfig({
      ...VALID,
      DEBUGGER_WAIT_MS: '2500',
      DEBUGGER_BREAK_ON_START: 'false',
      DEBUGGER_DEADLINE_MARGIN_MS: '750',
      DEBUGGER_CONNECT_TIMEOUT_MS: '1200',
      DEBUGGER_RECONNECT_GRACE_MS: '0',
      DEBUGGER_LOG_LEVEL: 'DEBUG',
    });
    expect(read.ok && read.config).toMatchObject({
      waitMs: 2500,
      breakOnStart: false,
      deadlineMarginMs: 750,
      connectTimeoutMs: 1200,
      reconnectGraceMs: 0,
      logLevel: 'debug',
    });
  });

  it.each([
    ['DEBUGGER_WAIT_MS', '-1'],
    ['DEBUGGER_WAIT_MS', String(MAX_WAIT_MS + 1)],
    ['DEBUGGER_WAIT_MS', '1e3'],
    ['DEBUGGER_BREAK_ON_START', 'maybe'],
    ['DEBUGGER_DEADLINE_MARGIN_MS', '5'],
    ['DEBUGGER_CONNECT_TIMEOUT_MS', 'soon'],
    ['DEBUGGER_RECONNECT_GRACE_MS', String(MAX_RECONNECT_GRACE_MS + 1)],
    ['DEBUGGER_RECONNECT_GRACE_MS', '-5'],
    ['DEBUGGER_LOG_LEVEL', 'verbose'],
  ])('falls back to the default for %s=%j, with one warning naming it', (variable, value) => {
    const read = readConfig({ ...VALID, [variable]: value });
    expect(read.ok).toBe(true);
    expect(read.warnings).toHaveLength(1);
    expect(read.warnings[0]?.variable).toBe(variable);
    expect(read.warnings[0]?.message).toContain(variable);
    const fallback = readConfig(VALID);
    expect(read.ok && fallback.ok && read.config).toEqual(fallback.ok && fallback.config);
  });

  it.each([
    ['DEBUGGER_BROKER_ADDRESS', undefined, /not set/],
    ['DEBUGGER_BROKER_ADDRESS', 'ftp://x', /scheme/],
    ['DEBUGGER_FUNCTION_ID', undefined, /not set/],
    ['DEBUGGER_FUNCTION_ID', 'has space', /1 to 128 characters/],
    ['DEBUGGER_FUNCTION_ID', 'x'.repeat(129), /1 to 128 characters/],
    ['DEBUGGER_TOKEN', undefined, /not set/],
    ['DEBUGGER_TOKEN', 'two words', /malformed/],
    ['DEBUGGER_TOKEN', 't'.repeat(513), /malformed/],
  ])('is unusable when %s is %j, and says so', (variable, value, reason) => {
    const env: Record<string, string | undefined> = { ...VALID, [variable]: value };
    if (value === undefined) delete env[variable];
    const read = readConfig(env);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.problems).toHaveLength(1);
    expect(read.problems[0]?.variable).toBe(variable);
    expect(read.problems[0]?.message).toContain(variable);
    expect(read.problems[0]?.message).toMatch(reason);
  });

  it('never puts the token in a message', () => {
    const token = 'ld1.lambda.do-not-print-this';
    const reads = [
      readConfig({ ...VALID, DEBUGGER_TOKEN: `${token} ` }),
      readConfig({ ...VALID, DEBUGGER_TOKEN: token, DEBUGGER_FUNCTION_ID: '' }),
      readConfig({ ...VALID, DEBUGGER_TOKEN: token, DEBUGGER_WAIT_MS: 'x' }),
    ];
    for (const read of reads) {
      const messages = [...read.warnings, ...(read.ok ? [] : read.problems)].map(
        (problem) => problem.message,
      );
      expect(messages.length).toBeGreaterThan(0);
      for (const message of messages) expect(message).not.toContain('do-not-print-this');
    }
  });
});
