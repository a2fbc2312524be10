/** A bare CDP client for tests that need every message as sent and received, in order (no protocol library). */
import WebSocket from 'ws';

/** One CDP message: a reply (`id`) or an event (`method`). */
export interface CdpMessage {
  readonly id?: number;
  readonly method?: string;
  readonly params?: Record<string, unknown>;
  readonly result?: Record<string, unknown>;
  readonly error?: { code: number; message: string };
}

/** Every event kept in arrival order, replies matched by id. */
export class RawCdpClient {
  readonly events: CdpMessage[] = [];
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, (reply: CdpMessage) => void>();
  readonly #eventWaiters: Array<{ match: (event: CdpMessage) => boolean; resolve: (e: CdpMessage) => void }> =
    [];
  #nextId = 1;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as CdpMessage;
      if (message.id !== undefined) {
        this.#pending.get(message.id)?.(message);
        this.#pending.delete(message.id);
        return;
      }
      this.events.push(message);
      for (const waiter of [...this.#eventWaiters]) {
        if (!waiter.match(message)) continue;
        this.#eventWaiters.splice(this.#eventWaiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    });
  }

  static async open(url: string): Promise<RawCdpClient> {
    const socket = new WebSocket(url);
    await new Promise<void>((open, fail) => {
      socket.once('open', () => open());
      socket.once('error', fail);
    });
    return new RawCdpClient(socket);
  }

  send(method: string, params?: Record<string, unknown>): Promise<CdpMessage> {
    const id = this.#nextId++;
    return new Promise((reply) => {
      this.#pending.set(id, reply);
      this.#socket.send(JSON.stringify({ id, method, ...(params ? { params } : {}) }));
    });
  }

  /** The first event, already received or to come, that `match` accepts. */
  event(match: (event: CdpMessage) => boolean): Promise<CdpMessage> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((found) => this.#eventWaiters.push({ match, resolve: found }));
  }

  close(): Promise<void> {
    return new Promise((closed) => {
      this.#socket.once('close', () => closed());
      this.#socket.close();
    });
  }
}
