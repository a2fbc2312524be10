/**
 * The debug child and its inspector bridge, driven directly (no broker, no runtime): a real child process, a
 * real chrome-remote-interface client through a WebSocket that relays to the bridge, and raw sockets for the
 * refusal cases.
 */
import net from 'node:net';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { format } from 'node:util';
import CDP from 'chrome-remote-interface';
import type Protocol from 'devtools-protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { DebugChild } from '../src/parent/child-launcher.js';
import { BridgeFrameKind, encodeBridgeFrame, encodeControlFrame } from '../src/shared/bridge-framing.js';
import { invokeChild, serveBridge, startChild } from './support/child.js';
import { type CdpClient, FIXTURES } from './support/harness.js';

const TASK_ROOT = resolve(FIXTURES, 'bridge');

describe('the inspector bridge of a real child', () => {
  let child: DebugChild;
  let bridge: Awaited<ReturnType<typeof serveBridge>>;
  const clients: CdpClient[] = [];

  beforeAll(async () => {
    child = await startChild(TASK_ROOT, 'handler.handler');
    bridge = await serveBridge(child);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close().catch(() => undefined);
  });
  afterAll(async () => {
    await bridge.close();
    await child.shutdown();
  });

  async function connect(): Promise<CdpClient> {
    const client = (await CDP({ target: bridge.url, local: true })) as unknown as CdpClient;
    clients.push(client);
    return client;
  }

  it('listens on 127.0.0.1 only, on a port it picked', () => {
    expect(child.inspector.host).toBe('127.0.0.1');
    expect(child.inspector.port).toBeGreaterThan(0);
  });

  it('drops a connection that does not present the nonce first', async () => {
    for (const first of [
      encodeControlFrame({ type: 'hello', nonce: '00'.repeat(32) }),
      encodeBridgeFrame(
        BridgeFrameKind.Cdp,
        '{"id":1,"method":"Runtime.evaluate","params":{"expression":"1"}}',
      ),
    ]) {
      const socket = net.connect(child.inspector.port, child.inspector.host);
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.write(first);
      socket.write(
        encodeBridgeFrame(
          BridgeFrameKind.Cdp,
          '{"id":2,"method":"Runtime.evaluate","params":{"expression":"1"}}',
        ),
      );
      await new Promise<void>((closed) => socket.on('close', () => closed()));
      expect(Buffer.concat(received).length).toBe(0);
    }
  });

  it('answers in order, and passes CDP errors through with their code and message', async () => {
    const socket = new WebSocket(bridge.url);
    await new Promise<void>((open) => socket.once('open', () => open()));
    const replies: Array<{ id?: number; error?: { code: number; message: string }; result?: unknown }> = [];
    const all = new Promise<void>((done) => {
      socket.on('message', (data: Buffer) => {
        replies.push(JSON.parse(data.toString('utf8')));
        if (replies.length === 22) done();
      });
    });
    for (let id = 1; id <= 20; id += 1) {
      socket.send(
        JSON.stringify({
          id,
          method: 'Runtime.evaluate',
          params: { expression: `${id} * 2`, returnByValue: true },
        }),
      );
    }
    // Pretty-printed JSON, newlines included, is a valid CDP message.
    socket.send(JSON.stringify({ id: 21, method: 'Nope.missing' }, null, 2));
    socket.send(JSON.stringify({ id: 22, method: 'Runtime.evaluate', params: { expression: 1 } }));
    await all;
    socket.close();
    expect(replies.map((reply) => reply.id)).toEqual(Array.from({ length: 22 }, (_, index) => index + 1));
    expect(replies[4]).toEqual({
      id: 5,
      result: { result: { type: 'number', value: 10, description: '10' } },
    });
    expect(replies[20]?.error).toEqual({ code: -32601, message: "'Nope.missing' wasn't found" });
    expect(replies[21]?.error?.code).toBe(-32602);
  });

  it('pauses before the handler with reason "Break on start" in the handler file, then returns the changed result', async () => {
    const client = await connect();
    const scripts = new Map<string, string>();
    client.on('Debugger.scriptParsed', (event: Protocol.Debugger.ScriptParsedEvent) =>
      scripts.set(event.scriptId, event.url),
    );
    const paused = new Promise<Protocol.Debugger.PausedEvent>((resolvePause) =>
      client.on('Debugger.paused', resolvePause),
    );
    await client.send('Runtime.enable');
    await client.send('Debugger.enable');
    await client.send('Runtime.runIfWaitingForDebugger');
    // The bridge tells the parent the debugger is ready (the parent then starts the invocation).
    await bridge.runRequests(1);

    const outcome = invokeChild(child, { value: 21 }, { breakOnStart: true });
    const entry = await paused;
    const top = entry.callFrames[0] as Protocol.Debugger.CallFrame;
    expect(entry.reason).toBe('Break on start');
    expect(entry.hitBreakpoints).toEqual([]);
    expect(scripts.get(top.location.scriptId)).toMatch(/fixtures\/bridge\/handler\.js$/);
    expect(top.location.lineNumber).toBe(4);
    const value = (await client.send('Debugger.evaluateOnCallFrame', {
      callFrameId: top.callFrameId,
      expression: 'event.value',
      returnByValue: true,
    })) as Protocol.Debugger.EvaluateOnCallFrameResponse;
    expect(value.result.value).toBe(21);

    // Step to the return statement, change `doubled`, and let the handler return it.
    const next = new Promise<Protocol.Debugger.PausedEvent>((resolvePause) =>
      client.on('Debugger.paused', resolvePause),
    );
    await client.send('Debugger.stepOver');
    await next;
    const stepped = new Promise<Protocol.Debugger.PausedEvent>((resolvePause) =>
      client.on('Debugger.paused', resolvePause),
    );
    await client.send('Debugger.stepOver');
    const atAdd = await stepped;
    const frame = atAdd.callFrames[0] as Protocol.Debugger.CallFrame;
    expect(frame.location.lineNumber).toBe(6);
    expect(frame.scopeChain[0]?.type).toBe('local');
    await client.send('Debugger.setVariableValue', {
      scopeNumber: 0,
      variableName: 'doubled',
      newValue: { value: 1000 },
      callFrameId: frame.callFrameId,
    });
    const changed = (await client.send('Debugger.evaluateOnCallFrame', {
      callFrameId: frame.callFrameId,
      expression: 'doubled',
      returnByValue: true,
    })) as Protocol.Debugger.EvaluateOnCallFrameResponse;
    expect(changed.result.value).toBe(1000);
    await client.send('Debugger.resume');
    expect(await outcome).toEqual({ kind: 'value', json: '{"doubled":1000,"calls":1}' });
  });

  it('resumes a paused handler when the debugger disconnects', async () => {
    const client = await connect();
    const paused = new Promise<Protocol.Debugger.PausedEvent>((resolvePause) =>
      client.on('Debugger.paused', resolvePause),
    );
    await client.send('Debugger.enable');
    const outcome = invokeChild(child, { value: 1 }, { breakOnStart: true });
    await paused;
    await client.close();
    clients.splice(clients.indexOf(client), 1);
    expect(await outcome).toEqual({ kind: 'value', json: '{"doubled":2,"calls":2}' });
  });

  it('runs without a pause when no debugger has the Debugger domain enabled', async () => {
    const outcome = await invokeChild(child, { value: 2 }, { breakOnStart: true });
    expect(outcome).toEqual({ kind: 'value', json: '{"doubled":4,"calls":3}' });
  });

  it('measures round trips while paused (reported, not asserted)', async () => {
    const client = await connect();
    const paused = new Promise<Protocol.Debugger.PausedEvent>((resolvePause) =>
      client.on('Debugger.paused', resolvePause),
    );
    await client.send('Debugger.enable');
    const outcome = invokeChild(child, { value: 3 }, { breakOnStart: true });
    await paused;
    const rounds = 200;
    const started = process.hrtime.bigint();
    for (let round = 0; round < rounds; round += 1)
      await client.send('Runtime.evaluate', { expression: '1 + 1' });
    const perRoundMs = Number(process.hrtime.bigint() - started) / 1e6 / rounds;
    console.info(`inspector bridge round trip while paused: ${perRoundMs.toFixed(3)} ms (${rounds} rounds)`);
    await client.send('Debugger.resume');
    expect((await outcome).kind).toBe('value');
  });
});

describe('console calls in a real child', () => {
  let child: DebugChild;
  let bridge: Awaited<ReturnType<typeof serveBridge>>;
  let client: CdpClient | undefined;
  /** What the parent replayed through "the runtime's console", one entry per call. */
  const replayed: Array<{ level: string; text: string }> = [];
  /** Everything the child wrote to stdout and stderr. */
  const output: string[] = [];

  beforeAll(async () => {
    const replayConsole: Record<string, unknown> = {};
    for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'fatal']) {
      replayConsole[level] = (...args: unknown[]) => replayed.push({ level, text: format(...args) });
    }
    const streams = [new PassThrough(), new PassThrough()];
    for (const stream of streams) stream.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child = await startChild(
      TASK_ROOT,
      'console.handler',
      {},
      {
        console: replayConsole,
        stdout: streams[0],
        stderr: streams[1],
      },
    );
    bridge = await serveBridge(child);
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await bridge.close();
    await child.shutdown();
  });

  it("reach the debugger as Runtime.consoleAPICalled with live arguments at the handler's line, and the log once", async () => {
    client = (await CDP({ target: bridge.url, local: true })) as unknown as CdpClient;
    const connected = client;
    const calls: Protocol.Runtime.ConsoleAPICalledEvent[] = [];
    const allSeen = new Promise<void>((done) =>
      connected.on('Runtime.consoleAPICalled', (event: Protocol.Runtime.ConsoleAPICalledEvent) => {
        calls.push(event);
        if (calls.length === 7) done();
      }),
    );
    await connected.send('Runtime.enable');
    const outcome = await invokeChild(
      child,
      { name: 'lambda', nested: { list: [1, 2] } },
      { breakOnStart: false },
    );
    expect(outcome).toEqual({ kind: 'value', json: '"logged"' });
    await allSeen;

    expect(calls.map((call) => call.type)).toEqual([
      'log',
      'info',
      'warning',
      'error',
      'debug',
      'trace',
      // V8 has no `fatal`: the runtime client's extra level shows as an error.
      'error',
    ]);
    // The call site is the handler's own line, not the console forwarder inside the proxy.
    const handlerFile = /fixtures\/bridge\/console\.js$/;
    for (const [index, call] of calls.entries()) {
      const top = call.stackTrace?.callFrames[0];
      expect(top?.url).toMatch(handlerFile);
      expect(top?.lineNumber).toBe(2 + index);
    }

    const [text, event, number] = calls[0]?.args ?? [];
    expect(text).toMatchObject({ type: 'string', value: 'handling' });
    expect(number).toMatchObject({ type: 'number', value: 42 });
    expect(event).toMatchObject({ type: 'object', className: 'Object' });
    // A live object the debugger can expand, as with Node's own console.
    const properties = (await connected.send('Runtime.getProperties', {
      objectId: event?.objectId,
      ownProperties: true,
    })) as Protocol.Runtime.GetPropertiesResponse;
    const byName = new Map(properties.result.map((property) => [property.name, property.value]));
    expect(byName.get('name')).toMatchObject({ type: 'string', value: 'lambda' });
    expect(byName.get('nested')).toMatchObject({ type: 'object', objectId: expect.any(String) });
    expect(calls[3]?.args[1]).toMatchObject({ type: 'object', subtype: 'error', className: 'TypeError' });

    // The function's log gets each call once, through the parent, exactly as before; the child prints nothing.
    expect(replayed.map((entry) => entry.level)).toEqual([
      'log',
      'info',
      'warn',
      'error',
      'debug',
      'trace',
      'fatal',
    ]);
    expect(replayed[0]?.text).toBe(format('handling', { name: 'lambda', nested: { list: [1, 2] } }, 42));
    expect(output.join('')).not.toMatch(/handling|line/);
  });
});
