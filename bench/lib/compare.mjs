/**
 * Runs one measurement against the chain and against the direct baseline in alternating rounds (direct, chain,
 * direct, chain, ...), each round on a fresh target, so drifts of a shared machine hit both sides alike.
 */
import { startChain } from './chain.mjs';
import { openDirect } from './targets.mjs';

/**
 * `measureBlock(target, side)` (side: `direct` or `chain`) takes samples on one opened target (paused at its first statement) and returns them.
 * Resolves with `{ chain, direct, chainError }`; when the chain cannot be set up, the direct baseline is still
 * measured and the error says why the chain side is missing.
 */
export async function compareWithDirect({ event, rounds, measureBlock, log, label }) {
  const samples = { chain: [], direct: [] };
  let chain;
  let chainError;
  try {
    chain = await startChain({ log });
  } catch (error) {
    chainError = error;
    log(`${label}: chain unavailable (${error.message}); measuring the direct baseline only`);
  }
  try {
    for (let round = 0; round < rounds; round++) {
      const direct = await openDirect(event);
      try {
        samples.direct.push(...(await measureBlock(direct, 'direct')));
      } finally {
        await direct.stop();
      }
      if (!chain) continue;
      const viaChain = await chain.open(event);
      try {
        samples.chain.push(...(await measureBlock(viaChain, 'chain')));
      } finally {
        await viaChain.stop();
      }
      log(`${label}: round ${round + 1}/${rounds}`);
    }
  } finally {
    await chain?.close();
  }
  return { ...samples, chainError };
}
