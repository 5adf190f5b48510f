/**
 * Sequential judgement of a traffic share: send requests in batches ("looks") and stop as soon as
 * the verdict is already certain at the stated error rates, instead of always sending the
 * fixed-design sample size of `sampleSizeFor`. A right config usually stops after about half the
 * requests; a broken one (swapped weights, a wrong subset) after the first batch.
 *
 * Design (repeated confidence intervals with Bonferroni alpha spending; Jennison & Turnbull,
 * "Group Sequential Methods", ch. 9): with α = 1 − confidence, β = 1 − power, K looks at
 * n_k = ⌈k·N/K⌉ and N = `sampleSizeFor(p0, tolerance, 1 − α/K, 1 − β/2)`:
 *
 * - **broken** at look k when the exact (Clopper–Pearson) two-sided interval at level 1 − α/K
 *   excludes the promised share p0. The K intervals all cover the true share except with
 *   probability ≤ α (union bound), so a right config fails with probability ≤ α, as the fixed test.
 * - **held early** at an interim look k < K when both exact one-sided bounds at level
 *   1 − β/(2(K−1)) lie strictly inside p0 ± tolerance. A share off by the tolerance or more passes
 *   an interim look only when a bound misses the truth: probability ≤ β/2 over all interim looks.
 * - at the last look, **held** unless broken. N gives the last look power 1 − β/2 against a share
 *   off by the tolerance, so a share off by the tolerance is missed with probability ≤ β in all.
 *
 * The cost of stopping early is a larger worst case: N is about 20 % above the fixed design's
 * (K = 10). A promised share of exactly 0 or 1 is judged as in `judgeShare` (every request must
 * agree): it stops at the first stray request, which already breaks the promise.
 */
import binomialTest from '@stdlib/stats-binomial-test';
import { DEFAULT_CONFIDENCE, DEFAULT_POWER, DEFAULT_TOLERANCE, judgeShare, sampleSizeFor, type ShareJudgement } from './stats.js';

/** Looks (batches) of a sequential judgement by default. */
export const DEFAULT_LOOKS = 10;

export interface SequentialOptions {
  /** Chance that a right share passes: 1 − α. @default 0.999 (DEFAULT_CONFIDENCE) */
  readonly confidence?: number;
  /** Smallest deviation that must be caught, 0..1. @default 0.05 (DEFAULT_TOLERANCE) */
  readonly tolerance?: number;
  /** Chance that a share off by the tolerance is caught: 1 − β. @default 0.99 (DEFAULT_POWER) */
  readonly power?: number;
  /** Number of looks K, 1..100 (1 is the fixed design at level α). @default 10 */
  readonly looks?: number;
}

/** How a sequential judgement ended. */
export interface SequentialOutcome {
  /** The look that decided, 1..looks. */
  readonly look: number;
  readonly looks: number;
  /** Requests the plan would send at most. */
  readonly maxTrials: number;
  /** `held-early`: inside the tolerance before the last look; `broken`: the promise is excluded; `final`: the last look decided. */
  readonly decidedBy: 'held-early' | 'broken' | 'final';
}

/** A share judgement that says where the sequential plan stopped. */
export interface SequentialJudgement extends ShareJudgement {
  readonly sequential: SequentialOutcome;
}

/** A sequential plan for promised shares: its looks and its decision rule. */
export class SequentialPlan {
  readonly confidence: number;
  readonly tolerance: number;
  readonly power: number;
  readonly looks: number;
  /** Requests at each look, increasing; the last is the most the plan sends. */
  readonly schedule: readonly number[];
  /** Requests a promise of exactly 0 or 1 needs before it can hold (`sampleSizeFor(0)`). */
  private readonly exactTrials: number;

  /**
   * @param expected the promised shares judged on the same requests (a split's destinations), each 0..1
   * @throws RangeError for shares, confidence, tolerance or power outside their ranges, or looks not 1..100
   */
  constructor(readonly expected: readonly number[], options: SequentialOptions = {}) {
    this.confidence = options.confidence ?? DEFAULT_CONFIDENCE;
    this.tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
    this.power = options.power ?? DEFAULT_POWER;
    const looks = options.looks ?? DEFAULT_LOOKS;
    if (!Number.isInteger(looks) || looks < 1 || looks > 100) throw new RangeError(`looks must be a whole number from 1 to 100, got ${String(looks)}`);
    if (expected.length === 0) throw new RangeError('a sequential plan needs at least one promised share');
    this.looks = looks;
    const alpha = 1 - this.confidence;
    // Promises of exactly 0 or 1 keep the fixed rule (every request agrees, `exactTrials` of them).
    this.exactTrials = sampleSizeFor(0, this.tolerance, this.confidence, this.power);
    const max = Math.max(...expected.map((p) => (p === 0 || p === 1
      ? this.exactTrials
      : sampleSizeFor(p, this.tolerance, 1 - alpha / looks, 1 - (1 - this.power) / (looks === 1 ? 1 : 2)))));
    this.schedule = Array.from({ length: this.looks }, (_, k) => Math.ceil(((k + 1) * max) / this.looks));
  }

  /** The most requests the plan sends. */
  get maxTrials(): number {
    return this.schedule[this.schedule.length - 1]!;
  }

  /**
   * Decides at look `look` (1-based) with `successes[i]` requests showing share i out of `trials`
   * (= schedule[look − 1]): one judgement per share when the plan stops here, else undefined.
   * A share of exactly 0 or 1 with a stray request is broken at once, at any number of trials.
   */
  decide(look: number, successes: readonly number[], trials: number): SequentialJudgement[] | undefined {
    if (successes.length !== this.expected.length) throw new RangeError(`expected ${this.expected.length} success counts, got ${successes.length}`);
    const last = look >= this.looks;
    const alphaLook = (1 - this.confidence) / this.looks;
    const betaLook = this.looks > 1 ? (1 - this.power) / (2 * (this.looks - 1)) : 0;
    const verdicts = this.expected.map((p, i) => {
      const x = successes[i]!;
      if (p === 0 || p === 1) {
        const broken = x !== p * trials;
        return { broken, inside: !broken && trials >= this.exactTrials };
      }
      const broken = binomialTest(x, trials, { p, alpha: alphaLook, alternative: 'two-sided' }).rejected;
      if (broken || last) return { broken, inside: false };
      const lower = binomialTest(x, trials, { p, alpha: betaLook, alternative: 'greater' }).ci[0]!;
      const upper = binomialTest(x, trials, { p, alpha: betaLook, alternative: 'less' }).ci[1]!;
      return { broken, inside: lower > p - this.tolerance && upper < p + this.tolerance };
    });
    const broken = verdicts.some((v) => v.broken);
    const heldEarly = !broken && !last && verdicts.every((v) => v.inside);
    if (!broken && !heldEarly && !last) return undefined;
    const decidedBy = broken ? 'broken' : heldEarly ? 'held-early' : 'final';
    const outcome: SequentialOutcome = { look: Math.min(look, this.looks), looks: this.looks, maxTrials: this.maxTrials, decidedBy };
    return this.expected.map((p, i) => {
      const j = judgeShare(successes[i]!, trials, p, this.confidence);
      return { ...j, holds: !verdicts[i]!.broken, sequential: outcome };
    });
  }
}

/**
 * Runs `plan`: `sample(n)` sends n more requests and returns them; `shows(t)` says which promised
 * shares a request showed (one boolean per share), asked again for every request at every look.
 * Stops at the first look that decides.
 * @returns the judgements (one per share) and every sample taken, in order
 */
export async function runSequential<T>(plan: SequentialPlan, sample: (n: number) => Promise<readonly T[]>, shows: (t: T) => readonly boolean[]): Promise<{ judgements: SequentialJudgement[]; samples: T[] }> {
  const samples: T[] = [];
  for (let look = 1; look <= plan.looks; look++) {
    samples.push(...await sample(plan.schedule[look - 1]! - samples.length));
    // Recounted at every look: what a request showed may arrive late (a mirrored copy).
    const counts = plan.expected.map(() => 0);
    for (const t of samples) shows(t).forEach((s, i) => { if (s) counts[i]!++; });
    const judgements = plan.decide(look, counts, samples.length);
    if (judgements) return { judgements, samples };
  }
  throw new Error('unreachable: the last look always decides');
}
