/**
 * A real broker for one test file: ports chosen by the system, a fresh secret, tokens derived from it, and every
 * log line kept in memory so a test can save them as an artefact and check that no secret or token leaked.
 */
import { Writable } from 'node:stream';
import {
  type BrokerHandle,
  type BrokerTlsOptions,
  deriveToken,
  generateSecret,
  startBroker,
} from '@lambda-debug/broker';
import { createLogger, format, transports } from 'winston';
import { ArtifactDir } from './artifacts.js';

/** Options for `startTestBroker`. */
export interface TestBrokerOptions {
  /** Origins the debugger port accepts besides DevTools' own (the test's Chromium page origin). */
  readonly allowedOrigins?: string[];
  /** Serve both ports over TLS with this certificate. */
  readonly tls?: BrokerTlsOptions;
}

/** A running broker with what a test needs to reach it. */
export class TestBroker {
  readonly handle: BrokerHandle;
  readonly secret: string;
  /** JSON log lines, in order. */
  readonly logLines: string[];

  private constructor(handle: BrokerHandle, secret: string, logLines: string[]) {
    this.handle = handle;
    this.secret = secret;
    this.logLines = logLines;
  }

  /** Starts a broker on 127.0.0.1 with ports 0 (never a fixed port: something listens on 9229 here). */
  static async start(options: TestBrokerOptions = {}): Promise<TestBroker> {
    const secret = generateSecret();
    const logLines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const logger = createLogger({
      level: 'debug',
      format: format.combine(format.timestamp(), format.json()),
      transports: [new transports.Stream({ stream: sink })],
    });
    const handle = await startBroker({
      host: '127.0.0.1',
      lambdaPort: 0,
      debuggerPort: 0,
      secret,
      allowedOrigins: options.allowedOrigins ?? [],
      logger,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    });
    return new TestBroker(handle, secret, logLines);
  }

  /** `127.0.0.1:<debugger port>`. */
  get debuggerHostPort(): string {
    return `${this.handle.debuggerAddress.host}:${this.handle.debuggerAddress.port}`;
  }

  /** `127.0.0.1:<lambda port>`: the value of `DEBUGGER_BROKER_ADDRESS`. */
  get lambdaHostPort(): string {
    return `${this.handle.lambdaAddress.host}:${this.handle.lambdaAddress.port}`;
  }

  /** `DEBUGGER_BROKER_ADDRESS`: `127.0.0.1:<lambda port>`, or `wss://127.0.0.1:<lambda port>` with TLS. */
  get lambdaBrokerAddress(): string {
    return this.handle.secure ? `wss://${this.lambdaHostPort}` : this.lambdaHostPort;
  }

  /** The debugger token of `functionId` (what `lambda-debug url --fn` prints). */
  debuggerToken(functionId: string): string {
    return deriveToken(this.secret, 'debugger', functionId);
  }

  /** The Lambda token of `functionId` (`DEBUGGER_TOKEN`). */
  lambdaToken(functionId: string): string {
    return deriveToken(this.secret, 'lambda', functionId);
  }

  /** `ws://127.0.0.1:<port>/<fn>?token=...` (`wss://` with TLS): attaches to the function's next or waiting invocation. */
  functionWebSocketUrl(functionId: string): string {
    return `${this.handle.secure ? 'wss' : 'ws'}://${this.functionTarget(functionId)}`;
  }

  /** The same target without its scheme, as DevTools' `ws=` parameter takes it. */
  functionTarget(functionId: string): string {
    return `${this.debuggerHostPort}/${functionId}?token=${this.debuggerToken(functionId)}`;
  }

  /** `http://127.0.0.1:<port>/json/list?token=...` for one function. */
  listUrl(functionId: string): string {
    return `${this.handle.secure ? 'https' : 'http'}://${this.debuggerHostPort}/json/list?token=${this.debuggerToken(functionId)}`;
  }

  /**
   * Every log line that contains the secret or one of the given functions' tokens, for an assertion that
   * there is none.
   */
  leakedSecrets(functionIds: readonly string[]): string[] {
    const secrets = [
      this.secret,
      ...functionIds.flatMap((id) => [this.debuggerToken(id), this.lambdaToken(id)]),
    ];
    return this.logLines.filter((line) => secrets.some((secret) => line.includes(secret)));
  }

  /** Saves every log line as `broker.log` in the artefact folder `artifactName`, for a person to read after a run. */
  saveLog(artifactName: string): void {
    new ArtifactDir(artifactName).writeText('broker.log', `${this.logLines.join('\n')}\n`);
  }

  /** Closes the broker (every session ends, every socket closes). */
  async close(): Promise<void> {
    await this.handle.close();
  }
}
