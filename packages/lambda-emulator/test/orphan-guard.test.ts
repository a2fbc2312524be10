/**
 * A process that dies without closing its local Lambda (SIGKILL, or Ctrl+C's default action) must not leave
 * runtime processes behind. Uses the built package (`npx tsc -b`), since it runs it in a child process.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const builtPackage = join(__dirname, '..', 'dist', 'index.js');
const taskRoot = join(__dirname, 'fixtures', 'cjs');

it('kills the runtime processes of a process that died without closing its local Lambda', async () => {
  if (!existsSync(builtPackage)) throw new Error(`${builtPackage} is missing: run \`npx tsc -b\` first.`);
  let connected!: (socket: Socket) => void;
  const runtimeConnected = new Promise<Socket>((resolve) => {
    connected = resolve;
  });
  const server = createServer((socket) => connected(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const script = `
    const { startLocalLambda } = require(${JSON.stringify(builtPackage)});
    startLocalLambda({ taskRoot: ${JSON.stringify(taskRoot)}, handler: 'index.handler', timeoutMs: 60000 })
      .then((lambda) => lambda.invoke({ action: 'hold', port: ${port} }));
  `;
  const owner = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  try {
    const socket = await runtimeConnected;
    const runtimeGone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.resume();
    owner.kill('SIGKILL');
    await runtimeGone;
    expect(socket.destroyed).toBe(true);
  } finally {
    owner.kill('SIGKILL');
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
