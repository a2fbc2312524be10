#!/usr/bin/env node
/** The `lambda-debug` binary: runs the CLI on this process's arguments, streams and signals. */
import { ExitCode } from './errors.js';
import { listenForProcessReload, listenForProcessSignals, runCli } from './program.js';

// A reader that went away (`lambda-debug sessions --follow --json | head -1`) wants no more output: stop
// quietly instead of dying on an unhandled EPIPE.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCode.OK);
  throw error;
});
process.stderr.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stdin: () => process.stdin,
  listenForStop: listenForProcessSignals,
  listenForReload: listenForProcessReload,
}).then((code) => {
  // Let pending output drain and the event loop empty on its own: a forced exit could cut a piped stdout short.
  process.exitCode = code;
});
