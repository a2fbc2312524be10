/**
 * The floor the broker figures are compared with: the same two ports and the same link framing, served by plain
 * `ws` with nothing else: no authentication, no validation, no heartbeats, no flow control, no logging, no
 * deadlines. It pairs one proxy session with one debugger by function id and moves bytes. Whatever the broker
 * costs above this is the price of what it adds. Runs in its own process, like broker-host.mjs, with the same
 * IPC requests (`usage`, `gc`, `close`).
 */
import http from 'node:http';
import { encodeCdpFrame, encodeControl, PROTOCOL_VERSION } from '@lambda-debug/shim-protocol';
import { WebSocketServer } from '../lib/ws.mjs';
import { serveUsage } from './host-ipc.mjs';

const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;
const CDP_PREFIX_BYTES = 'cdp:'.length;

const lambdaServer = http.createServer();
const debuggerServer = http.createServer();
const serverOptions = { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 };
const lambdaWss = new WebSocketServer({ server: lambdaServer, ...serverOptions });
const debuggerWss = new WebSocketServer({ server: debuggerServer, ...serverOptions });

/** Sessions registered and not yet attached, by function id. */
const waiting = new Map();
/** Debuggers that came before their session, by function id. */
const held = new Map();
let sessions = 0;

function attach(session, debuggerSocket) {
  const { link, sessionId } = session;
  link.debuggers.set(sessionId, debuggerSocket);
  link.socket.send(encodeControl({ type: 'debugger-attached', sessionId, debuggerId: `d-${sessionId}` }));
  debuggerSocket.on('message', (data) =>
    link.socket.send(encodeCdpFrame(sessionId, data), { binary: false }),
  );
  debuggerSocket.on('close', () => link.debuggers.delete(sessionId));
}

lambdaWss.on('connection', (socket) => {
  const link = { socket, functionId: '', debuggers: new Map() };
  socket.on('message', (data) => {
    if (data[0] !== OPEN_BRACE) {
      const newline = data.indexOf(NEWLINE);
      const sessionId = data.toString('latin1', CDP_PREFIX_BYTES, newline);
      link.debuggers.get(sessionId)?.send(data.subarray(newline + 1), { binary: false });
      return;
    }
    const message = JSON.parse(data.toString());
    switch (message.type) {
      case 'hello':
        link.functionId = message.functionId;
        socket.send(
          encodeControl({
            type: 'welcome',
            protocolVersion: PROTOCOL_VERSION,
            connectionId: `c-${link.functionId}`,
            heartbeatIntervalMs: 3_600_000,
          }),
        );
        return;
      case 'register': {
        sessions++;
        socket.send(encodeControl({ type: 'registered', sessionId: message.sessionId }));
        const session = { link, sessionId: message.sessionId };
        const debuggerSocket = held.get(link.functionId);
        if (debuggerSocket) {
          held.delete(link.functionId);
          attach(session, debuggerSocket);
        } else {
          waiting.set(link.functionId, session);
        }
        return;
      }
      case 'session-end':
        sessions--;
        link.debuggers.get(message.sessionId)?.close(1000);
        link.debuggers.delete(message.sessionId);
        return;
      case 'heartbeat':
        if (!message.reply) socket.send(encodeControl({ ...message, reply: true }));
        return;
      default:
        return;
    }
  });
  socket.on('close', () => {
    for (const debuggerSocket of link.debuggers.values()) debuggerSocket.close(1000);
    if (waiting.get(link.functionId)?.link === link) waiting.delete(link.functionId);
  });
});

debuggerWss.on('connection', (socket, request) => {
  const functionId = new URL(request.url, 'http://bench').pathname.split('/')[1];
  const session = waiting.get(functionId);
  if (session) {
    waiting.delete(functionId);
    attach(session, socket);
  } else {
    held.set(functionId, socket);
    socket.on('close', () => {
      if (held.get(functionId) === socket) held.delete(functionId);
    });
  }
});

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address()));
  });
}

const [lambdaAddress, debuggerAddress] = await Promise.all([listen(lambdaServer), listen(debuggerServer)]);

serveUsage({
  stats: () => ({
    sessions,
    lambdaSockets: lambdaWss.clients.size,
    debuggerSockets: debuggerWss.clients.size,
  }),
  onRequest: async (message) => {
    if (message.type !== 'close') return undefined;
    for (const client of [...lambdaWss.clients, ...debuggerWss.clients]) client.terminate();
    await Promise.all([lambdaServer, debuggerServer].map((server) => new Promise((r) => server.close(r))));
    return { closed: true };
  },
});

process.send({
  type: 'ready',
  lambdaAddress: { host: lambdaAddress.address, port: lambdaAddress.port },
  debuggerAddress: { host: debuggerAddress.address, port: debuggerAddress.port },
});
