import { afterEach, describe, expect, it } from 'vitest';
import { type FakeProxy, type TestDebugger, TestScope } from './helpers.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

const FUNCTIONS = 50;
const INVOCATIONS_PER_FUNCTION = 4;
const COMMANDS_PER_DEBUGGER = 10;

describe('many sessions at once', () => {
  it(`relays ${FUNCTIONS * INVOCATIONS_PER_FUNCTION} simultaneous sessions without cross-talk`, async () => {
    // Every client runs on loopback: one address, so the per-address caps are raised with the session count.
    const test = await scope.broker({
      limits: {
        maxSessions: 1000,
        maxLambdaConnectionsPerAddress: 2000,
        maxDebuggerConnectionsPerAddress: 2000,
      },
    });

    // Every invocation on its own link, several per function, all registered before any debugger comes.
    const proxies: FakeProxy[] = [];
    const functionIds = Array.from({ length: FUNCTIONS }, (_, index) => `fn-${index}`);
    await Promise.all(
      functionIds.flatMap((functionId) =>
        Array.from({ length: INVOCATIONS_PER_FUNCTION }, async () => {
          const proxy = await scope.proxy(test, functionId);
          proxy.autoReply = true;
          await proxy.register();
          proxies.push(proxy);
        }),
      ),
    );
    expect(test.broker.stats().sessions).toBe(FUNCTIONS * INVOCATIONS_PER_FUNCTION);

    // Each debugger asks only for its function; each must get a different invocation of it.
    const debuggers: { dbg: TestDebugger; tag: string }[] = await Promise.all(
      functionIds.flatMap((functionId) =>
        Array.from({ length: INVOCATIONS_PER_FUNCTION }, async (_, index) => ({
          dbg: await scope.debugger(test, functionId),
          tag: `${functionId}.${index}`,
        })),
      ),
    );
    const attached = test.broker.sessions().filter((session) => session.state === 'attached');
    expect(attached).toHaveLength(FUNCTIONS * INVOCATIONS_PER_FUNCTION);

    // Everyone talks at once; each reply must carry the sender's own method back.
    await Promise.all(
      debuggers.map(async ({ dbg, tag }) => {
        for (let id = 1; id <= COMMANDS_PER_DEBUGGER; id += 1) dbg.send({ id, method: `Test.${tag}.${id}` });
        for (let id = 1; id <= COMMANDS_PER_DEBUGGER; id += 1) {
          expect(await dbg.reply(id)).toEqual({ id, result: { echo: `Test.${tag}.${id}` } });
        }
      }),
    );

    // Each proxy ends its invocation; every debugger is told and closed, nothing is left.
    for (const proxy of proxies) {
      for (const session of test.broker.sessions().filter((s) => s.functionId === proxy.functionId)) {
        proxy.end(session.sessionId, 'completed');
      }
    }
    await Promise.all(debuggers.map(({ dbg }) => dbg.closed));
    expect(test.broker.stats().sessions).toBe(0);
  });
});
