/**
 * Runs the real broker (`startBroker` from the built package) in a process of its own, so the RSS and CPU the
 * figures read are the broker's alone. Started by lib/servers.mjs with `--expose-gc`; the secret and limit
 * overrides come in the environment (never on the command line, where `ps` would show the secret).
 *
 * IPC requests (each answered with the same `requestId`):
 *   { type: 'usage' }   -> { rss, maxRss, heapUsed, cpuUserUs, cpuSystemUs, stats }
 *   { type: 'gc' }      -> the same, after two forced full collections
 *   { type: 'watch' }   -> from now on, every session change is sent as { type: 'session-event', ... }
 *   { type: 'close' }   -> closes the broker, answers, and exits
 */
import broker from '@lambda-debug/broker';
import { forcedGc, serveUsage } from './host-ipc.mjs';

const secret = process.env.BENCH_BROKER_SECRET;
const limits = JSON.parse(process.env.BENCH_BROKER_LIMITS ?? '{}');

const handle = await broker.startBroker({
  host: '127.0.0.1',
  lambdaPort: 0,
  debuggerPort: 0,
  secret,
  limits,
  // The production default (JSON lines at info); the parent discards the output, as a log shipper would read it.
  logger: broker.createBrokerLogger({ level: process.env.BENCH_BROKER_LOG_LEVEL ?? 'info' }),
});

serveUsage({
  stats: () => handle.stats(),
  onRequest: async (message) => {
    if (message.type === 'watch') {
      handle.events.on('session', (event) => {
        process.send({
          type: 'session-event',
          event: event.type,
          functionId: event.session.functionId,
          sessionId: event.session.sessionId,
          state: event.session.state,
        });
      });
      return {};
    }
    if (message.type === 'close') {
      await handle.close();
      return { closed: true };
    }
    return undefined;
  },
});

forcedGc();
process.send({ type: 'ready', lambdaAddress: handle.lambdaAddress, debuggerAddress: handle.debuggerAddress });
