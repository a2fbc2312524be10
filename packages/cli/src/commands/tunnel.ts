/** `lambda-debug tunnel --fn ID`: serves one function's debugger targets on localhost, like `node --inspect`. */
import type { Command } from 'commander';
import { parseFunctionId, parsePort } from '../arguments.js';
import { brokerArgument, hostPort, resolveDebuggerBroker } from '../broker-address.js';
import { CA_OPTION_HELP, withCa } from '../broker-trust.js';
import type { CommandContext } from '../context.js';
import { tokenFor } from '../credentials.js';
import { devtoolsFrontendUrl } from '../devtools-url.js';
import { CliError } from '../errors.js';
import { DEFAULT_TUNNEL_HOST, DEFAULT_TUNNEL_PORT, isLoopbackHost } from '../tunnel-defaults.js';
import { describeTunnelReady, formatTunnelEvent, type TunnelReady } from '../tunnel-output.js';
import type { Tunnel } from '../tunnel-server.js';

interface TunnelOptions {
  readonly fn: string;
  readonly broker?: string;
  readonly port: string;
  readonly host: string;
  readonly json?: boolean;
  readonly auth: boolean;
  readonly ca?: string;
}

/** Adds `tunnel` to the program. */
export function registerTunnelCommand(program: Command, context: CommandContext): void {
  program
    .command('tunnel')
    .summary('serve a function on localhost for chrome://inspect, node inspect and VS Code')
    .description(
      "Listen on localhost like `node --inspect` and forward debuggers to the broker with the function's token, " +
        'for clients that cannot send one: chrome://inspect, `node inspect HOST:PORT`, VS Code attach by port. ' +
        "Serves /json/version and /json/list for the function, with URLs pointing at the tunnel. Like Node's " +
        'inspector it accepts only IP-literal or localhost Host headers, and its target paths are unguessable.',
    )
    .requiredOption('--fn <id>', "the function's DEBUGGER_FUNCTION_ID")
    .option(
      '--broker <host[:port]>',
      "the broker's debugger port (default: $LAMBDA_DEBUG_BROKER or localhost:9229)",
    )
    .option('--ca <file>', CA_OPTION_HELP)
    .option('--port <port>', 'local port to listen on (0 picks a free one)', String(DEFAULT_TUNNEL_PORT))
    .option('--host <address>', 'local address to listen on; keep it on loopback', DEFAULT_TUNNEL_HOST)
    .option('--json', 'print one JSON line { address, port, ws, devtools } once listening')
    .option('--no-auth', 'for a broker started with --no-auth: forward without a token')
    .addHelpText(
      'after',
      `
Examples:
  $ lambda-debug tunnel --fn orders-api --broker broker.example.com
      then add localhost:9229 in chrome://inspect, or run: node inspect localhost:9229
  $ lambda-debug tunnel --fn orders-api --broker wss://broker.example.com:9229 --ca private-ca.pem
  $ lambda-debug tunnel --fn orders-api --port 0 --json`,
    )
    .action(async (options: TunnelOptions) => {
      const { output } = context;
      const functionId = parseFunctionId(options.fn);
      const broker = await withCa(resolveDebuggerBroker(options.broker, context.env), options.ca);
      const port = parsePort(options.port, '--port', true);
      const token = tokenFor('debugger', functionId, { auth: options.auth, env: context.env });
      if (!isLoopbackHost(options.host)) {
        output.warn(
          `--host ${options.host} is not loopback: anyone who can reach it can debug ${functionId} without a token`,
        );
      }
      // Loaded here rather than at start-up: the HTTP stack is only needed once a tunnel runs.
      const { startTunnel } = await import('../tunnel-server.js');
      const tunnel: Tunnel = await startTunnel({
        functionId,
        broker,
        token,
        host: options.host,
        port,
        onEvent: (event) => output.note(formatTunnelEvent(event, output.errStyle)),
      });
      const stop = context.listenForStop();
      try {
        const ready: TunnelReady = {
          address: tunnel.address,
          port: tunnel.port,
          ws: `ws://${tunnel.functionTarget}`,
          devtools: devtoolsFrontendUrl(tunnel.functionTarget, false),
        };
        if (options.json) output.jsonLine(ready);
        else output.line(describeTunnelReady(ready, functionId, brokerArgument(broker), output.style));
        // A first look at the broker, so a wrong secret or address shows now rather than when a debugger comes.
        tunnel.checkBroker().then(
          (count) =>
            output.note(
              output.errStyle.dim(
                `broker ${hostPort(broker)} reachable; ${count === 0 ? 'no invocation of the function waits yet' : `${count} target(s) for the function`}`,
              ),
            ),
          (error: unknown) => {
            // Broker trouble is reported through the tunnel's events; anything else is unexpected.
            if (!(error instanceof CliError) && !(error instanceof Error && error.name === 'AbortError')) {
              output.warn(String(error));
            }
          },
        );
        const signal = await stop.stopped;
        output.note(output.errStyle.dim(`${signal}: stopping the tunnel`));
      } finally {
        stop.dispose();
        await tunnel.close();
      }
    });
}
