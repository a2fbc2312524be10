/**
 * The proxy's side of the broker link, spoken directly with `@lambda-debug/shim-protocol`'s messages: enough
 * to register an invocation so discovery has a session to list, without depending on a Lambda runtime.
 */
import {
  type BrokerMessage,
  decodeBrokerFrame,
  encodeControl,
  PROTOCOL_VERSION,
  type ProxyMessage,
} from '@lambda-debug/shim-protocol';
import WebSocket from 'ws';

/** A proxy link with one hello done. */
export class LinkClient {
  readonly #socket: WebSocket;
  readonly #inbox: BrokerMessage[] = [];
  readonly #waiters: Array<{ accept: (m: BrokerMessage) => boolean; resolve: (m: BrokerMessage) => void }> =
    [];
  readonly closed: Promise<void>;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data) => {
      const frame = decodeBrokerFrame(Buffer.from(String(data)));
      if (!frame.ok || frame.value.kind !== 'control') return;
      const message = frame.value.message;
      const at = this.#waiters.findIndex((waiter) => waiter.accept(message));
      if (at >= 0) this.#waiters.splice(at, 1)[0]!.resolve(message);
      else this.#inbox.push(message);
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /**
   * Connects to `ws://<lambdaHostPort>/v1/lambda/<functionId>` with the function's Lambda token in the upgrade,
   * and completes the hello with the same token.
   */
  static async connect(lambdaHostPort: string, functionId: string, token: string): Promise<LinkClient> {
    const socket = new WebSocket(`ws://${lambdaHostPort}/v1/lambda/${functionId}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const client = new LinkClient(socket);
    client.send({
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      functionId,
      token,
      runtime: `node ${process.version}`,
      proxyVersion: 'test-link-client',
    });
    await client.next((message) => message.type === 'welcome');
    return client;
  }

  /** Sends one control message. */
  send(message: ProxyMessage): void {
    this.#socket.send(encodeControl(message));
  }

  /** Registers an invocation and waits until the broker accepted it. */
  async register(sessionId: string, requestId: string, deadlineMs: number): Promise<void> {
    this.send({ type: 'register', sessionId, requestId, deadlineMs });
    await this.next((message) => message.type === 'registered' && message.sessionId === sessionId);
  }

  /** The next control message that passes `accept`. */
  next(accept: (message: BrokerMessage) => boolean): Promise<BrokerMessage> {
    const at = this.#inbox.findIndex(accept);
    if (at >= 0) return Promise.resolve(this.#inbox.splice(at, 1)[0]!);
    return new Promise((resolve) => this.#waiters.push({ accept, resolve }));
  }

  /** Closes the link. */
  async close(): Promise<void> {
    this.#socket.close(1000);
    await this.closed;
  }
}
