/**
 * `lambda-debug sessions` against a real broker: the list, `--json`, and `--follow` printing a registration,
 * an attach and an end as an invocation goes through (a test client plays the proxy and the debugger).
 */
import type { SessionEvent, SessionListResponse } from '@lambda-debug/shim-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestBroker, TestScope } from '../../broker/test/helpers.js';
import { CliProcess, runCli, stopAllCliProcesses } from './cli-process.js';

const scope = new TestScope();

afterEach(async () => {
  await stopAllCliProcesses();
  await scope.cleanup();
});

function args(test: TestBroker, ...rest: string[]): string[] {
  return ['sessions', '--broker', `127.0.0.1:${test.broker.debuggerAddress.port}`, ...rest];
}

function envFor(test: TestBroker): Record<string, string> {
  return test.secret === undefined ? {} : { LAMBDA_DEBUG_SECRET: test.secret };
}

describe('lambda-debug sessions', () => {
  it('lists live sessions as a table and as JSON', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'orders-api');
    const { sessionId, requestId } = await proxy.register({ deadlineMs: Date.now() + 300_000 });

    const json = await runCli(args(test, '--json'), envFor(test));
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout) as SessionListResponse;
    expect(list.sessions).toHaveLength(1);
    expect(list.sessions[0]).toMatchObject({
      sessionId,
      requestId,
      functionId: 'orders-api',
      state: 'waiting',
    });

    const table = await runCli(args(test), envFor(test));
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^FUNCTION\s+REQUEST\s+STATE\s+LEFT\s+DEBUGGER$/);
    expect(row).toMatch(new RegExp(`^orders-api\\s+${requestId}\\s+waiting\\s+[45]m \\d\\ds\\s+-$`));
  });

  it('says when there is nothing to show', async () => {
    const test = await scope.broker();
    const result = await runCli(args(test), envFor(test));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `No live sessions on the broker at 127.0.0.1:${test.broker.debuggerAddress.port}.`,
    );
    expect(JSON.parse((await runCli(args(test, '--json'), envFor(test))).stdout)).toEqual({ sessions: [] });
  });

  it('follows a session from registration to attach to end, then stops on Ctrl+C with exit 0', async () => {
    const test = await scope.broker();
    const cli = CliProcess.start(args(test, '--follow'), envFor(test));
    await cli.line(/Watching sessions on the broker/, 'stderr');

    const proxy = await scope.proxy(test, 'orders-api');
    const { sessionId, requestId } = await proxy.register();
    expect(await cli.line(/registered/)).toMatch(
      new RegExp(
        `registered\\s+orders-api\\s+request ${requestId}\\s+waiting for a debugger, [45]m \\d\\ds left`,
      ),
    );

    const debuggerClient = await scope.debugger(test, 'orders-api');
    await proxy.nextControl('debugger-attached', sessionId);
    expect(await cli.line(/attached/)).toMatch(
      new RegExp(
        `attached\\s+orders-api\\s+request ${requestId}\\s+debugger 127\\.0\\.0\\.1:\\d+, [45]m \\d\\ds left`,
      ),
    );

    proxy.end(sessionId, 'completed');
    await debuggerClient.closed;
    expect(await cli.line(/ended/)).toMatch(
      new RegExp(`ended\\s+orders-api\\s+request ${requestId}\\s+completed$`),
    );

    expect(await cli.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });

  it('streams NDJSON with --follow --json, starting with the sessions that already exist', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'billing');
    const existing = await proxy.register();
    const cli = CliProcess.start(args(test, '--follow', '--json'), envFor(test));
    const first = await cli.json<SessionEvent>();
    expect(first).toMatchObject({
      type: 'session-registered',
      session: { sessionId: existing.sessionId, state: 'waiting' },
    });

    await scope.debugger(test, 'billing');
    const attached = await cli.json<SessionEvent>();
    expect(attached).toMatchObject({
      type: 'debugger-attached',
      session: {
        sessionId: existing.sessionId,
        state: 'attached',
        debuggerAddress: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      },
    });
    proxy.end(existing.sessionId, 'completed');
    const ended = await cli.json<SessionEvent>();
    expect(ended).toMatchObject({
      type: 'session-ended',
      session: { state: 'ended', endReason: 'completed' },
    });
    expect(typeof ended.atMs).toBe('number');
    expect(await cli.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('stops quietly with exit 0 when its reader goes away (| head -1)', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'orders-api');
    await proxy.register();
    const cli = CliProcess.start(args(test, '--follow', '--json'), envFor(test));
    await cli.json<SessionEvent>();
    cli.child.stdout?.destroy();
    await proxy.register();
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.transcript).not.toContain('EPIPE');
  });

  it('fails with exit 1 when the broker stops while following', async () => {
    const test = await scope.broker();
    const cli = CliProcess.start(args(test, '--follow'), envFor(test));
    await cli.line(/Watching sessions/, 'stderr');
    await test.broker.close();
    const line = await cli.line(/closed the event stream/, 'stderr');
    expect(line).toMatch(
      /^lambda-debug: the broker at 127\.0\.0\.1:\d+ closed the event stream \(1001 GOING_AWAY: broker shutting down\)\. Run `lambda-debug sessions --follow --broker 127\.0\.0\.1:\d+` again/,
    );
    expect((await cli.exited).code).toBe(1);
  });

  it('refuses a wrong secret with exit 1, for the list and for --follow, without echoing a token', async () => {
    const test = await scope.broker();
    const wrong = { LAMBDA_DEBUG_SECRET: 'another-secret-that-is-long-enough' };
    for (const extra of [[], ['--follow']]) {
      const result = await runCli(args(test, ...extra), wrong);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^lambda-debug: the broker at 127\.0\.0\.1:\d+ refused the admin token for \/admin\/(sessions|events) \(HTTP 401\)\. Check that LAMBDA_DEBUG_SECRET is the broker's secret/,
      );
      expect(result.stderr).not.toContain('ld1.');
    }
  });

  it('works with --no-auth against a broker without auth', async () => {
    const test = await scope.broker({ auth: false });
    const proxy = await scope.proxy(test, 'open-fn');
    await proxy.register();
    const result = await runCli(args(test, '--no-auth', '--json'));
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as SessionListResponse).sessions[0]?.functionId).toBe('open-fn');
  });

  it('fails with exit 1 and says what to check when nothing listens at --broker', async () => {
    const test = await scope.broker();
    const port = test.broker.debuggerAddress.port;
    await test.broker.close();
    for (const extra of [[], ['--follow']]) {
      const result = await runCli(['sessions', '--broker', `127.0.0.1:${port}`, ...extra], envFor(test));
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `lambda-debug: cannot reach the broker at 127.0.0.1:${port} (connection refused). Check that \`lambda-debug broker start\` runs there, or point --broker (or LAMBDA_DEBUG_BROKER) at the broker's debugger port.\n`,
      );
    }
  });
});
