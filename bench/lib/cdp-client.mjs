/**
 * A minimal DevTools Protocol client over ws 8. Deliberately thin: the same client drives the direct baseline
 * and the chain, so whatever it costs is paid on both sides of every ratio. Every wait is bounded.
 */
import { WebSocket } from './ws.mjs';

/** How long one command may take before the benchmark gives up on it (a heap snapshot is the slowest). */
export const CDP_COMMAND_TIMEOUT_MS = 120_000;

/** How long opening the WebSocket may take. */
export const CDP_CONNECT_TIMEOUT_MS = 15_000;

/** A DevTools Protocol session over one WebSocket. */
export class CdpClient {
  #socket;
  #nextId = 1;
  #pending = new Map();
  #waiters = new Set();
  #listeners = new Map();
  #closed;
  /** Bytes of every message received, for throughput figures. */
  bytesReceived = 0;

  constructor(socket) {
    this.#socket = socket;
    this.#closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason })),
    );
    socket.on('message', (data) => this.#onMessage(data));
    socket.once('close', (code, reason) => {
      const error = new Error(`CDP socket closed (${code} ${reason}) with commands outstanding`);
      for (const { reject, timer } of this.#pending.values()) {
        clearTimeout(timer);
        reject(error);
      }
      this.#pending.clear();
      for (const waiter of this.#waiters) waiter.fail(error);
    });
  }

  /** Opens a session on `url` (a `ws://` URL). */
  static connect(url, { timeoutMs = CDP_CONNECT_TIMEOUT_MS, headers } = {}) {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024, headers });
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error(`timed out after ${timeoutMs} ms connecting to ${redact(url)}`));
      }, timeoutMs);
      socket.once('open', () => {
        clearTimeout(timer);
        resolve(new CdpClient(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to ${redact(url)}: ${error.message}`));
      });
      socket.once('unexpected-response', (_request, response) => {
        clearTimeout(timer);
        socket.terminate();
        reject(new Error(`${redact(url)} refused the WebSocket upgrade with HTTP ${response.statusCode}`));
      });
    });
  }

  /** Sends a command and resolves with its result (rejects with the protocol error). */
  send(method, params = {}, { timeoutMs = CDP_COMMAND_TIMEOUT_MS } = {}) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${method} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer, method });
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Resolves with the params of the next event named `method` that satisfies `accept`. */
  waitFor(method, { accept = () => true, timeoutMs = CDP_COMMAND_TIMEOUT_MS } = {}) {
    return new Promise((resolve, reject) => {
      const waiter = {
        method,
        accept,
        done: (params) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(params);
        },
        fail: (error) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          reject(error);
        },
      };
      const timer = setTimeout(
        () => waiter.fail(new Error(`no ${method} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#waiters.add(waiter);
    });
  }

  /** Calls `listener(params)` on every event named `method`; returns a function that stops it. */
  on(method, listener) {
    const listeners = this.#listeners.get(method) ?? new Set();
    listeners.add(listener);
    this.#listeners.set(method, listeners);
    return () => listeners.delete(listener);
  }

  /** Resolves when the socket has closed, with its close code and reason. */
  get closed() {
    return this.#closed;
  }

  /** Closes the socket and waits for it to be gone (terminating it if the peer does not answer). */
  async close() {
    if (this.#socket.readyState === WebSocket.CLOSED) return;
    this.#socket.close();
    const timer = setTimeout(() => this.#socket.terminate(), 2_000);
    await this.#closed;
    clearTimeout(timer);
  }

  #onMessage(data) {
    this.bytesReceived += data.length;
    const message = JSON.parse(data.toString());
    if (message.id !== undefined) {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.error) {
        pending.reject(new Error(`${pending.method} failed: ${message.error.message}`));
      } else {
        pending.resolve(message.result);
      }
      return;
    }
    for (const listener of this.#listeners.get(message.method) ?? []) listener(message.params);
    for (const waiter of this.#waiters) {
      if (waiter.method === message.method && waiter.accept(message.params)) waiter.done(message.params);
    }
  }
}

/** A URL safe to print: the query string (which carries the debugger token) is cut. */
export function redact(url) {
  return String(url).replace(/\?.*$/, '?…');
}
