import { afterEach, describe, expect, it } from 'vitest';
import { deriveToken } from '../src/index.js';
import { FakeProxy, getJson, rawExchange, TestScope, upgradeRequest } from './helpers.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

/** Parses captured JSON log lines. */
function entries(lines: readonly string[]): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('logs', () => {
  it('never contain the secret or any token, even at debug level, through a full session and refusals', async () => {
    const test = await scope.broker({ logLevel: 'silly' });
    const secret = test.secret ?? '';
    const tokens = [
      deriveToken(secret, 'lambda', 'secretive'),
      deriveToken(secret, 'debugger', 'secretive'),
      deriveToken(secret, 'admin'),
      deriveToken(secret, 'lambda', 'other'),
      deriveToken(secret, 'debugger', 'other'),
    ];
    const port = test.broker.debuggerAddress.port;

    // A full session, with the token in the query string and in a header.
    const proxy = await scope.proxy(test, 'secretive');
    const { sessionId } = await proxy.register();
    await getJson(port, `/json/list?token=${tokens[1]}`);
    await getJson(port, '/admin/sessions', { Authorization: `Bearer ${tokens[2]}` });
    const dbg = await scope.debugger(test, 'secretive');
    await proxy.nextControl('debugger-attached', sessionId);
    // A Runtime.evaluate of process.env in the function would carry its DEBUGGER_TOKEN through the relay.
    dbg.send({ id: 1, method: 'Runtime.evaluate', params: { expression: 'process.env' } });
    await proxy.cdp.next();
    proxy.sendCdp(sessionId, JSON.stringify({ id: 1, result: { value: { DEBUGGER_TOKEN: tokens[0] } } }));
    await dbg.reply(1);
    await dbg.close();
    await proxy.nextControl('debugger-detached', sessionId);
    proxy.end(sessionId, 'completed', `the token ${tokens[0]} slipped into a message`);

    // Refusals, with wrong and wrongly scoped tokens in every place a token can be presented.
    await rawExchange(port, upgradeRequest(`/secretive?token=${tokens[0]}`, {}));
    await rawExchange(port, upgradeRequest('/secretive', { Authorization: `Bearer ${tokens[4]}` }));
    await rawExchange(port, upgradeRequest(`/secretive?token=${tokens[1]}`, { Host: 'evil.example' }));
    await getJson(port, `/json/list?token=${tokens[3]}`);
    await getJson(port, `/admin/sessions?token=${tokens[1]}`);
    const lambdaPort = test.broker.lambdaAddress.port;
    await rawExchange(
      lambdaPort,
      upgradeRequest('/v1/lambda/secretive', { Authorization: `Bearer ${tokens[3]}` }),
    );
    await rawExchange(lambdaPort, upgradeRequest(`/v1/lambda/secretive?token=${tokens[4]}`, {}));
    const refused = scope.track(await FakeProxy.openAuthenticated(test.broker, secret, 'secretive'));
    refused.hello(tokens[4] ?? '');
    await refused.closed;

    const log = test.capture.lines.join('\n');
    expect(test.capture.lines.length).toBeGreaterThan(10);
    expect(log).not.toContain(secret);
    for (const token of tokens) expect(log).not.toContain(token);
    // The refusals were logged, with the query string masked.
    expect(log).toContain('token=***');
  });

  it('writes one line per lifecycle event, with reasons and durations, and none per CDP message at info', async () => {
    const test = await scope.broker();
    const { proxy, sessionId, dbg } = await scope.attachedSession(test, 'lifecycle');
    for (let id = 1; id <= 20; id += 1) dbg.send({ id, method: 'Runtime.evaluate' });
    for (let id = 1; id <= 20; id += 1) await proxy.cdp.next();
    await dbg.close();
    await proxy.nextControl('debugger-detached', sessionId);
    proxy.end(sessionId, 'completed');
    await proxy.close();
    await scope.cleanup();

    const lines = entries(test.capture.lines).filter((entry) => entry.sessionId === sessionId);
    expect(lines.map((entry) => entry.message)).toEqual([
      'session registered',
      'debugger attached',
      'debugger detached',
      'session ended',
    ]);
    expect(lines[2]).toMatchObject({ reason: 'closed', attachedMs: expect.any(Number) });
    expect(lines[3]).toMatchObject({
      reason: 'completed',
      durationMs: expect.any(Number),
      attachedMs: expect.any(Number),
      functionId: 'lifecycle',
      level: 'info',
    });
    expect(test.capture.lines.some((line) => line.includes('cdp '))).toBe(false);
  });

  it("tags every line of a link or a debugger with that connection's fields", async () => {
    const test = await scope.broker({ logLevel: 'debug' });
    const { proxy, sessionId, dbg } = await scope.attachedSession(test, 'fielded');
    await dbg.close();
    await proxy.nextControl('debugger-detached', sessionId);
    await proxy.close();
    await scope.cleanup();

    const byMessage = (message: string) =>
      entries(test.capture.lines).find((entry) => entry.message === message);
    const opened = byMessage('proxy link opened');
    expect(opened).toMatchObject({ tag: 'lambda', connectionId: expect.stringMatching(/^l-/) });
    // Before hello the link's function is not known, so no functionId is written.
    expect(opened).not.toHaveProperty('functionId');
    const fields = { tag: 'lambda', connectionId: opened?.connectionId, functionId: 'fielded' };
    expect(byMessage('proxy connected')).toMatchObject(fields);
    expect(byMessage('proxy disconnected')).toMatchObject(fields);
    expect(byMessage('debugger socket closed')).toMatchObject({
      tag: 'debugger',
      debuggerId: expect.stringMatching(/^d-/),
      functionId: 'fielded',
      closeCode: expect.any(Number),
    });
  });

  it('logs CDP traffic at debug level as sizes only', async () => {
    const test = await scope.broker({ logLevel: 'debug' });
    const { proxy, sessionId, dbg } = await scope.attachedSession(test, 'verbose');
    dbg.send({ id: 1, method: 'Runtime.evaluate', params: { expression: 'secretValue' } });
    await proxy.cdp.next();
    const cdpLines = entries(test.capture.lines).filter((entry) => String(entry.message).startsWith('cdp '));
    expect(cdpLines).toEqual([
      expect.objectContaining({ message: 'cdp debugger->lambda', sessionId, bytes: 74 }),
    ]);
    expect(test.capture.lines.join('\n')).not.toContain('secretValue');
  });
});
