/**
 * The IPC side shared by the server hosts (the real broker and the bare `ws` relay): answers requests for the
 * process's memory and CPU, forces garbage collection on request, and exits when the parent goes away.
 */

/** Two full collections: the second frees what finalizers released during the first. */
export function forcedGc() {
  if (typeof globalThis.gc !== 'function') throw new Error('start this host with --expose-gc');
  globalThis.gc();
  globalThis.gc();
}

function usage(stats) {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rss: memory.rss,
    // The process's RSS high-water mark since it started (reported in KiB).
    maxRss: process.resourceUsage().maxRSS * 1024,
    heapUsed: memory.heapUsed,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    stats: stats(),
  };
}

/**
 * Answers `usage`, `gc` and `close` requests; `onRequest(message)` may answer others (a result object) or leave
 * them (undefined). A `close` that `onRequest` handled exits the process after the answer.
 */
export function serveUsage({ stats, onRequest }) {
  process.on('message', async (message) => {
    const { requestId } = message;
    try {
      let answer;
      if (message.type === 'usage') {
        answer = usage(stats);
      } else if (message.type === 'gc') {
        forcedGc();
        // Let sockets destroyed during the collection release their native memory before RSS is read.
        await new Promise((resolve) => setImmediate(resolve));
        forcedGc();
        answer = usage(stats);
      } else {
        answer = await onRequest(message);
      }
      if (answer === undefined) throw new Error(`unknown request ${message.type}`);
      process.send({ ...answer, requestId }, () => {
        if (message.type === 'close') process.exit(0);
      });
    } catch (error) {
      process.send({ requestId, error: error instanceof Error ? error.message : String(error) });
    }
  });
  // Never outlive the benchmark run.
  process.on('disconnect', () => process.exit(0));
}
