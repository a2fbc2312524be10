/**
 * Tools for tests that drive the debug child directly: start it from the built entry point, invoke it over
 * IPC as the parent does, and serve its inspector bridge over a WebSocket so chrome-remote-interface can use it.
 */
import { resolve } from 'node:path';
import type { ContextSnapshot, InvocationOutcome } from '@lambda-debug/shim-protocol';
import { WebSocketServer } from 'ws';
import { BridgeClient } from '../../src/parent/bridge-client.js';
import { CdpRelay } from '../../src/parent/cdp-relay.js';
import { type ChildStartOptions, DebugChild } from '../../src/parent/child-launcher.js';
import { ProxyLogger } from '../../src/parent/proxy-log.js';
import { snapshotContext } from '../../src/shared/context-shim.js';
import { PROXY_ROOT } from './harness.js';

/** The built child entry point (children are real Node processes and cannot run TypeScript sources). */
export const CHILD_ENTRY = resolve(PROXY_ROOT, 'dist', 'child', 'child-entry.js');

/** A logger whose lines the test can read. */
export function capturingLogger(): { logger: ProxyLogger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new ProxyLogger((level, line) => lines.push(`${level} ${line}`), 'debug'), lines };
}

/** Starts a debug child for `handlerString` in `taskRoot`; `overrides` replace the test defaults. */
export function startChild(
  taskRoot: string,
  handlerString: string,
  env: NodeJS.ProcessEnv = {},
  overrides: Partial<ChildStartOptions> = {},
): Promise<DebugChild> {
  return DebugChild.start({
    handlerString,
    logger: capturingLogger().logger,
    timeoutMs: 20_000,
    entryPath: CHILD_ENTRY,
    cwd: taskRoot,
    execArgv: [],
    env: {
      PATH: process.env.PATH,
      LAMBDA_TASK_ROOT: taskRoot,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      ...env,
    },
    ...overrides,
  });
}

/** A Lambda `context` as the runtime would pass it, with a live deadline `remainingMs` from now. */
export function lambdaContext(requestId = 'req-1', remainingMs = 60_000) {
  const deadlineMs = Date.now() + remainingMs;
  return {
    awsRequestId: requestId,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test',
    functionName: 'test',
    functionVersion: '$LATEST',
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/test',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => deadlineMs - Date.now(),
  };
}

/** A context snapshot as the parent would send it. */
export function contextSnapshot(requestId = 'req-1', remainingMs = 60_000): ContextSnapshot {
  return snapshotContext(lambdaContext(requestId, remainingMs));
}

let invocationId = 1000;

/** Sends `invoke` and resolves with the outcome the child reports. */
export function invokeChild(
  child: DebugChild,
  event: unknown,
  options: { breakOnStart: boolean; convention?: 'callback' | 'promise' },
): Promise<InvocationOutcome> {
  const id = invocationId++;
  return new Promise((resolveOutcome, reject) => {
    child.setMessageListener((message) => {
      if (message.type === 'result' && message.invocationId === id) resolveOutcome(message.outcome);
    });
    void child.exited().then((exit) => reject(new Error(`child exited: ${JSON.stringify(exit)}`)));
    child.send({
      type: 'invoke',
      invocationId: id,
      event,
      context: contextSnapshot(),
      breakOnStart: options.breakOnStart,
      convention: options.convention ?? 'promise',
      receiverName: 'BufferedInvokeProcessor',
    });
  });
}

/** The child's inspector bridge as a WebSocket endpoint: one bridge connection per WebSocket, through a relay. */
export async function serveBridge(child: DebugChild): Promise<{
  url: string;
  /** Resolves once the bridges have reported `count` run requests in total. */
  runRequests: (count: number) => Promise<void>;
  close: () => Promise<void>;
}> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((ready) => server.once('listening', () => ready()));
  let runRequests = 0;
  const runWaiters: Array<{ count: number; resolve: () => void }> = [];
  const relays = new Set<CdpRelay>();
  server.on('connection', (socket) => {
    const relay = new CdpRelay();
    relays.add(relay);
    socket.on('message', (data: Buffer) => relay.fromDebugger(Buffer.from(data)));
    socket.on('close', () => {
      relay.close();
      relays.delete(relay);
    });
    void BridgeClient.connect(
      child.inspector,
      child.nonce,
      {
        onCdp: (payload) => socket.send(payload.toString('utf8')),
        onRunRequested: () => {
          runRequests += 1;
          for (const waiter of runWaiters.filter((candidate) => candidate.count <= runRequests)) {
            runWaiters.splice(runWaiters.indexOf(waiter), 1);
            waiter.resolve();
          }
        },
        onClose: () => socket.close(),
      },
      10_000,
    ).then((bridge) => relay.connect(bridge));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `ws://127.0.0.1:${port}/`,
    runRequests: (count) =>
      count <= runRequests
        ? Promise.resolve()
        : new Promise((resolve) => runWaiters.push({ count, resolve })),
    close: async () => {
      for (const relay of relays) relay.close();
      for (const client of server.clients) client.terminate();
      await new Promise<void>((closed) => server.close(() => closed()));
    },
  };
}
