import { describe, expect, it } from 'vitest';
import { buildFunctionEnvironment, formatFunctionEnvironment } from './function-environment.js';
import { shellQuote } from './shell.js';

const variables = buildFunctionEnvironment('orders-api', 'broker.example.com:8080', 'ld1.lambda.abc_-');

describe('buildFunctionEnvironment', () => {
  it('holds the four variables the proxy reads, in order', () => {
    expect(Object.keys(variables)).toEqual([
      'DEBUGGER_ACTIVE',
      'DEBUGGER_BROKER_ADDRESS',
      'DEBUGGER_FUNCTION_ID',
      'DEBUGGER_TOKEN',
    ]);
    expect(variables.DEBUGGER_ACTIVE).toBe('true');
    expect(buildFunctionEnvironment('f', 'h:8080', undefined)).not.toHaveProperty('DEBUGGER_TOKEN');
  });
});

describe('formatFunctionEnvironment', () => {
  it('prints dotenv lines and a reminder to raise the timeout', () => {
    const text = formatFunctionEnvironment(variables, 'dotenv', 'orders');
    expect(text.split('\n').slice(0, 4)).toEqual([
      'DEBUGGER_ACTIVE=true',
      'DEBUGGER_BROKER_ADDRESS=broker.example.com:8080',
      'DEBUGGER_FUNCTION_ID=orders-api',
      'DEBUGGER_TOKEN=ld1.lambda.abc_-',
    ]);
    expect(text).toContain('# Raise the function');
    expect(text).toContain('--function-name orders --timeout 900');
  });

  it('prints shell exports', () => {
    expect(formatFunctionEnvironment(variables, 'shell', 'orders')).toContain(
      'export DEBUGGER_FUNCTION_ID=orders-api\n',
    );
  });

  it('prints only the variables as JSON', () => {
    expect(JSON.parse(formatFunctionEnvironment(variables, 'json', 'orders'))).toEqual(variables);
  });

  it('prints an aws command whose --environment is the variables, with a warning and a merge recipe', () => {
    const text = formatFunctionEnvironment(variables, 'aws-cli', 'orders');
    const command = text
      .split('\n')
      .find((line) => line.startsWith('aws lambda update-function-configuration'));
    expect(command).toBeDefined();
    const match = /--function-name orders --environment '(.*)'$/.exec(command ?? '');
    expect(JSON.parse(match?.[1] ?? 'null')).toEqual({ Variables: variables });
    expect(text).toContain('REPLACES');
    expect(text).toContain("jq -s '{Variables: (.[0] + .[1])}'");
    expect(text).toContain('--timeout 900');
  });
});

describe('shellQuote', () => {
  it('leaves safe words alone and single-quotes the rest', () => {
    expect(shellQuote('wss://h.example.com:443/x')).toBe('wss://h.example.com:443/x');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('')).toBe("''");
  });
});
