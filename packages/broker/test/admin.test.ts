import type { SessionEvent, SessionListResponse } from '@lambda-debug/shim-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { deriveToken } from '../src/index.js';
import { getJson, Inbox, rawExchange, statusOf, TestScope, upgradeRequest } from './helpers.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

/** A `/admin/events` client. */
async function watch(
  port: number,
  token: string,
): Promise<{ events: Inbox<SessionEvent>; close: () => Promise<unknown> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/admin/events`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const events = new Inbox<SessionEvent>('an admin event');
  ws.on('message', (data: Buffer) => events.push(JSON.parse(data.toString('utf8')) as SessionEvent));
  const closed = new Promise((resolve) => ws.once('close', resolve));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    events,
    close: () => {
      ws.close();
      return closed;
    },
  };
}

describe('GET /admin/sessions', () => {
  it('lists live sessions for the admin token', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'listed');
    const deadlineMs = Date.now() + 600_000;
    const { sessionId, requestId } = await proxy.register({ deadlineMs });
    const { status, body } = await getJson(test.broker.debuggerAddress.port, '/admin/sessions', {
      Authorization: `Bearer ${deriveToken(test.secret ?? '', 'admin')}`,
    });
    expect(status).toBe(200);
    expect((body as SessionListResponse).sessions).toEqual([
      {
        sessionId,
        requestId,
        functionId: 'listed',
        state: 'waiting',
        runtime: 'nodejs20.x',
        registeredAtMs: expect.any(Number),
        deadlineMs,
      },
    ]);
  });

  it('refuses no token, a debugger token and a Lambda token with 401', async () => {
    const test = await scope.broker();
    const port = test.broker.debuggerAddress.port;
    const secret = test.secret ?? '';
    expect((await getJson(port, '/admin/sessions')).status).toBe(401);
    for (const token of [deriveToken(secret, 'debugger', 'fn'), deriveToken(secret, 'lambda', 'fn')]) {
      expect((await getJson(port, `/admin/sessions?token=${token}`)).status).toBe(401);
    }
  });
});

describe('/admin/events', () => {
  it('sends the existing sessions first, then every change', async () => {
    const test = await scope.broker();
    const port = test.broker.debuggerAddress.port;
    const proxy = await scope.proxy(test, 'watched');
    const existing = await proxy.register();
    const watcher = scope.track(await watch(port, deriveToken(test.secret ?? '', 'admin')));
    expect(await watcher.events.next()).toMatchObject({
      type: 'session-registered',
      session: { sessionId: existing.sessionId, state: 'waiting' },
    });

    const dbg = await scope.debugger(test, 'watched');
    expect(await watcher.events.next()).toMatchObject({
      type: 'debugger-attached',
      session: { sessionId: existing.sessionId, state: 'attached' },
    });
    await dbg.close();
    expect((await watcher.events.next()).type).toBe('debugger-detached');
    proxy.end(existing.sessionId, 'completed');
    expect(await watcher.events.next()).toMatchObject({
      type: 'session-ended',
      session: { state: 'ended', endReason: 'completed' },
    });
    expect(test.broker.stats().adminWatchers).toBe(1);
  });

  it('refuses the upgrade without the admin token', async () => {
    const test = await scope.broker();
    const port = test.broker.debuggerAddress.port;
    expect(statusOf(await rawExchange(port, upgradeRequest('/admin/events', {})))).toBe(401);
    const debuggerToken = deriveToken(test.secret ?? '', 'debugger', 'admin');
    expect(
      statusOf(await rawExchange(port, upgradeRequest(`/admin/events?token=${debuggerToken}`, {}))),
    ).toBe(401);
  });

  it('refuses watchers beyond maxAdminWatchers with 503', async () => {
    const test = await scope.broker({ limits: { maxAdminWatchers: 1 } });
    const port = test.broker.debuggerAddress.port;
    const token = deriveToken(test.secret ?? '', 'admin');
    scope.track(await watch(port, token));
    expect(statusOf(await rawExchange(port, upgradeRequest(`/admin/events?token=${token}`, {})))).toBe(503);
  });
});
