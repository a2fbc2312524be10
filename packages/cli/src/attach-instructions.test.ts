import { deriveToken, generateSecret } from '@lambda-debug/broker';
import { describe, expect, it } from 'vitest';
import { buildAttachInstructions, formatAttachInstructions } from './attach-instructions.js';
import { parseBrokerAddress } from './broker-address.js';
import { createPalette } from './output.js';

const secret = generateSecret();
const token = deriveToken(secret, 'debugger', 'orders-api');
const local = parseBrokerAddress('localhost', 9229, '--broker');

describe('buildAttachInstructions', () => {
  it('builds the WebSocket and DevTools URLs with the token, as the contract shows them', () => {
    const built = buildAttachInstructions('orders-api', local, token);
    expect(built.ws).toBe(`ws://localhost:9229/orders-api?token=${token}`);
    expect(built.devtools).toBe(
      `devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=localhost:9229/orders-api?token=${token}`,
    );
    // DevTools reads ws= with URLSearchParams: the whole target, token included, must survive that.
    expect(new URL(built.devtools).searchParams.get('ws')).toBe(`localhost:9229/orders-api?token=${token}`);
  });

  it('uses wss= and wss:// for a TLS broker, with the debugger port when none is written', () => {
    const built = buildAttachInstructions(
      'orders-api',
      parseBrokerAddress('wss://debug.example.com', 9229, 'x'),
      token,
    );
    expect(built.ws).toBe(`wss://debug.example.com:9229/orders-api?token=${token}`);
    expect(new URL(built.devtools).searchParams.get('wss')).toBe(
      `debug.example.com:9229/orders-api?token=${token}`,
    );
    expect(new URL(built.devtools).searchParams.has('ws')).toBe(false);
    expect(built.inspect.command).toBe(
      'lambda-debug tunnel --fn orders-api --broker wss://debug.example.com:9229',
    );
    const behind443 = buildAttachInstructions(
      'orders-api',
      parseBrokerAddress('https://debug.example.com:443', 9229, 'x'),
      token,
    );
    expect(behind443.ws).toBe(`wss://debug.example.com:443/orders-api?token=${token}`);
  });

  it('points chrome://inspect at a tunnel, naming the broker only when it is not the default', () => {
    expect(buildAttachInstructions('f', local, token).inspect).toEqual({
      target: 'localhost:9229',
      command: 'lambda-debug tunnel --fn f',
    });
    const other = parseBrokerAddress('10.0.0.9:9300', 9229, 'x');
    expect(buildAttachInstructions('f', other, undefined).inspect.command).toBe(
      'lambda-debug tunnel --fn f --broker 10.0.0.9:9300 --no-auth',
    );
  });

  it('gives VS Code a websocket attach that leaves child processes alone', () => {
    const { vscode, ws } = buildAttachInstructions('orders-api', local, token);
    expect(vscode).toMatchObject({
      type: 'node',
      request: 'attach',
      websocketAddress: ws,
      autoAttachChildProcesses: false,
      remoteRoot: '/var/task',
    });
  });

  it('leaves the token out for a broker without auth', () => {
    const built = buildAttachInstructions('orders-api', local, undefined);
    expect(built.ws).toBe('ws://localhost:9229/orders-api');
    expect(JSON.stringify(built)).not.toContain('token');
  });
});

describe('formatAttachInstructions', () => {
  it('shows every way to attach and warns that the URLs carry a token', () => {
    const built = buildAttachInstructions('orders-api', local, token);
    const text = formatAttachInstructions(built, 'orders-api', local, createPalette(false));
    expect(text).toContain(built.devtools);
    expect(text).toContain(built.ws);
    expect(text).toContain('run `lambda-debug tunnel --fn orders-api`, then add localhost:9229');
    expect(text).toContain('`node inspect localhost:9229`');
    expect(text).toContain('"autoAttachChildProcesses": false');
    expect(text).toContain('carry a token');
    expect(
      formatAttachInstructions(
        buildAttachInstructions('f', local, undefined),
        'f',
        local,
        createPalette(false),
      ),
    ).not.toContain('carry a token');
  });
});
