import type { Command } from 'commander';
import { type BrokerAddress, brokerArgument, hostPort, resolveDebuggerBroker } from '../broker-address.js';
import { CA_OPTION_HELP, withCa } from '../broker-trust.js';
import type { CommandContext } from '../context.js';
import { tokenFor } from '../credentials.js';
import { RuntimeFailure } from '../errors.js';
import { formatSessionEvent, printSessionList } from '../session-output.js';

interface SessionsOptions {
  readonly broker?: string;
  readonly follow?: boolean;
  readonly json?: boolean;
  readonly auth: boolean;
  readonly ca?: string;
}

/** The admin client, loaded only when `sessions` runs: it brings the WebSocket library with it. */
type AdminClient = typeof import('../admin-client.js');

/**
 * Prints every change until Ctrl+C. The broker opens the stream with one event per existing session
 * (`session-registered`, or `debugger-attached` for one with a debugger), so the stream alone describes every
 * session and nothing can fall between a list and a subscription.
 */
async function follow(
  admin: AdminClient,
  context: CommandContext,
  broker: BrokerAddress,
  token: string | undefined,
  json: boolean,
): Promise<void> {
  const { output } = context;
  const stream = await admin.openSessionEvents(broker, token, {
    onEvent: (event) => {
      if (json) output.jsonLine(event);
      else output.line(formatSessionEvent(event, output.style));
    },
    onInvalid: (problem) => output.warn(`skipped an event from the broker: ${problem}`),
  });
  const stop = context.listenForStop();
  try {
    if (!json) {
      output.note(
        output.errStyle.dim(`Watching sessions on the broker at ${hostPort(broker)}. Press Ctrl+C to stop.`),
      );
    }
    const end = await Promise.race([stop.stopped.then(() => undefined), stream.ended]);
    if (end !== undefined) {
      throw new RuntimeFailure(
        `the broker at ${hostPort(broker)} closed the event stream (${admin.describeStreamEnd(end)})`,
        `Run \`lambda-debug sessions --follow --broker ${brokerArgument(broker)}\` again once the broker is back`,
      );
    }
  } finally {
    stop.dispose();
    await stream.close();
  }
}

/** Adds `sessions` to the program. */
export function registerSessionsCommand(program: Command, context: CommandContext): void {
  program
    .command('sessions')
    .summary("list the broker's live sessions, or follow them")
    .description(
      "List the broker's live sessions: function id, request id, state (waiting, attached, ended), time left " +
        "before the invocation's deadline, and the attached debugger's address. With --follow, print each change " +
        'as it happens until Ctrl+C. Uses the admin token derived from LAMBDA_DEBUG_SECRET.',
    )
    .option(
      '--broker <host[:port]>',
      "the broker's debugger port (default: $LAMBDA_DEBUG_BROKER or localhost:9229)",
    )
    .option('--ca <file>', CA_OPTION_HELP)
    .option('-f, --follow', 'keep watching and print each change (one line per event)')
    .option('--json', 'print JSON: { sessions: [...] }; with --follow, one session event per line (NDJSON)')
    .option('--no-auth', 'for a broker started with --no-auth: no admin token, no secret needed')
    .addHelpText(
      'after',
      `
Examples:
  $ lambda-debug sessions --broker broker.example.com
  $ lambda-debug sessions --follow
  $ lambda-debug sessions --broker wss://broker.example.com:9229 --ca private-ca.pem
  $ lambda-debug sessions --follow --json | jq -c 'select(.type == "debugger-attached")'`,
    )
    .action(async (options: SessionsOptions) => {
      const broker = await withCa(resolveDebuggerBroker(options.broker, context.env), options.ca);
      const token = tokenFor('admin', undefined, { auth: options.auth, env: context.env });
      const admin: AdminClient = await import('../admin-client.js');
      if (options.follow) {
        await follow(admin, context, broker, token, options.json === true);
        return;
      }
      const list = await admin.fetchSessions(broker, token);
      if (options.json) context.output.json(list);
      else printSessionList(context.output, broker, list.sessions);
    });
}
