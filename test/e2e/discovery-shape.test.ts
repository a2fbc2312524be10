/**
 * chrome://inspect and VS Code discover targets through `/json/version` and `/json/list`. The broker must answer
 * in the shape Node's inspector uses: this compares its answers with a real `node --inspect` process's, field
 * by field, with the Host headers the clients send.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/artifacts.js';
import {
  formatDifferences,
  headerDifferences,
  listEntryDifferences,
  versionDifferences,
} from '../support/discovery-shape.js';
import { getJson } from '../support/http-json.js';
import { LinkClient } from '../support/link-client.js';
import { type InspectedNode, startInspectedNode } from '../support/node-target.js';
import { stopAllProcesses } from '../support/processes.js';
import { TestBroker } from '../support/test-broker.js';

const PROGRAM = path.join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'node-target', 'program.js');
const FUNCTION_ID = 'discovery-fn';

/** Node fields the broker may leave out: chrome://inspect shows a default icon without `faviconUrl`. */
const OPTIONAL_NODE_FIELDS = ['faviconUrl'];

describe('the comparison itself, Node against Node', () => {
  afterEach(async () => {
    await stopAllProcesses();
  });

  it('finds no difference between two Node processes and names each field a broken answer gets wrong', async () => {
    const a = await startInspectedNode({ script: PROGRAM, breakOnStart: true });
    const b = await startInspectedNode({ script: PROGRAM, breakOnStart: true });
    const [listA, listB] = await Promise.all([
      getJson(`http://${a.hostPort}/json/list`),
      getJson(`http://${b.hostPort}/json/list`),
    ]);
    const entryA = (listA.json as Array<Record<string, unknown>>)[0]!;
    const entryB = (listB.json as Array<Record<string, unknown>>)[0]!;
    const hosts = { node: a.hostPort, other: b.hostPort };
    expect(formatDifferences(listEntryDifferences(entryA, entryB, hosts))).toBe('');
    expect(headerDifferences(listA, listB, '/json/list')).toEqual([]);

    const broken = {
      ...entryB,
      type: 'page',
      webSocketDebuggerUrl: 'ws://elsewhere:1/x',
      devtoolsFrontendUrl: 'devtools://devtools/bundled/inspector.html?ws=x',
    };
    const fields = listEntryDifferences(entryA, broken, hosts).map((d) => d.field);
    expect(fields).toEqual([
      '/json/list[0].type',
      '/json/list[0].webSocketDebuggerUrl (built from the Host header)',
      expect.stringContaining('/json/list[0].devtoolsFrontendUrl'),
      expect.stringContaining('/json/list[0].devtoolsFrontendUrlCompat'),
    ]);
    expect(
      versionDifferences({ Browser: 'node.js/v20' }, { Browser: 'x', webSocketDebuggerUrl: 'ws://x' }),
    ).toEqual([{ field: '/json/version webSocketDebuggerUrl', node: '(absent)', other: '"ws://x"' }]);
  });
});

describe('the broker against node --inspect', () => {
  let broker: TestBroker;
  let node: InspectedNode;
  let link: LinkClient;

  beforeAll(async () => {
    broker = await TestBroker.start();
    node = await startInspectedNode({ script: PROGRAM, breakOnStart: true });
    link = await LinkClient.connect(broker.lambdaHostPort, FUNCTION_ID, broker.lambdaToken(FUNCTION_ID));
    await link.register('discovery-session-1', 'request-1', Date.now() + 60_000);
  });

  afterAll(async () => {
    await link?.close();
    await node?.stop();
    await broker?.close();
  });

  // chrome://inspect sends no Host override (the address typed in "Discover network targets"); VS Code sends
  // `Host: localhost`.
  for (const client of [
    { name: 'chrome://inspect (Host: the address)', host: undefined },
    { name: 'VS Code (Host: localhost)', host: 'localhost' },
  ]) {
    it(`/json/list and /json answer like Node's for ${client.name}`, async () => {
      const headers: Record<string, string> = client.host ? { host: client.host } : {};
      const token = broker.debuggerToken(FUNCTION_ID);
      for (const route of ['/json/list', '/json']) {
        const [fromNode, fromBroker] = await Promise.all([
          getJson(`http://${node.hostPort}${route}`, headers),
          getJson(`http://${broker.debuggerHostPort}${route}?token=${token}`, headers),
        ]);
        expect(headerDifferences(fromNode, fromBroker, route), route).toEqual([]);
        expect(Array.isArray(fromBroker.json), `${route} is a JSON array`).toBe(true);
        const brokerEntries = fromBroker.json as Array<Record<string, unknown>>;
        expect(brokerEntries, `${route} lists the one waiting invocation`).toHaveLength(1);
        const nodeEntry = (fromNode.json as Array<Record<string, unknown>>)[0]!;
        const hosts = { node: client.host ?? node.hostPort, other: client.host ?? broker.debuggerHostPort };
        const differences = listEntryDifferences(nodeEntry, brokerEntries[0]!, hosts, OPTIONAL_NODE_FIELDS);
        expect(formatDifferences(differences), `${route} differs from Node's`).toBe('');
      }
    });
  }

  it("/json/version answers like Node's, without a webSocketDebuggerUrl", async () => {
    const [fromNode, fromBroker] = await Promise.all([
      getJson(`http://${node.hostPort}/json/version`),
      getJson(`http://${broker.debuggerHostPort}/json/version?token=${broker.debuggerToken(FUNCTION_ID)}`),
    ]);
    expect(headerDifferences(fromNode, fromBroker, '/json/version')).toEqual([]);
    expect(formatDifferences(versionDifferences(fromNode.json, fromBroker.json))).toBe('');
  });

  it('refuses /json/list without a token, and with another function’s token lists nothing of this one', async () => {
    const anonymous = await getJson(`http://${broker.debuggerHostPort}/json/list`);
    expect(anonymous.status).toBe(401);
    const other = await getJson(
      `http://${broker.debuggerHostPort}/json/list?token=${broker.debuggerToken('another-fn')}`,
    );
    const listed = JSON.stringify(other.json ?? other.text);
    expect(listed).not.toContain('discovery-session-1');
    expect(broker.leakedSecrets([FUNCTION_ID, 'another-fn'])).toEqual([]);
  });
});
