/**
 * The inspector bridge's own worker thread is invisible to debuggers: `NodeWorker.enable` does not report it,
 * commands aimed at it (by guessed session ids) reach nothing, so no debugger action can pause the thread that
 * carries every message. Workers the handler starts stay fully debuggable. Driven with a raw CDP client over a
 * real child, as js-debug drives it (`NodeWorker.enable`, then messages wrapped in `sendMessageToWorker`).
 */
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DebugChild } from '../src/parent/child-launcher.js';
import { invokeChild, serveBridge, startChild } from './support/child.js';
import { FIXTURES } from './support/harness.js';
import { type CdpMessage, RawCdpClient } from './support/raw-cdp-client.js';

const TASK_ROOT = resolve(FIXTURES, 'bridge');

/** A message from a worker session, as `NodeWorker.receivedMessageFromWorker` carries it. */
function innerMessage(event: CdpMessage): CdpMessage {
  return JSON.parse(String(event.params?.message)) as CdpMessage;
}

describe("the inspector bridge's own worker", () => {
  let child: DebugChild;
  let bridge: Awaited<ReturnType<typeof serveBridge>>;
  const clients: RawCdpClient[] = [];

  beforeAll(async () => {
    child = await startChild(TASK_ROOT, 'worker.handler');
    bridge = await serveBridge(child);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
  });
  afterAll(async () => {
    await bridge.close();
    await child.shutdown();
  });

  async function connect(): Promise<RawCdpClient> {
    const client = await RawCdpClient.open(bridge.url);
    clients.push(client);
    return client;
  }

  it('is not reported by NodeWorker.enable, and guessed session ids reach nothing', async () => {
    const client = await connect();
    const enabled = await client.send('NodeWorker.enable', { waitForDebuggerOnStart: false });
    expect(enabled).toMatchObject({ result: {} });
    // Node reports the workers that exist before it answers `enable`: the bridge is the only one, and hidden.
    expect(client.events.filter((event) => event.method?.startsWith('NodeWorker.'))).toEqual([]);

    // What pausing "[worker 1]" from VS Code sends, aimed at every session id Node could have given it.
    for (const sessionId of ['1', '2', '3']) {
      for (const message of [
        { id: 1, method: 'Debugger.enable' },
        { id: 2, method: 'Debugger.pause' },
      ]) {
        const reply = await client.send('NodeWorker.sendMessageToWorker', {
          sessionId,
          message: JSON.stringify(message),
        });
        expect(reply).toEqual({ id: expect.any(Number), result: {} });
      }
    }
    expect(client.events.filter((event) => event.method?.startsWith('NodeWorker.'))).toEqual([]);

    // The bridge still carries everything: the pause before the handler arrives and the invocation completes.
    await client.send('Debugger.enable');
    const outcome = invokeChild(child, { value: 4 }, { breakOnStart: true });
    const paused = await client.event((event) => event.method === 'Debugger.paused');
    expect(paused.params?.reason).toBe('Break on start');
    expect(await client.send('Runtime.evaluate', { expression: '6 * 7', returnByValue: true })).toMatchObject(
      {
        result: { result: { value: 42 } },
      },
    );
    await client.send('Debugger.resume');
    expect(await outcome).toEqual({ kind: 'value', json: '{"fromWorker":8}' });
  });

  it("leaves the handler's own worker debuggable: attached, stopped at its start and at a breakpoint, resumed", async () => {
    const client = await connect();
    await client.send('NodeWorker.enable', { waitForDebuggerOnStart: true });
    const outcome = invokeChild(child, { value: 10 }, { breakOnStart: false });

    const attached = await client.event((event) => event.method === 'NodeWorker.attachedToWorker');
    const workerInfo = attached.params?.workerInfo as { url?: string };
    expect(workerInfo.url).toMatch(/fixtures\/bridge\/worker-task\.js$/);
    expect(attached.params?.waitingForDebugger).toBe(true);
    const sessionId = String(attached.params?.sessionId);
    const toWorker = (message: CdpMessage) =>
      client.send('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify(message) });
    const fromWorker = (match: (message: CdpMessage) => boolean) =>
      client.event(
        (event) =>
          event.method === 'NodeWorker.receivedMessageFromWorker' &&
          event.params?.sessionId === sessionId &&
          match(innerMessage(event)),
      );

    await toWorker({ id: 1, method: 'Debugger.enable' });
    await fromWorker((message) => message.id === 1);
    // `const doubled = workerData * 2;` is line 3 (0-based) of the worker's file.
    await toWorker({
      id: 2,
      method: 'Debugger.setBreakpointByUrl',
      params: { urlRegex: 'worker-task\\.js$', lineNumber: 3 },
    });
    await fromWorker((message) => message.id === 2);
    await toWorker({ id: 3, method: 'Runtime.runIfWaitingForDebugger' });
    const scriptUrl = async (scriptId: unknown) =>
      innerMessage(
        await fromWorker(
          (message) => message.method === 'Debugger.scriptParsed' && message.params?.scriptId === scriptId,
        ),
      ).params?.url;
    // A worker that waited for its debugger stops before its first statement, as `--inspect-brk` does.
    const onStart = innerMessage(await fromWorker((message) => message.method === 'Debugger.paused'));
    const startFrames = onStart.params?.callFrames as Array<{ location: { scriptId: string } }>;
    expect(onStart.params?.reason).toBe('Break on start');
    expect(await scriptUrl(startFrames[0]?.location.scriptId)).toMatch(/worker-task\.js$/);
    await toWorker({ id: 4, method: 'Debugger.resume' });

    const atLine = innerMessage(
      await fromWorker(
        (message) =>
          message.method === 'Debugger.paused' &&
          Array.isArray(message.params?.hitBreakpoints) &&
          (message.params.hitBreakpoints as unknown[]).length > 0,
      ),
    );
    const frames = atLine.params?.callFrames as Array<{
      callFrameId: string;
      location: { lineNumber: number };
    }>;
    expect(frames[0]?.location.lineNumber).toBe(3);
    await toWorker({
      id: 5,
      method: 'Debugger.evaluateOnCallFrame',
      params: { callFrameId: frames[0]?.callFrameId, expression: 'workerData', returnByValue: true },
    });
    const evaluated = innerMessage(await fromWorker((message) => message.id === 5));
    expect(evaluated.result).toMatchObject({ result: { value: 10 } });
    await toWorker({ id: 6, method: 'Debugger.resume' });

    expect(await outcome).toEqual({ kind: 'value', json: '{"fromWorker":20}' });
    // Only the handler's worker was ever reported.
    const reported = client.events
      .filter((event) => event.method === 'NodeWorker.attachedToWorker')
      .map((event) => (event.params?.workerInfo as { url?: string } | undefined)?.url);
    expect(reported).toEqual([expect.stringMatching(/worker-task\.js$/)]);
  });
});

describe('a reused child', () => {
  let child: DebugChild;
  let bridge: Awaited<ReturnType<typeof serveBridge>>;

  beforeAll(async () => {
    child = await startChild(TASK_ROOT, 'console.handler', { NODE_OPTIONS: '--max-http-header-size=16384' });
    bridge = await serveBridge(child);
  });
  afterAll(async () => {
    await bridge.close();
    await child.shutdown();
  });

  it("shows a new debugger only its own invocation's console, and undoes a debugger's NODE_OPTIONS edit", async () => {
    const first = await RawCdpClient.open(bridge.url);
    await first.send('Runtime.enable');
    // What js-debug's auto-attach does to its target.
    await first.send('Runtime.evaluate', {
      expression:
        "process.env.NODE_OPTIONS += ' --require /home/dev/.vscode/bootloader.js'; process.env.VSCODE_INSPECTOR_OPTIONS = '{}'",
    });
    expect(await invokeChild(child, { n: 1 }, { breakOnStart: false })).toEqual({
      kind: 'value',
      json: '"logged"',
    });
    await first.event((event) => event.params?.type === 'error' && first.events.length >= 7);
    await first.close();

    const second = await RawCdpClient.open(bridge.url);
    await second.send('Runtime.enable');
    // V8 replays stored console messages before it answers `Runtime.enable`: none are left from the first.
    expect(second.events.filter((event) => event.method === 'Runtime.consoleAPICalled')).toEqual([]);
    const environment = await second.send('Runtime.evaluate', {
      expression: 'JSON.stringify([process.env.NODE_OPTIONS, process.env.VSCODE_INSPECTOR_OPTIONS ?? null])',
      returnByValue: true,
    });
    expect(
      JSON.parse(String((environment.result?.result as { value?: unknown } | undefined)?.value)),
    ).toEqual(['--max-http-header-size=16384', null]);

    expect((await invokeChild(child, { n: 2 }, { breakOnStart: false })).kind).toBe('value');
    const own = await second.event(
      (event) => event.method === 'Runtime.consoleAPICalled' && event.params?.type === 'log',
    );
    expect(own.params?.args).toEqual(
      expect.arrayContaining([expect.objectContaining({ value: 'handling' })]),
    );
    await second.close();
  });
});
