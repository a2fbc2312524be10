/**
 * Real debugger clients (`node inspect`, chrome-remote-interface) through the broker to a real Node
 * inspector. The proxy here is the test's own: it relays CDP payloads between the broker link and a child
 * started with `--inspect-brk`, so the broker is the only component under test.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import CDP from 'chrome-remote-interface';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { deriveToken } from '../src/index.js';
import { type FakeProxy, type TestBroker, TestScope, WAIT_BOUND_MS } from './helpers.js';

const scope = new TestScope();
const children = new Set<ChildProcessWithoutNullStreams>();

afterEach(async () => {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          children.delete(child);
          if (child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
          }
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  await scope.cleanup();
});

/** Starts a Node child paused on its first line, and resolves with its inspector's WebSocket URL. */
async function startInspectedChild(): Promise<string> {
  const script = 'const answer = 6 * 7;\nsetInterval(() => {}, 1000);\n';
  const child = spawn(process.execPath, ['--inspect-brk=127.0.0.1:0', '-e', script]);
  children.add(child);
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /Debugger listening on (ws:\/\/\S+)/.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`inspected child exited early (${code}): ${stderr}`)));
  });
}

/**
 * Registers an invocation and, once a debugger attaches, relays its CDP payloads to and from the inspector
 * at `inspectorUrl`, byte for byte.
 */
async function relayInvocationToInspector(test: TestBroker, functionId: string, inspectorUrl: string) {
  const proxy: FakeProxy = await scope.proxy(test, functionId);
  const { sessionId } = await proxy.register();
  const inspector = scope.track({
    ws: new WebSocket(inspectorUrl, { perMessageDeflate: false }),
    close() {
      this.ws.close();
      return new Promise((resolve) => {
        if (this.ws.readyState === WebSocket.CLOSED) resolve(undefined);
        else this.ws.once('close', resolve);
      });
    },
  }).ws;
  await new Promise((resolve) => inspector.once('open', resolve));
  inspector.on('message', (data: Buffer) => proxy.sendCdp(sessionId, data.toString('utf8')));
  const pump = async () => {
    for (;;) {
      const frame = await proxy.cdp.next(() => true, 60_000).catch(() => undefined);
      if (!frame || inspector.readyState !== WebSocket.OPEN) return;
      inspector.send(frame.payload);
    }
  };
  void pump();
  return { proxy, sessionId };
}

/** Runs `node inspect host:port` and lets a test send lines once the `debug>` prompt is shown. */
function nodeInspect(port: number) {
  const child = spawn(process.execPath, ['inspect', `127.0.0.1:${port}`]);
  children.add(child);
  let output = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  const onOutput = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const waiter of [...waiters]) {
      if (output.includes(waiter.text)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  return {
    child,
    get output() {
      return output;
    },
    /** Resolves once `text` has appeared in the output (from the start); fails with the output after a bound. */
    waitFor(text: string): Promise<void> {
      if (output.includes(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`node inspect never printed ${JSON.stringify(text)}; output:\n${output}`)),
          WAIT_BOUND_MS,
        );
        waiters.push({
          text,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    send(line: string) {
      child.stdin.write(`${line}\n`);
    },
  };
}

describe('real debugger clients through the broker', () => {
  it('`node inspect host:port` discovers the session, evaluates in the function, and survives heartbeats', async () => {
    // `node inspect` cannot send a token (the CLI's tunnel serves it); this broker runs without auth.
    const test = await scope.broker({
      auth: false,
      limits: { heartbeatIntervalMs: 20, heartbeatTimeoutMs: 2_000 },
    });
    const inspectorUrl = await startInspectedChild();
    const { proxy } = await relayInvocationToInspector(test, 'inspected', inspectorUrl);

    const client = nodeInspect(test.broker.debuggerAddress.port);
    await client.waitFor('Break on start');
    client.send("exec 'kind=' + typeof process");
    await client.waitFor("'kind=object'");

    // Several heartbeat rounds pass; the broker pings the proxy but never `node inspect`.
    let pings = 0;
    await new Promise<void>((resolve) =>
      proxy.ws.on('ping', () => {
        pings += 1;
        if (pings === 10) resolve();
      }),
    );
    client.send('n');
    await client.waitFor('> 2 setInterval');
    client.send("exec 'answer=' + answer");
    await client.waitFor("'answer=42'");
    expect(client.output).not.toContain('Unsupported op code');
    expect(client.child.exitCode).toBeNull();
  });

  it('chrome-remote-interface attaches with its token, evaluates, and receives events', async () => {
    const test = await scope.broker();
    const inspectorUrl = await startInspectedChild();
    await relayInvocationToInspector(test, 'remote', inspectorUrl);
    const token = deriveToken(test.secret ?? '', 'debugger', 'remote');
    const client = await CDP({
      target: `ws://127.0.0.1:${test.broker.debuggerAddress.port}/remote?token=${token}`,
      local: true,
    });
    scope.track({ close: () => client.close() });

    const paused = new Promise<{ reason: string }>((resolve) => client.Debugger.paused(resolve));
    await client.Runtime.enable();
    await client.Debugger.enable();
    await client.Runtime.runIfWaitingForDebugger();
    expect((await paused).reason).toBe('Break on start');
    const { result } = await client.Runtime.evaluate({ expression: '6 * 7' });
    expect(result).toMatchObject({ type: 'number', value: 42 });
  });
});
