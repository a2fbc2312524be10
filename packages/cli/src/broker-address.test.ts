import { describe, expect, it } from 'vitest';
import {
  brokerArgument,
  isDefaultBroker,
  lambdaBrokerAddress,
  parseBrokerAddress,
  resolveDebuggerBroker,
  webSocketOrigin,
} from './broker-address.js';
import { UsageError } from './errors.js';

describe('parseBrokerAddress', () => {
  it('fills in the default port for a plain host and keeps an explicit one', () => {
    expect(parseBrokerAddress('broker.example.com', 9229, '--broker')).toEqual({
      secure: false,
      host: 'broker.example.com',
      port: 9229,
    });
    expect(parseBrokerAddress('10.0.0.5:9300', 9229, '--broker')).toEqual({
      secure: false,
      host: '10.0.0.5',
      port: 9300,
    });
    expect(parseBrokerAddress('[::1]:9230', 9229, '--broker')).toEqual({
      secure: false,
      host: '[::1]',
      port: 9230,
    });
    expect(parseBrokerAddress(' Broker.Example.COM ', 9229, '--broker').host).toBe('broker.example.com');
  });

  it('reads URLs, with the scheme deciding TLS and the same default port as a plain host', () => {
    expect(parseBrokerAddress('wss://debug.example.com', 9229, '--broker')).toEqual({
      secure: true,
      host: 'debug.example.com',
      port: 9229,
    });
    expect(parseBrokerAddress('https://debug.example.com', 9229, '--broker').port).toBe(9229);
    expect(parseBrokerAddress('ws://debug.example.com', 9229, '--broker').port).toBe(9229);
    // A port equal to the scheme's standard one is still the port written, not "no port".
    expect(parseBrokerAddress('wss://debug.example.com:443', 9229, '--broker').port).toBe(443);
    expect(parseBrokerAddress('http://[::1]:80', 9229, '--broker')).toEqual({
      secure: false,
      host: '[::1]',
      port: 80,
    });
    expect(parseBrokerAddress('wss://[::1]', 9229, '--broker').port).toBe(9229);
    expect(parseBrokerAddress('https://debug.example.com:8443/', 9229, '--broker')).toEqual({
      secure: true,
      host: 'debug.example.com',
      port: 8443,
    });
    expect(parseBrokerAddress('ws://10.1.2.3:9229', 1, '--broker')).toEqual({
      secure: false,
      host: '10.1.2.3',
      port: 9229,
    });
  });

  it.each([
    ['', 'it is empty'],
    ['::1', 'IPv6 addresses need brackets'],
    ['[zz::1]:9229', 'is not an IPv6 address'],
    ['host:0', 'is not between 1 and 65535'],
    ['host:70000', 'is not between 1 and 65535'],
    ['host:', 'is not between 1 and 65535'],
    ['bad_host!', 'is not a host name'],
    ['ftp://host', 'the scheme must be'],
    ['wss://user:pw@host', 'credentials do not belong'],
    ['wss://host/path', 'a path does not belong'],
    ['wss://host/?token=x', 'a query or fragment'],
    ['wss://host:0', 'is not between 1 and 65535'],
    ['host/path', 'is not a host name'],
  ])('refuses %j (%s) as a usage error naming the option', (input, why) => {
    let caught: unknown;
    try {
      parseBrokerAddress(input, 9229, 'LAMBDA_DEBUG_BROKER');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).message).toContain(why);
    expect((caught as UsageError).message).toContain('LAMBDA_DEBUG_BROKER');
    expect((caught as UsageError).fix).toContain('HOST:PORT');
  });
});

describe('resolveDebuggerBroker', () => {
  it('prefers --broker, then LAMBDA_DEBUG_BROKER, then localhost:9229', () => {
    const env = { LAMBDA_DEBUG_BROKER: 'env-host:9300' };
    expect(resolveDebuggerBroker('flag-host', env)).toEqual({ secure: false, host: 'flag-host', port: 9229 });
    expect(resolveDebuggerBroker(undefined, env)).toEqual({ secure: false, host: 'env-host', port: 9300 });
    expect(resolveDebuggerBroker(undefined, { LAMBDA_DEBUG_BROKER: '  ' })).toEqual({
      secure: false,
      host: 'localhost',
      port: 9229,
    });
    expect(isDefaultBroker(resolveDebuggerBroker(undefined, {}))).toBe(true);
  });

  it('names the environment variable when its value is wrong', () => {
    expect(() => resolveDebuggerBroker(undefined, { LAMBDA_DEBUG_BROKER: 'a b' })).toThrow(
      /LAMBDA_DEBUG_BROKER/,
    );
  });
});

describe('addresses written back out', () => {
  it('always carry their port, so they parse back to the same address', () => {
    const tls = parseBrokerAddress('wss://debug.example.com', 9229, '--broker');
    expect(webSocketOrigin(tls)).toBe('wss://debug.example.com:9229');
    expect(brokerArgument(tls)).toBe('wss://debug.example.com:9229');
    const tls443 = parseBrokerAddress('https://debug.example.com:443', 9229, '--broker');
    expect(webSocketOrigin(tls443)).toBe('wss://debug.example.com:443');
    expect(parseBrokerAddress(brokerArgument(tls443), 9229, '--broker')).toEqual(tls443);
    const plain80 = parseBrokerAddress('host:80', 9229, '--broker');
    expect(webSocketOrigin(plain80)).toBe('ws://host:80');
    expect(parseBrokerAddress(brokerArgument(plain80), 9229, '--broker')).toEqual(plain80);
  });
});

describe('lambdaBrokerAddress', () => {
  it('gives host:port with the Lambda port by default, and ws/wss URLs with their path and an explicit port', () => {
    expect(lambdaBrokerAddress('broker.example.com')).toBe('broker.example.com:8080');
    expect(lambdaBrokerAddress('10.0.0.5:9000')).toBe('10.0.0.5:9000');
    expect(lambdaBrokerAddress('wss://debug.example.com:443/lambda')).toBe(
      'wss://debug.example.com:443/lambda',
    );
    expect(lambdaBrokerAddress('wss://debug.example.com/lambda')).toBe('wss://debug.example.com:8080/lambda');
    expect(lambdaBrokerAddress('ws://[::1]')).toBe('ws://[::1]:8080');
    expect(lambdaBrokerAddress('ws://[::1]:9000')).toBe('ws://[::1]:9000');
    expect(lambdaBrokerAddress('wss://debug.example.com')).toBe('wss://debug.example.com:8080');
    // The function speaks WebSocket: an https:// address is the same broker, written as wss://.
    expect(lambdaBrokerAddress('https://debug.example.com:443')).toBe('wss://debug.example.com:443');
    expect(lambdaBrokerAddress('http://debug.example.com')).toBe('ws://debug.example.com:8080');
    expect(() => lambdaBrokerAddress('ftp://debug.example.com')).toThrow(/scheme must be/);
  });
});
