/**
 * The client side of the broker figures: plays both a Lambda's proxy (the link WebSocket: hello, register,
 * CDP frames, session-end) and the debugger attached to it, for many sessions at once. Several of these run in
 * parallel so the client sockets of 5,000 sessions stay under one process's open-file limit.
 *
 * IPC requests (answered with the same `requestId`):
 *   { type: 'open', target, prefix, count, concurrency }    open idle sessions and keep them
 *   { type: 'close-all' }                                   end every open session
 *   { type: 'churn', target, prefix, count, concurrency, roundTrips }
 *                                                            complete sessions: open, relay, end, close
 *   { type: 'stream-start', payloadBytes, ratePerSession }  every open session's proxy streams CDP events to its
 *                                                            debugger (rate 0: as fast as the sockets take them)
 *   { type: 'count' }                                       events the debuggers received so far
 *   { type: 'stream-stop' }
 * `target` is `{ lambdaUrl, debuggerBase, secret }`; an empty secret means the host does not check tokens.
 */
import broker from '@lambda-debug/broker';
import {
  decodeBrokerFrame,
  encodeCdpFrame,
  encodeControl,
  PROTOCOL_VERSION,
} from '@lambda-debug/shim-protocol';
import { WebSocket } from '../lib/ws.mjs';

/** How long one WebSocket may take to open, and one awaited message to come. */
const STEP_TIMEOUT_MS = 30_000;
/**
 * A session's deadline: far enough that the broker never ends one during a figure, and within the longest
 * invocation Lambda allows (15 minutes), since the broker refuses a deadline later than that.
 */
const SESSION_LIFETIME_MS = 14 * 60 * 1000;
/**
 * Events a saturating proxy keeps in flight (sent, not yet received by its debugger). Self-clocked: each event
 * received lets one more be sent, so queues stay bounded and the measure is the relay's pace, not how much a
 * client can pile up in socket buffers (which starves heartbeats and gets sessions dropped).
 */
const STREAM_WINDOW = 32;

const open = new Set();
let received = 0;
let streaming;

function connect(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, headers });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('WebSocket open timed out'));
    }, STEP_TIMEOUT_MS);
    socket.once('open', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      socket.terminate();
      reject(new Error(`upgrade refused with HTTP ${response.statusCode}`));
    });
  });
}

function closed(socket) {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', resolve));
}

/** One session: the proxy's link and the debugger attached to it. */
class BenchSession {
  link;
  debugger;
  sessionId;
  #controlWaiters = [];
  #pendingAnswers = new Map();
  #nextId = 1;

  static async open(target, functionId) {
    const session = new BenchSession();
    await session.#open(target, functionId);
    return session;
  }

  async #open({ lambdaUrl, debuggerBase, secret }, functionId) {
    this.sessionId = `${functionId}.s`;
    const lambdaToken = secret ? broker.deriveToken(secret, 'lambda', functionId) : '';
    // The broker authenticates the link at the upgrade: the function in the path, its token in the header.
    this.link = await connect(
      `${lambdaUrl}/${functionId}`,
      secret ? { Authorization: `Bearer ${lambdaToken}` } : {},
    );
    this.link.on('message', (data) => this.#onLinkMessage(data));
    this.link.on('close', (code, reason) => this.#fail(new Error(`the link closed: ${code} ${reason}`)));
    this.link.send(
      encodeControl({
        type: 'hello',
        protocolVersion: PROTOCOL_VERSION,
        functionId,
        token: lambdaToken,
        runtime: process.version,
        proxyVersion: 'bench',
      }),
    );
    await this.#nextControl('welcome');
    this.link.send(
      encodeControl({
        type: 'register',
        sessionId: this.sessionId,
        requestId: `r-${functionId}`,
        deadlineMs: Date.now() + SESSION_LIFETIME_MS,
      }),
    );
    await this.#nextControl('registered');
    const attached = this.#nextControl('debugger-attached');
    const debuggerToken = secret ? broker.deriveToken(secret, 'debugger', functionId) : '';
    this.debugger = await connect(`${debuggerBase}/${functionId}${secret ? `?token=${debuggerToken}` : ''}`);
    this.debugger.on('message', (data) => this.#onDebuggerMessage(data));
    await attached;
  }

  /** The debugger sends a command; the proxy answers it (as the child's inspector would); resolves on the answer. */
  roundTrip() {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to command ${id}`)), STEP_TIMEOUT_MS);
      this.#pendingAnswers.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      this.debugger.send(JSON.stringify({ id, method: 'Runtime.evaluate', params: { expression: '1+1' } }));
    });
  }

  /** The proxy ends the session as after a completed invocation, and both sockets close. */
  async end() {
    const debuggerGone = closed(this.debugger);
    this.link.send(encodeControl({ type: 'session-end', sessionId: this.sessionId, reason: 'completed' }));
    await debuggerGone;
    this.link.close(1000);
    await closed(this.link);
  }

  /** Closes both sockets at once (idle sessions at the end of a capacity figure). */
  async close() {
    this.debugger?.close(1000);
    this.link?.close(1000);
    await Promise.all([this.debugger && closed(this.debugger), this.link && closed(this.link)]);
  }

  #nextControl(type) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} from the broker`)), STEP_TIMEOUT_MS);
      this.#controlWaiters.push({
        type,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  /** Whatever the session was waiting for fails with `error` (a refusal, a bad frame, a closed link). */
  #fail(error) {
    for (const waiter of this.#controlWaiters.splice(0)) waiter.reject(error);
  }

  #onLinkMessage(data) {
    const frame = decodeBrokerFrame(data);
    if (!frame.ok) {
      this.#fail(new Error(`the broker sent a frame the protocol refuses: ${frame.error.message}`));
      return;
    }
    if (frame.value.kind === 'cdp') {
      // The child's inspector would answer; here the proxy answers every command itself.
      const { id } = JSON.parse(frame.value.payload.toString());
      const answer = JSON.stringify({
        id,
        result: { result: { type: 'number', value: 2, description: '2' } },
      });
      this.link.send(encodeCdpFrame(this.sessionId, answer));
      return;
    }
    const { message } = frame.value;
    if (message.type === 'heartbeat' && !message.reply) {
      this.link.send(encodeControl({ ...message, reply: true }));
      return;
    }
    if (message.type === 'error') {
      this.#fail(new Error(`the broker refused: ${message.code}: ${message.message}`));
      return;
    }
    const index = this.#controlWaiters.findIndex((waiter) => waiter.type === message.type);
    if (index >= 0) this.#controlWaiters.splice(index, 1)[0].resolve(message);
  }

  /** The frame this session streams while a stream runs. */
  streamFrame;

  #onDebuggerMessage(data) {
    if (streaming && data.length >= streaming.payloadBytes) {
      received++;
      if (!streaming.stopped && streaming.ratePerSession === 0)
        this.link.send(this.streamFrame, { binary: false });
      return;
    }
    const message = JSON.parse(data.toString());
    // Other messages are the broker's own console notices to the debugger.
    if (message.id !== undefined) this.#pendingAnswers.get(message.id)?.();
    this.#pendingAnswers.delete(message.id);
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once; counts failures, keeps the first. */
async function pool(count, concurrency, task) {
  let next = 0;
  let failed = 0;
  let firstError;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        failed++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { failed, firstError };
}

function eventFrame(sessionId, payloadBytes) {
  const head =
    '{"method":"Runtime.consoleAPICalled","params":{"type":"log","args":[{"type":"string","value":"';
  const tail = '"}],"executionContextId":1,"timestamp":0}}';
  return encodeCdpFrame(
    sessionId,
    Buffer.from(head + 'x'.repeat(payloadBytes - head.length - tail.length) + tail),
  );
}

function startStreaming({ payloadBytes, ratePerSession }) {
  const sessions = [...open];
  for (const session of sessions) session.streamFrame = eventFrame(session.sessionId, payloadBytes);
  streaming = { payloadBytes, ratePerSession, stopped: false, timer: undefined };
  if (ratePerSession > 0) {
    // Paced: one event per session per tick.
    streaming.timer = setInterval(() => {
      for (const session of sessions) session.link.send(session.streamFrame, { binary: false });
    }, 1000 / ratePerSession);
    return;
  }
  // Saturated: fill each session's window; every event received sends the next (see #onDebuggerMessage).
  for (const session of sessions) {
    for (let i = 0; i < STREAM_WINDOW; i++) session.link.send(session.streamFrame, { binary: false });
  }
}

function stopStreaming() {
  if (!streaming) return;
  streaming.stopped = true;
  clearInterval(streaming.timer);
}

async function handle(message) {
  switch (message.type) {
    case 'open': {
      const result = await pool(message.count, message.concurrency, async (index) => {
        open.add(await BenchSession.open(message.target, `${message.prefix}-${index}`));
      });
      return { opened: message.count - result.failed, ...result };
    }
    case 'close-all': {
      const sessions = [...open];
      open.clear();
      await pool(sessions.length, 200, (index) => sessions[index].close());
      return { closed: sessions.length };
    }
    case 'churn': {
      const result = await pool(message.count, message.concurrency, async (index) => {
        const session = await BenchSession.open(message.target, `${message.prefix}-${index}`);
        try {
          for (let i = 0; i < message.roundTrips; i++) await session.roundTrip();
          await session.end();
        } catch (error) {
          await session.close();
          throw error;
        }
      });
      return { completed: message.count - result.failed, ...result };
    }
    case 'stream-start':
      received = 0;
      startStreaming(message);
      return { sessions: open.size };
    case 'count':
      return { received, atMs: performance.now() };
    case 'stream-stop':
      stopStreaming();
      return { received };
    default:
      throw new Error(`unknown request ${message.type}`);
  }
}

process.on('message', (message) => {
  handle(message).then(
    (answer) => process.send({ ...answer, requestId: message.requestId }),
    (error) =>
      process.send({
        requestId: message.requestId,
        error: error instanceof Error ? error.message : String(error),
      }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
