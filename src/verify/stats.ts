/**
 * Statistics for traffic shares: is an observed share of requests (to a version, with a fault
 * status, delayed, mirrored) consistent with the share a promise states?
 *
 * Judgement is an exact two-sided binomial test (Clopper–Pearson) at a stated confidence; the
 * report also shows the Wilson score interval, which is narrower and easier to read. The
 * distributions come from @stdlib (exact binomial test, normal quantile): hand-written tail sums
 * drift at the extremes (p near 0 or 1, large n), where these are tested.
 *
 * False-failure rate: when the config is right and the proxy picks fairly, one share judgement
 * fails with probability at most 1 − confidence (0.1 % at the default 99.9 %). A run judging k
 * shares fails spuriously with probability at most 1 − confidence^k (k = 20: about 2 %). The
 * traffic runtime samples sequentially (`sequential.ts`): the same bounds hold there, a share off
 * by the tolerance passes with probability at most 1 − power, and a right config usually needs
 * about half of `sampleSizeFor`'s requests.
 */
import binomialTest from '@stdlib/stats-binomial-test';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';

/** Default confidence of every share judgement: 99.9 %. */
export const DEFAULT_CONFIDENCE = 0.999;
/** Default tolerance: a share off by 5 percentage points must be detected. */
export const DEFAULT_TOLERANCE = 0.05;
/** Default power: the chance that a share off by the tolerance is caught. */
export const DEFAULT_POWER = 0.99;

/** The outcome of judging one observed share. */
export interface ShareJudgement {
  /** Requests that showed the property (reached the version, got the status…). */
  readonly successes: number;
  /** Requests sent and judged. */
  readonly trials: number;
  /** Observed share, 0..1. */
  readonly observed: number;
  /** Promised share, 0..1. */
  readonly expected: number;
  /** Confidence of the test and the intervals, e.g. 0.999. */
  readonly confidence: number;
  /** Exact two-sided p-value of the observation under the promised share. */
  readonly pValue: number;
  /** Clopper–Pearson (exact) interval for the true share at `confidence`. */
  readonly exactInterval: readonly [number, number];
  /** Wilson score interval for the true share at `confidence`. */
  readonly wilsonInterval: readonly [number, number];
  /** True when the promised share is consistent with the observation (the test does not reject it). */
  readonly holds: boolean;
}

function checkUnit(name: string, v: number, open = true): void {
  const ok = Number.isFinite(v) && (open ? v > 0 && v < 1 : v >= 0 && v <= 1);
  if (!ok) throw new RangeError(`${name} must be a number ${open ? 'strictly between 0 and 1' : 'from 0 to 1'}, got ${String(v)}`);
}

/** Two-sided standard normal quantile for `confidence` (0.999 → 3.29). */
export function zFor(confidence: number): number {
  checkUnit('confidence', confidence);
  return normalQuantile(1 - (1 - confidence) / 2, 0, 1);
}

/**
 * Wilson score interval for `successes` out of `trials` at `confidence`.
 * @throws RangeError for trials < 1, successes outside 0..trials, or a confidence outside (0, 1).
 */
export function wilsonInterval(successes: number, trials: number, confidence = DEFAULT_CONFIDENCE): [number, number] {
  checkCounts(successes, trials);
  const z = zFor(confidence);
  const p = successes / trials;
  const z2n = (z * z) / trials;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / trials + z2n / (4 * trials));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

function checkCounts(successes: number, trials: number): void {
  if (!Number.isInteger(trials) || trials < 1) throw new RangeError(`trials must be a whole number ≥ 1, got ${String(trials)}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > trials) {
    throw new RangeError(`successes must be a whole number from 0 to trials (${trials}), got ${String(successes)}`);
  }
}

/**
 * Judges an observed share against a promised one with the exact binomial test.
 * A promised share of exactly 0 or 1 holds only when every trial agrees (one stray request is
 * a broken promise, not noise: a weight of 0 gets no traffic in Envoy).
 */
export function judgeShare(successes: number, trials: number, expected: number, confidence = DEFAULT_CONFIDENCE): ShareJudgement {
  checkCounts(successes, trials);
  checkUnit('expected share', expected, false);
  checkUnit('confidence', confidence);
  const wilson = wilsonInterval(successes, trials, confidence);
  const observed = successes / trials;
  if (expected === 0 || expected === 1) {
    const holds = successes === expected * trials;
    return { successes, trials, observed, expected, confidence, pValue: holds ? 1 : 0, exactInterval: wilson, wilsonInterval: wilson, holds };
  }
  const t = binomialTest(successes, trials, { p: expected, alpha: 1 - confidence, alternative: 'two-sided' });
  return {
    successes, trials, observed, expected, confidence,
    pValue: t.pValue,
    exactInterval: [t.ci[0]!, t.ci[1]!],
    wilsonInterval: wilson,
    holds: !t.rejected,
  };
}

/**
 * Requests needed so that a true share off by `tolerance` from `expected` is caught with
 * probability `power`, while a right one fails with probability at most 1 − `confidence`
 * (normal approximation of the two-sided binomial test; at least 20).
 * @param expected promised share 0..1
 * @param tolerance smallest deviation that must be detected, 0..1 (0.05 = five percentage points)
 */
export function sampleSizeFor(expected: number, tolerance = DEFAULT_TOLERANCE, confidence = DEFAULT_CONFIDENCE, power = DEFAULT_POWER): number {
  checkUnit('expected share', expected, false);
  checkUnit('tolerance', tolerance);
  checkUnit('power', power);
  if (expected === 0 || expected === 1) {
    // Every request must agree; n such that a true share of `tolerance` shows at least one stray with `power`.
    return Math.max(20, Math.ceil(Math.log(1 - power) / Math.log(1 - tolerance)));
  }
  const za = zFor(confidence);
  const zb = normalQuantile(power, 0, 1);
  const shifted = Math.min(0.999, Math.max(0.001, expected + (expected <= 0.5 ? tolerance : -tolerance)));
  const n = ((za * Math.sqrt(expected * (1 - expected)) + zb * Math.sqrt(shifted * (1 - shifted))) / tolerance) ** 2;
  return Math.max(20, Math.ceil(n));
}

/**
 * A confidence level as a percentage with as many decimals as its nines need (at least one):
 * 0.95 → `95.0`, 0.999 → `99.9`, 0.99999 → `99.999`, never rounded up to `100.0`.
 */
export function formatConfidence(confidence: number): string {
  const digits = Math.min(8, Math.max(1, Math.ceil(-Math.log10(1 - confidence) - 1e-9) - 2));
  return (confidence * 100).toFixed(digits);
}

/** `90.0 % (99.9 % Wilson 87.1–92.4 %)`-style text for reports. */
export function formatShare(j: ShareJudgement): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return `${pct(j.observed)} of ${j.trials} (expected ${pct(j.expected)}; ${formatConfidence(j.confidence)} % Wilson ${pct(j.wilsonInterval[0])}–${pct(j.wilsonInterval[1])}, p = ${j.pValue.toPrecision(2)})`;
}
