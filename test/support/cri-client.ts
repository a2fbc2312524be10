/**
 * chrome-remote-interface, the CDP library most scripts use, wrapped with command and event types from
 * `devtools-protocol` and the same event inbox as the raw client, so scenarios read the same with either.
 */
import CDP from 'chrome-remote-interface';
import {
  type CdpCommand,
  CdpCommandError,
  CdpConnectionClosed,
  type CdpParams,
  type CdpResult,
  InboxClient,
} from './cdp-events.js';

/** A chrome-remote-interface connection to one debug target. */
export class CriClient extends InboxClient {
  /** Resolves when the other side closed the connection (not when `close()` is called). */
  readonly disconnected: Promise<void>;
  readonly #client: CDP.Client;

  private constructor(client: CDP.Client) {
    super();
    this.#client = client;
    client.on('event', (message) => this.events.push(message.method, message.params));
    this.disconnected = new Promise((resolve) => {
      client.on('disconnect', () => {
        this.events.close(new CdpConnectionClosed(undefined, 'disconnected by the other side'));
        resolve();
      });
    });
  }

  /**
   * Connects to a `ws://` URL as a script would: `CDP({ target: url, local: true })` (`local`: the bundled
   * protocol description, since a broker need not serve `/json/protocol`).
   */
  static async connect(webSocketUrl: string): Promise<CriClient> {
    return new CriClient(await CDP({ target: webSocketUrl, local: true }));
  }

  /** Sends a command; a refusal becomes a `CdpCommandError` naming the method. */
  async send<M extends CdpCommand>(method: M, ...params: CdpParams<M>): Promise<CdpResult<M>> {
    try {
      return (await this.#client.send(method, params[0] ?? {})) as CdpResult<M>;
    } catch (error) {
      const response = (error as { response?: { code?: number; message?: string } }).response;
      if (response) throw new CdpCommandError(method, response.code, response.message ?? 'no message');
      throw error;
    }
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.#client.close();
  }
}
