/**
 * Rows of results and their three renderings: the stdout table, the `--json` object, and the Markdown table
 * written into BENCHMARKS.md. A row always carries its baseline's own measurement: nothing here invents a number.
 */
import { summarize } from './stats.mjs';

/**
 * Builds one result row.
 * - `value` / `baseline`: lists of samples (summarised here) of the same unit;
 * - `target`: `{ text, check(row) }` where `check` returns true / false, or `null` when the issue sets no target;
 * - `ratio`: defaults to median(value) / median(baseline).
 */
export function makeRow({ figure, unit, value, baseline, baselineLabel, ratio, target, notes = [], error }) {
  const ours = summarize(value);
  const base = summarize(baseline);
  if (error || ours.n === 0) {
    // The baseline was measured; our side could not be. Keep the baseline, report the error, never a pass.
    return {
      ...errorRow(figure, error ?? new Error('no samples')),
      unit,
      baseline: base.median,
      baselineStats: base,
      baselineLabel,
      target: target?.text ?? 'none set',
      notes,
    };
  }
  const row = {
    figure,
    unit,
    value: ours.median,
    baseline: base.median,
    ratio: ratio ?? ours.median / base.median,
    target: target?.text ?? 'none set',
    ok: null,
    valueStats: ours,
    baselineStats: base,
    baselineLabel,
    notes,
  };
  row.ok = target?.check ? Boolean(target.check(row)) : null;
  return row;
}

/** A row for a figure that could not be measured: shown as an error, never as a pass. */
export function errorRow(figure, error) {
  return {
    figure,
    unit: '',
    value: null,
    baseline: null,
    ratio: null,
    target: '',
    ok: false,
    error: error instanceof Error ? error.message : String(error),
    notes: [],
  };
}

/** Formats a number with a precision suited to its size. */
export function formatNumber(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '-';
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  if (magnitude >= 0.01) return value.toFixed(3);
  return value.toPrecision(2);
}

function cell(stats, unit) {
  if (!stats || stats.n === 0) return '-';
  const range = stats.n > 1 ? ` [${formatNumber(stats.min)}..${formatNumber(stats.max)}]` : '';
  return `${formatNumber(stats.median)} ${unit}${range} n=${stats.n}`;
}

function verdict(row) {
  if (row.error) return 'ERROR';
  if (row.ok === null) return 'n/a';
  return row.ok ? 'pass' : 'FAIL';
}

function tableCells(row) {
  if (row.error) {
    const baseline = row.baselineStats ? cell(row.baselineStats, row.unit) : '';
    return [row.figure, `error: ${row.error}`, baseline, '-', row.target, verdict(row)];
  }
  return [
    row.figure,
    cell(row.valueStats, row.unit),
    `${cell(row.baselineStats, row.unit)}${row.baselineLabel ? ` (${row.baselineLabel})` : ''}`,
    row.ratio === null ? '-' : `${formatNumber(row.ratio)}x`,
    row.target,
    verdict(row),
  ];
}

const HEADER = [
  'figure',
  'ours (median [min..max])',
  'baseline (median [min..max])',
  'ratio',
  'target',
  'result',
];

/** The plain-text table printed on stdout. */
export function renderTable(rows) {
  const lines = [HEADER, ...rows.map(tableCells)];
  const widths = HEADER.map((_, column) => Math.max(...lines.map((line) => line[column].length)));
  const format = (line) =>
    line
      .map((text, column) => text.padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  const notes = rows.flatMap((row) => row.notes.map((note) => `  ${row.figure}: ${note}`));
  return [
    format(lines[0]),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...lines.slice(1).map(format),
    ...(notes.length > 0 ? ['', 'notes:', ...notes] : []),
  ].join('\n');
}

/** The `--json` object: one entry per figure. */
export function renderJson(rows) {
  const result = {};
  for (const row of rows) {
    result[row.figure] = {
      value: row.value,
      baseline: row.baseline,
      ratio: row.ratio,
      unit: row.unit,
      target: row.target,
      ok: row.ok,
      ...(row.error
        ? { error: row.error }
        : {
            valueMin: row.valueStats.min,
            valueMax: row.valueStats.max,
            valueSamples: row.valueStats.n,
            baselineMin: row.baselineStats.min,
            baselineMax: row.baselineStats.max,
            baselineSamples: row.baselineStats.n,
            ...(row.baselineLabel ? { baselineLabel: row.baselineLabel } : {}),
            ...(row.notes.length > 0 ? { notes: row.notes } : {}),
          }),
    };
  }
  return result;
}

/** A Markdown table of the rows, for BENCHMARKS.md. */
export function renderMarkdown(rows) {
  const escapePipes = (text) => text.replaceAll('|', '\\|');
  const lines = [
    `| ${HEADER.join(' | ')} |`,
    `| ${HEADER.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${tableCells(row).map(escapePipes).join(' | ')} |`),
  ];
  const notes = rows.flatMap((row) => row.notes.map((note) => `- \`${row.figure}\`: ${escapePipes(note)}`));
  return [...lines, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}
