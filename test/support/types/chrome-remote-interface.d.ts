/**
 * The part of chrome-remote-interface 0.34 the tests use (the package ships no types). Commands and events stay
 * untyped here; `cri-client.ts` types them from `devtools-protocol`.
 */
declare module 'chrome-remote-interface' {
  import type { EventEmitter } from 'node:events';

  namespace CDP {
    /** A target as `/json/list` describes it. */
    interface Target {
      readonly id: string;
      readonly type: string;
      readonly title: string;
      readonly url: string;
      readonly description?: string;
      readonly webSocketDebuggerUrl?: string;
      readonly devtoolsFrontendUrl?: string;
    }

    /** Where to connect: a `ws://` URL, a target, or a chooser over `/json/list`. */
    interface Options {
      readonly host?: string;
      readonly port?: number;
      readonly target?: string | Target | ((targets: Target[]) => Target | number);
      /** Use the bundled protocol description instead of fetching `/json/protocol`. */
      readonly local?: boolean;
    }

    /** One event as emitted on the client's `event` channel. */
    interface EventMessage {
      readonly method: string;
      readonly params: unknown;
      readonly sessionId?: string;
    }

    /** A connected client. */
    interface Client extends EventEmitter {
      readonly webSocketUrl: string;
      send(method: string, params?: object): Promise<unknown>;
      close(): Promise<void>;
      on(event: 'event', listener: (message: EventMessage) => void): this;
      on(event: 'disconnect', listener: () => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }

    /** Fetches `/json/list` from `host:port`. */
    function List(options: { host: string; port: number }): Promise<Target[]>;
    /** Fetches `/json/version` from `host:port`. */
    function Version(options: { host: string; port: number }): Promise<Record<string, string>>;
  }

  /** Connects and resolves with a client. */
  function CDP(options?: CDP.Options): Promise<CDP.Client>;

  export = CDP;
}
