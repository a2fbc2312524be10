/**
 * `npm run bench`: measures how fast the debugging chain is against baselines run in the same process of
 * measurement, and prints a table (or, with `--json`, one JSON object).
 *
 *   node bench/run.mjs [--quick] [--json] [--only <figure>[,<figure>...]] [--write-doc]
 *
 * --quick      fewer repetitions and smaller workloads (under 2 minutes); the full run stays under 15
 * --json       print `{ "<figure>": { value, baseline, ratio, unit, target, ok, ... } }` on stdout, nothing else
 * --only       run only these figures (names as in the table, or a group: `attach_to_pause`, `broker_capacity`)
 * --write-doc  also write the machine and the results table into BENCHMARKS.md
 *
 * `npm run -s bench -- --json` keeps npm's own banner lines off stdout, so stdout is exactly the JSON object.
 * Progress goes to stderr. The exit code is 1 when a figure could not be measured, 0 otherwise: a missed target
 * is a result, shown as FAIL in the table, not an error of the benchmark.
 */
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine } from './lib/machine.mjs';
import { killAll } from './lib/processes.mjs';
import { errorRow, renderJson, renderMarkdown, renderTable } from './lib/report.mjs';
import { now } from './lib/stats.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

/** Every figure, in the order the issue lists them; each module measures one figure (some give several rows). */
const FIGURES = [
  { group: 'rtt_running', module: './figures/rtt-running.mjs', rows: ['rtt_running'] },
  { group: 'rtt_paused', module: './figures/rtt-paused.mjs', rows: ['rtt_paused'] },
  { group: 'step_sequence', module: './figures/step-sequence.mjs', rows: ['step_sequence'] },
  { group: 'bulk_throughput', module: './figures/bulk-throughput.mjs', rows: ['bulk_throughput'] },
  {
    group: 'attach_to_pause',
    module: './figures/attach-to-pause.mjs',
    rows: ['attach_to_pause_cold', 'attach_to_pause_warm'],
  },
  {
    group: 'attach_to_pause_source_map',
    module: './figures/source-map-attach.mjs',
    rows: ['attach_to_pause_source_map'],
  },
  {
    group: 'off_overhead',
    module: './figures/off-overhead.mjs',
    rows: ['off_overhead_cold_start', 'off_overhead_invoke'],
  },
  {
    group: 'broker_capacity',
    module: './figures/broker-capacity.mjs',
    rows: ['broker_capacity_1000', 'broker_capacity_5000', 'broker_churn'],
  },
  {
    group: 'relay_throughput',
    module: './figures/relay-throughput.mjs',
    rows: ['relay_throughput', 'relay_cpu'],
  },
  {
    group: 'unauth_load',
    module: './figures/unauth-load.mjs',
    rows: ['unauth_big_frames', 'unauth_reset_upgrades', 'prehello_big_frames'],
  },
];

/** Figures that run the local Lambda, which needs a provisioned runtime (Node and aws-lambda-ric). */
const NEEDS_RUNTIME = new Set([
  'rtt_running',
  'rtt_paused',
  'step_sequence',
  'bulk_throughput',
  'attach_to_pause',
  'attach_to_pause_source_map',
  'off_overhead',
]);

const RESULTS_START = '<!-- bench:results:start -->';
const RESULTS_END = '<!-- bench:results:end -->';

function parseOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      'write-doc': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const only = (values.only ?? []).flatMap((list) => list.split(',')).filter(Boolean);
  const known = new Set(FIGURES.flatMap((figure) => [figure.group, ...figure.rows]));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new Error(`unknown figure ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  }
  return { quick: values.quick, json: values.json, only, writeDoc: values['write-doc'], help: values.help };
}

function log(message) {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * Provisions the local Lambda's runtime as `npm test` and `npm start` do (idempotent: a fraction of a second when
 * it is there), so `npm run bench` works from a clean clone. Its lines go to stderr, keeping `--json` clean.
 */
function provisionRuntime() {
  const script = path.join(BENCH_DIR, '..', 'scripts', 'provision.mjs');
  const result = spawnSync(process.execPath, [script, '--runtime-only'], { stdio: ['ignore', 2, 2] });
  if (result.status !== 0) {
    throw new Error(
      `provisioning the local Lambda's runtime failed (exit ${result.status}); see the lines above`,
    );
  }
}

async function runFigure(figure, context) {
  const started = now();
  log(`${figure.group}: running${context.quick ? ' (quick)' : ''}`);
  let rows;
  try {
    const { default: measure } = await import(figure.module);
    rows = await measure(context);
  } catch (error) {
    log(`${figure.group}: could not be measured: ${error instanceof Error ? error.stack : error}`);
    rows = figure.rows.map((name) => errorRow(name, error));
  } finally {
    // A figure that failed half-way may leave a child behind; the next figure starts clean.
    killAll();
  }
  log(`${figure.group}: done in ${((now() - started) / 1000).toFixed(1)} s`);
  return rows;
}

async function writeDoc(machine, rows, options, elapsedS) {
  const file = path.join(BENCH_DIR, '..', 'BENCHMARKS.md');
  const text = await readFile(file, 'utf8');
  const start = text.indexOf(RESULTS_START);
  const end = text.indexOf(RESULTS_END);
  if (start < 0 || end < start) throw new Error(`${file} has no ${RESULTS_START} ... ${RESULTS_END} section`);
  const section = [
    RESULTS_START,
    '',
    `Run of ${new Date().toISOString().slice(0, 10)}: \`npm run bench${options.quick ? ' -- --quick' : ''}\`` +
      `, ${elapsedS.toFixed(0)} s.`,
    '',
    `Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.os}, ` +
      `Node ${machine.node}, npm ${machine.npm}, open-file limit ${machine.openFileLimit}, ` +
      `load average at start ${machine.loadAverage.join(' / ')}.`,
    '',
    renderMarkdown(rows),
    '',
    RESULTS_END,
  ].join('\n');
  await writeFile(file, text.slice(0, start) + section + text.slice(end + RESULTS_END.length));
  log(`results written to ${path.relative(process.cwd(), file)}`);
}

async function main() {
  const options = parseOptions();
  if (options.help) {
    process.stdout.write(`${(await readFile(fileURLToPath(import.meta.url), 'utf8')).split('*/')[0]}*/\n`);
    return 0;
  }
  const machine = describeMachine();
  log(
    `${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, load ${machine.loadAverage.join(' ')}`,
  );
  const started = now();
  const context = { quick: options.quick, log };
  const selected = FIGURES.filter(
    (figure) =>
      options.only.length === 0 ||
      options.only.includes(figure.group) ||
      figure.rows.some((row) => options.only.includes(row)),
  );
  if (selected.some((figure) => NEEDS_RUNTIME.has(figure.group))) provisionRuntime();
  const rows = [];
  for (const figure of selected) {
    const figureRows = await runFigure(figure, context);
    // Naming a group shows all its rows; naming rows shows only those.
    const wanted = options.only.includes(figure.group)
      ? []
      : options.only.filter((name) => figure.rows.includes(name));
    rows.push(...(wanted.length > 0 ? figureRows.filter((row) => wanted.includes(row.figure)) : figureRows));
  }
  const elapsedS = (now() - started) / 1000;
  log(`all done in ${elapsedS.toFixed(1)} s`);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(renderJson(rows), null, 2)}\n`);
  } else {
    process.stdout.write(`${renderTable(rows)}\n`);
  }
  if (options.writeDoc) await writeDoc(machine, rows, options, elapsedS);
  return rows.some((row) => row.error) ? 1 : 0;
}

main().then(
  (code) => {
    killAll();
    process.exit(code);
  },
  (error) => {
    killAll();
    process.stderr.write(`[bench] ${error instanceof Error ? error.message : error}\n`);
    process.exit(2);
  },
);
