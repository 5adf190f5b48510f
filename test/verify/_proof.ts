/**
 * The statistical options of the suite's traffic proofs. A share judgement at confidence c breaks
 * a right config with probability up to 1 − c; the product's default (0.999) is a fair price for one
 * `meshproof verify`, but the suite runs hundreds of share judgements per CI run, so at 0.999 about
 * one run in ten would fail on chance alone (a 50/50 split once measured 62.9/37.1 of 245, p = 7e-5).
 * At 0.99999 a right config fails one judgement in 100,000, for about 10 % more requests
 * (`SequentialPlan`); a broken one (a swapped split, a wrong subset) is still caught in the first looks.
 * Tolerance 0.2: the suite's promises are caught by gross deviations; the small ones are the
 * sequential plan's own tests (`sequential.test.ts`).
 */
export const PROOF_OPTIONS = { confidence: 0.99999, tolerance: 0.2 } as const;

/** `PROOF_OPTIONS.confidence` as `meshproof verify --confidence` takes it. */
export const PROOF_CONFIDENCE_ARG = ['--confidence', String(PROOF_OPTIONS.confidence)] as const;
