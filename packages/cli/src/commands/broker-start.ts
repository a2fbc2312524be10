/** `lambda-debug broker start`: runs the broker in the foreground until Ctrl+C or SIGTERM. */
import type { BrokerHandle } from '@lambda-debug/broker';
import type { Command } from 'commander';
import { collectRepeated, parseChoice, parsePort } from '../arguments.js';
import {
  BROKER_LOG_LEVELS,
  DEFAULT_BROKER_HOST,
  DEFAULT_DEBUGGER_PORT,
  DEFAULT_LAMBDA_PORT,
} from '../broker-defaults.js';
import { type BrokerReady, formatBrokerReady, LOG_FORMATS, urlHost } from '../broker-ready.js';
import type { CommandContext } from '../context.js';
import { readSecretFile, SECRET_ENV, secretFromEnv } from '../credentials.js';
import { RuntimeFailure, UsageError } from '../errors.js';
import type { Output } from '../output.js';
import { readTlsFiles, type TlsMaterial, wantsTls } from '../tls-files.js';

interface BrokerStartOptions {
  readonly host?: string;
  readonly lambdaPort: string;
  readonly debuggerPort: string;
  readonly secretFile?: string;
  readonly auth: boolean;
  readonly logLevel: string;
  readonly logFormat?: string;
  readonly allowedHost?: string[];
  readonly allowedOrigin?: string[];
  readonly json?: boolean;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsCa?: string;
}

async function resolveSecret(
  options: BrokerStartOptions,
  context: CommandContext,
): Promise<string | undefined> {
  if (!options.auth) {
    if (options.secretFile !== undefined) {
      throw new UsageError('--no-auth and --secret-file contradict each other', 'Pass one of them');
    }
    if (context.env[SECRET_ENV] !== undefined) context.output.warn(`--no-auth: ignoring ${SECRET_ENV}`);
    return undefined;
  }
  if (options.secretFile !== undefined) return readSecretFile(options.secretFile, context.output);
  const secret = secretFromEnv(context.env);
  if (secret === undefined) {
    throw new UsageError(
      'the broker needs a secret and none was given',
      `Set ${SECRET_ENV} (make one with \`lambda-debug secret\`), pass --secret-file F, or run with --no-auth on a trusted network only`,
    );
  }
  return secret;
}

/** Turns the broker's own start-up errors (whose messages already name the fix) into the CLI's two kinds. */
function explainStartFailure(error: unknown, broker: BrokerModule): unknown {
  if (!(error instanceof broker.BrokerConfigError)) return error;
  switch (error.code) {
    case 'address-in-use':
    case 'listen-failed':
      return new RuntimeFailure(error.message, '', { cause: error });
    default:
      return new UsageError(error.message, '', { cause: error });
  }
}

/**
 * SIGHUP: reads the certificate files again and serves them to new connections; live sessions keep theirs.
 * A file that is missing or wrong leaves the current certificate in place, with one line that says why.
 */
async function reloadTls(handle: BrokerHandle, options: BrokerStartOptions, output: Output): Promise<void> {
  try {
    handle.reloadTls(await readTlsFiles(options));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    output.warn(`SIGHUP: kept the current TLS certificate: ${why}`);
  }
}

/** The broker package, loaded only when a broker is started: it brings winston and ws with it. */
type BrokerModule = typeof import('@lambda-debug/broker');

/** Adds `broker start` to the program. */
export function registerBrokerCommand(program: Command, context: CommandContext): void {
  const broker = program
    .command('broker')
    .summary('run the broker')
    .description('Run the broker that pairs Lambda invocations with debuggers.');
  broker
    .command('start')
    .summary('run the broker in the foreground')
    .description(
      'Run the broker in the foreground: proxies connect to the Lambda port, debuggers to the debugger port. ' +
        `The secret comes from ${SECRET_ENV} or --secret-file. Ctrl+C or SIGTERM ends every session with a reason, ` +
        'closes both ports and exits 0.',
    )
    .option(
      '--host <address>',
      'address both ports listen on (0.0.0.0 for every interface)',
      DEFAULT_BROKER_HOST,
    )
    .option('--lambda-port <port>', 'port for proxies (0 picks a free one)', String(DEFAULT_LAMBDA_PORT))
    .option(
      '--debugger-port <port>',
      'port for debuggers (0 picks a free one)',
      String(DEFAULT_DEBUGGER_PORT),
    )
    .option('--secret-file <file>', `read the secret from <file> instead of ${SECRET_ENV}`)
    .option('--no-auth', 'accept every proxy and debugger without a token (trusted networks only)')
    .option(
      '--allowed-host <name>',
      'a DNS name debuggers may use in Host (repeatable; IPs and localhost always work)',
      collectRepeated,
    )
    .option(
      '--allowed-origin <origin>',
      'a web origin allowed to open debugger sockets (repeatable)',
      collectRepeated,
    )
    .option(
      '--tls-cert <file>',
      'serve both ports over TLS with this PEM certificate (chain: certificate first)',
    )
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option(
      '--tls-ca <file>',
      'PEM CA or intermediate certificates sent with --tls-cert (it must be issued by one)',
    )
    .option('--log-level <level>', `log level: ${BROKER_LOG_LEVELS.join(', ')}`, 'info')
    .option(
      '--log-format <format>',
      'log lines on stderr: json or pretty (default: pretty on a terminal, else json)',
    )
    .option(
      '--json',
      'print one JSON line { lambdaUrl, debuggerUrl, lambdaPort, debuggerPort, auth, tls } once listening',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ export ${SECRET_ENV}="$(lambda-debug secret)"
  $ lambda-debug broker start
  $ lambda-debug broker start --host 0.0.0.0 --allowed-host broker.example.com --secret-file /run/secrets/lambda-debug
  $ lambda-debug broker start --host 0.0.0.0 --tls-cert /etc/lambda-debug/cert.pem --tls-key /etc/lambda-debug/key.pem
  $ kill -HUP <pid>    # after renewing the certificate files: new connections get the new certificate
  $ lambda-debug broker start --lambda-port 0 --debugger-port 0 --json`,
    )
    .action(async (options: BrokerStartOptions) => {
      const { output } = context;
      const lambdaPort = parsePort(options.lambdaPort, '--lambda-port', true);
      const debuggerPort = parsePort(options.debuggerPort, '--debugger-port', true);
      const level = parseChoice(options.logLevel, '--log-level', BROKER_LOG_LEVELS);
      const format =
        options.logFormat === undefined
          ? output.isErrInteractive
            ? 'pretty'
            : 'json'
          : parseChoice(options.logFormat, '--log-format', LOG_FORMATS);
      const secret = await resolveSecret(options, context);
      const tls: TlsMaterial | undefined = wantsTls(options) ? await readTlsFiles(options) : undefined;
      const host = options.host ?? DEFAULT_BROKER_HOST;
      const broker: BrokerModule = await import('@lambda-debug/broker');
      let handle: BrokerHandle;
      try {
        handle = await broker.startBroker({
          host,
          lambdaPort,
          debuggerPort,
          auth: options.auth,
          ...(secret === undefined ? {} : { secret }),
          allowedHosts: options.allowedHost ?? [],
          allowedOrigins: options.allowedOrigin ?? [],
          logger: broker.createBrokerLogger({ level, format }),
          ...(tls === undefined ? {} : { tls }),
        });
      } catch (error) {
        throw explainStartFailure(error, broker);
      }
      const stop = context.listenForStop();
      const stopReloading =
        tls === undefined
          ? undefined
          : context.listenForReload?.(() => void reloadTls(handle, options, output));
      try {
        const { lambdaAddress, debuggerAddress } = handle;
        const secure = tls !== undefined;
        const ready: BrokerReady = {
          lambdaUrl: `${secure ? 'wss' : 'ws'}://${urlHost(lambdaAddress.host)}:${lambdaAddress.port}${broker.LAMBDA_LINK_PATH}`,
          debuggerUrl: `${secure ? 'https' : 'http'}://${urlHost(debuggerAddress.host)}:${debuggerAddress.port}`,
          lambdaPort: lambdaAddress.port,
          debuggerPort: debuggerAddress.port,
          auth: options.auth,
          tls: secure,
        };
        if (options.json) output.jsonLine(ready);
        else output.line(formatBrokerReady(ready, host, options.allowedHost ?? [], output.style));
        const signal = await stop.stopped;
        const live = handle.sessions().length;
        output.note(
          output.errStyle.dim(
            `${signal}: stopping the broker${live > 0 ? ` and ending ${live} session(s)` : ''}…`,
          ),
        );
      } finally {
        stop.dispose();
        stopReloading?.();
        await handle.close();
      }
      output.note(output.errStyle.dim('broker stopped'));
    });
}
