/**
 * attach_to_pause_source_map: attach to pause (as attach_to_pause_warm) on a function whose code is a 5 MB bundle
 * with an external 15 MB source map beside it, which the proxy reads and sends to the debugger as a `data:` URL in
 * `Debugger.scriptParsed` (the debugger receives and parses that message, as DevTools would).
 * Baseline: the same bundle without its `sourceMappingURL` comment, on its own local Lambda, measured in the same
 * run, interleaved. No target in the issue; the row shows the cost so a change to it is visible.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startChain } from '../lib/chain.mjs';
import { formatNumber, makeRow } from '../lib/report.mjs';
import { summarize } from '../lib/stats.mjs';

const SAMPLES = { quick: 5, full: 20 };
const BUNDLE_BYTES = 5 * 1024 * 1024;
const MAP_BYTES = 15 * 1024 * 1024;

/** A bundle of `BUNDLE_BYTES` of small functions that re-exports the explicit handler every chain figure runs. */
function bundleSource(withMap) {
  const head = "'use strict';\nexports.handler = require('./explicit.js').handler;\n";
  const parts = [head];
  let size = head.length;
  for (let index = 0; size < BUNDLE_BYTES; index++) {
    const line = `function generated${index}(value) { return value * ${index} + ${index % 7}; }\n`;
    parts.push(line);
    size += line.length;
  }
  if (withMap) parts.push('//# sourceMappingURL=bundle.js.map\n');
  return parts.join('');
}

/** A version 3 map of about `MAP_BYTES`: sources with their contents, as bundlers write them. */
function sourceMap() {
  const sources = [];
  const sourcesContent = [];
  const perSource = 256 * 1024;
  for (let index = 0; index * perSource < MAP_BYTES; index++) {
    sources.push(`../src/module${index}.ts`);
    sourcesContent.push(`export const value${index} = ${index};\n`.repeat(perSource / 32));
  }
  return JSON.stringify({
    version: 3,
    file: 'bundle.js',
    sources,
    sourcesContent,
    names: [],
    mappings: 'AAAA',
  });
}

function prepare(withMap) {
  return (dir) => {
    writeFileSync(path.join(dir, 'bundle.js'), bundleSource(withMap));
    if (withMap) writeFileSync(path.join(dir, 'bundle.js.map'), sourceMap());
  };
}

async function attachOnce(chain, samples) {
  const target = await chain.open({ mode: 'echo', maxMs: 60_000 });
  samples.push(target.attachToPauseMs);
  await target.stop();
}

/** Measures the figure; resolves with its row. */
export default async function measure({ quick, log }) {
  const count = SAMPLES[quick ? 'quick' : 'full'];
  const withMap = [];
  const withoutMap = [];
  const mapped = await startChain({ handler: 'bundle.handler', prepareTaskRoot: prepare(true) });
  try {
    const plain = await startChain({ handler: 'bundle.handler', prepareTaskRoot: prepare(false) });
    try {
      // One unrecorded cycle each: the runtime and child start, the broker's and this process's code compile.
      await attachOnce(mapped, []);
      await attachOnce(plain, []);
      for (let index = 0; index < count; index++) {
        await attachOnce(mapped, withMap);
        await attachOnce(plain, withoutMap);
      }
    } finally {
      await plain.close();
    }
  } finally {
    await mapped.close();
  }
  log(`attach_to_pause_source_map: ${withMap.length} attaches with the map, ${withoutMap.length} without`);
  return [
    makeRow({
      figure: 'attach_to_pause_source_map',
      unit: 'ms',
      value: withMap,
      baseline: withoutMap,
      baselineLabel: 'the same 5 MB bundle without a map',
      notes: [
        `bundle ${formatNumber(BUNDLE_BYTES / 1024 / 1024)} MB, map ${formatNumber(MAP_BYTES / 1024 / 1024)} MB (sent base64, ~4/3 larger); median without the map ${formatNumber(summarize(withoutMap).median)} ms`,
      ],
    }),
  ];
}
