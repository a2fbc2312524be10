/**
 * Statistics shared by every figure: medians with min, max and quartiles, and a sub-microsecond clock. This
 * machine is shared and noisy, so figures compare against baselines measured in the same run, interleaved with
 * them, and report medians rather than means; each figure bounds its own loops in count and time.
 */
import { performance } from 'node:perf_hooks';

/** Summary of a list of samples: median, min, max, count, and the quartiles that show how noisy it was. */
export function summarize(samples) {
  if (samples.length === 0)
    return { median: Number.NaN, min: Number.NaN, max: Number.NaN, q1: 0, q3: 0, n: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    min: sorted[0],
    max: sorted[sorted.length - 1],
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    n: sorted.length,
  };
}

/** Linear-interpolated quantile of an already sorted list. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/** Milliseconds since an arbitrary origin, with sub-microsecond resolution. */
export const now = () => performance.now();
