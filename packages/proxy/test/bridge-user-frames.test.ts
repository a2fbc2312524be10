/**
 * A debugger sees only the user's code: the proxy's scripts are blackboxed (stepping and step-out never stop in
 * them) and a pause's call stack ends at the handler. A raw CDP client over a real child.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DebugChild } from '../src/parent/child-launcher.js';
import { invokeChild, serveBridge, startChild } from './support/child.js';
import { FIXTURES } from './support/harness.js';
import { type CdpMessage, RawCdpClient } from './support/raw-cdp-client.js';

const TASK_ROOT = resolve(FIXTURES, 'bridge');

interface PausedFrame {
  readonly callFrameId: string;
  readonly functionName: string;
  readonly location: { readonly scriptId: string; readonly lineNumber: number };
}

describe("a debugger of a real child sees only the user's frames", () => {
  let child: DebugChild;
  let bridge: Awaited<ReturnType<typeof serveBridge>>;

  beforeAll(async () => {
    child = await startChild(TASK_ROOT, 'steps.handler');
    bridge = await serveBridge(child);
  });
  afterAll(async () => {
    await bridge.close();
    await child.shutdown();
  });

  it('stops at the entry with the handler as the whole stack, steps over the proxy, and steps out to the end', async () => {
    const client = await RawCdpClient.open(bridge.url);
    const scriptUrls = new Map<string, string>();
    const pauses: CdpMessage[] = [];
    const nextPause = async (): Promise<PausedFrame[]> => {
      const seen = pauses.length;
      const paused = await client.event(
        (event) =>
          event.method === 'Debugger.paused' && client.events.indexOf(event) >= 0 && !pauses.includes(event),
      );
      pauses.push(paused);
      expect(pauses.length).toBe(seen + 1);
      for (const event of client.events) {
        if (event.method !== 'Debugger.scriptParsed') continue;
        scriptUrls.set(String(event.params?.scriptId), String(event.params?.url));
      }
      return paused.params?.callFrames as PausedFrame[];
    };
    const fileOf = (frame: PausedFrame | undefined) => scriptUrls.get(frame?.location.scriptId ?? '') ?? '';

    await client.send('Debugger.enable');
    // What DevTools does after enabling: its own patterns (the proxy keeps its own beside them).
    await client.send('Debugger.setBlackboxPatterns', { patterns: ['/node_modules/'] });
    const outcome = invokeChild(child, { value: 41 }, { breakOnStart: true });

    const entry = await nextPause();
    expect(entry.map(fileOf)).toEqual([expect.stringMatching(/fixtures\/bridge\/steps\.js$/)]);
    expect(entry[0]?.location.lineNumber).toBe(2);

    // Stepping into `console.log` would enter the proxy's console forwarder: it is blackboxed, so V8 steps over it.
    await client.send('Debugger.stepInto');
    const afterStep = await nextPause();
    expect(afterStep.map(fileOf)).toEqual([expect.stringMatching(/steps\.js$/)]);
    expect(afterStep[0]?.location.lineNumber).toBe(3);

    // Stepping out of the handler would land in the proxy's invocation code: the handler finishes instead.
    await client.send('Debugger.stepOut');
    expect(await outcome).toEqual({ kind: 'value', json: '42' });
    expect(pauses).toHaveLength(2);
    await client.close();
  });

  it('pauses on exceptions in the handler, never in the proxy code that reports the failure', async () => {
    const throwing = await startChild(TASK_ROOT, 'throws.handler');
    const throwingBridge = await serveBridge(throwing);
    try {
      const client = await RawCdpClient.open(throwingBridge.url);
      await client.send('Debugger.enable');
      await client.send('Debugger.setPauseOnExceptions', { state: 'all' });
      const outcome = invokeChild(throwing, { value: 7 }, { breakOnStart: false });
      const paused = await client.event((event) => event.method === 'Debugger.paused');
      // An async handler's throw rejects its promise: V8 names the pause after that.
      expect(paused.params?.reason).toMatch(/^(exception|promiseRejection)$/);
      const frames = paused.params?.callFrames as PausedFrame[];
      const url = client.events.find(
        (event) =>
          event.method === 'Debugger.scriptParsed' && event.params?.scriptId === frames[0]?.location.scriptId,
      )?.params?.url;
      expect(url).toMatch(/fixtures\/bridge\/throws\.js$/);
      await client.send('Debugger.resume');
      expect((await outcome).kind).toBe('error');
      expect(client.events.filter((event) => event.method === 'Debugger.paused')).toHaveLength(1);
      await client.close();
    } finally {
      await throwingBridge.close();
      await throwing.shutdown();
    }
  });
});
