/**
 * A pool of session-client processes (workers/session-clients.mjs). Work is split evenly across them, so the
 * client sockets of thousands of sessions stay under one process's open-file limit and the client side uses
 * every core the machine has.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkModule, nextMessage, request, stopChild } from './processes.mjs';

const CLIENT_MODULE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'workers',
  'session-clients.mjs',
);

/** How long opening or churning a share of sessions may take in one client process. */
const CLIENT_REQUEST_TIMEOUT_MS = 600_000;

/** Starts `count` client processes. */
export async function startClients(count) {
  const children = Array.from({ length: count }, () =>
    forkModule(CLIENT_MODULE, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  await Promise.all(children.map((child) => nextMessage(child, (message) => message?.type === 'ready')));
  return {
    /** Sends `message` to every client, each with its share of `count` (and its own name prefix); sums numbers. */
    async split(message, count) {
      const shares = children.map(
        (_, index) => Math.floor(count / children.length) + (index < count % children.length ? 1 : 0),
      );
      const answers = await Promise.all(
        children.map((child, index) =>
          request(
            child,
            { ...message, count: shares[index], prefix: `${message.prefix}-${index}` },
            CLIENT_REQUEST_TIMEOUT_MS,
          ),
        ),
      );
      return sumAnswers(answers);
    },
    /** Sends `message` to every client as is; sums numbers. */
    async all(message) {
      return sumAnswers(
        await Promise.all(children.map((child) => request(child, message, CLIENT_REQUEST_TIMEOUT_MS))),
      );
    },
    async close() {
      await Promise.all(children.map((child) => stopChild(child)));
    },
  };
}

function sumAnswers(answers) {
  const total = { firstError: answers.find((answer) => answer.firstError)?.firstError };
  for (const answer of answers) {
    for (const [key, value] of Object.entries(answer)) {
      if (typeof value === 'number' && key !== 'requestId') total[key] = (total[key] ?? 0) + value;
    }
  }
  return total;
}
