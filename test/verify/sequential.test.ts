import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runSequential, SequentialPlan } from '../../src/verify/sequential.js';
import { sampleSizeFor } from '../../src/verify/stats.js';
import { seeded } from '../_random.js';

/** Seeded uniform [0, 1) (mulberry32), so the simulated error rates are reproducible. */
const rng = seeded;

/** Runs `plan` on a source whose true share is `truth`: whether it held, and requests spent. */
async function simulate(plan: SequentialPlan, truth: number, random: () => number): Promise<{ held: boolean; n: number; decidedBy: string }> {
  const r = await runSequential(plan, async (k) => Array.from({ length: k }, () => random() < truth), (hit) => [hit]);
  return { held: r.judgements[0]!.holds, n: r.samples.length, decidedBy: r.judgements[0]!.sequential.decidedBy };
}

test('GIVEN a 90 % promise WHEN the plan is made THEN it has 10 increasing looks ending above the fixed design (the price of stopping early)', () => {
  const plan = new SequentialPlan([0.9, 0.1]);
  assert.is(plan.schedule.length, 10);
  assert.ok(plan.schedule.every((n, i) => i === 0 || n > plan.schedule[i - 1]!));
  const fixed = sampleSizeFor(0.9);
  assert.ok(plan.maxTrials > fixed && plan.maxTrials < fixed * 1.5, `${plan.maxTrials} vs fixed ${fixed}`);
});

test('GIVEN counts right on the promise WHEN judged at the first look THEN it waits; at the fifth look THEN it holds early', () => {
  const plan = new SequentialPlan([0.9]);
  const n1 = plan.schedule[0]!;
  assert.is(plan.decide(1, [Math.round(0.9 * n1)], n1), undefined);
  const n5 = plan.schedule[4]!;
  const j = plan.decide(5, [Math.round(0.9 * n5)], n5)!;
  assert.ok(j[0]!.holds);
  assert.is(j[0]!.sequential.decidedBy, 'held-early');
  assert.is(j[0]!.sequential.look, 5);
});

test('GIVEN swapped weights (10 % where 90 % is promised) WHEN judged at the first look THEN it is broken there', () => {
  const plan = new SequentialPlan([0.9, 0.1]);
  const n = plan.schedule[0]!;
  const j = plan.decide(1, [Math.round(0.1 * n), Math.round(0.9 * n)], n)!;
  assert.ok(j !== undefined);
  assert.not.ok(j[0]!.holds);
  assert.not.ok(j[1]!.holds);
  assert.is(j[0]!.sequential.decidedBy, 'broken');
});

test('GIVEN a share just outside the tolerance WHEN every look is taken THEN it never holds early, and the last look decides', () => {
  const plan = new SequentialPlan([0.5]);
  // 44 %: off by more than the 5-point tolerance, yet too close to reject at the first looks.
  for (let k = 1; k < 3; k++) {
    const n = plan.schedule[k - 1]!;
    const d = plan.decide(k, [Math.round(0.47 * n)], n);
    assert.ok(d === undefined || d[0]!.sequential.decidedBy !== 'held-early', `look ${k}`);
  }
  const last = plan.decide(10, [Math.round(0.44 * plan.maxTrials)], plan.maxTrials)!;
  assert.not.ok(last[0]!.holds);
});

test('GIVEN a 100 % promise WHEN one request strays at the second look THEN it is broken there; all agreeing THEN it holds only at the last look', () => {
  const plan = new SequentialPlan([1]);
  const n2 = plan.schedule[1]!;
  assert.is(plan.decide(1, [plan.schedule[0]!], plan.schedule[0]!), undefined);
  const stray = plan.decide(2, [n2 - 1], n2)!;
  assert.not.ok(stray[0]!.holds);
  assert.is(stray[0]!.sequential.decidedBy, 'broken');
  assert.is(plan.decide(9, [plan.schedule[8]!], plan.schedule[8]!), undefined);
  const all = plan.decide(10, [plan.maxTrials], plan.maxTrials)!;
  assert.ok(all[0]!.holds);
  assert.is(plan.maxTrials, sampleSizeFor(1));
});

test('GIVEN a split with a weight-0 destination WHEN one request reaches it THEN the split is broken at once', () => {
  const plan = new SequentialPlan([0.9, 0.1, 0]);
  const n = plan.schedule[0]!;
  const j = plan.decide(1, [Math.round(0.9 * n) - 1, n - Math.round(0.9 * n), 1], n)!;
  assert.not.ok(j[2]!.holds);
});

test('GIVEN bad plan options WHEN a plan is made THEN a RangeError names the field and value', () => {
  assert.throws(() => new SequentialPlan([0.9], { looks: 0 }), /looks must be a whole number from 1 to 100, got 0/);
  assert.throws(() => new SequentialPlan([]), /at least one promised share/);
  assert.throws(() => new SequentialPlan([1.5]), /expected share must be a number from 0 to 1, got 1\.5/);
  assert.throws(() => new SequentialPlan([0.5], { tolerance: 0 }), /tolerance must be a number strictly between 0 and 1/);
  assert.throws(() => new SequentialPlan([0.5]).decide(1, [1, 2], 10), /expected 1 success counts, got 2/);
});

// The error rates, simulated at a loose level (α = 5 %, β = 10 %) so that 400 runs can see them.
test('GIVEN a right 75 % share WHEN judged 400 times at 95 % confidence THEN at most about 5 % fail, spending well under the fixed design on average', async () => {
  const plan = new SequentialPlan([0.75], { confidence: 0.95, power: 0.9 });
  const random = rng(7);
  let failed = 0;
  let spent = 0;
  for (let i = 0; i < 400; i++) {
    const r = await simulate(plan, 0.75, random);
    if (!r.held) failed++;
    spent += r.n;
  }
  // 5 % of 400 is 20; 32 is about 3 standard deviations above it.
  assert.ok(failed <= 32, `${failed} of 400 right shares failed`);
  assert.ok(spent / 400 < plan.maxTrials, `mean ${spent / 400} of max ${plan.maxTrials}`);
});

test('GIVEN a 75 % promise and a true share of 70 % (off by the tolerance) WHEN judged 400 times at 90 % power THEN at most about 10 % pass', async () => {
  const plan = new SequentialPlan([0.75], { confidence: 0.95, power: 0.9 });
  const random = rng(11);
  let passed = 0;
  for (let i = 0; i < 400; i++) if ((await simulate(plan, 0.7, random)).held) passed++;
  // 10 % of 400 is 40; 58 is about 3 standard deviations above it.
  assert.ok(passed <= 58, `${passed} of 400 wrong shares passed`);
});

test('GIVEN the defaults (99.9 % confidence, 99 % power, 5 points) WHEN a right 90 % share is judged 40 times THEN none fails and most stop early with about half the fixed sample', async () => {
  const plan = new SequentialPlan([0.9]);
  const random = rng(3);
  let early = 0;
  let spent = 0;
  for (let i = 0; i < 40; i++) {
    const r = await simulate(plan, 0.9, random);
    assert.ok(r.held, `run ${i} failed`);
    if (r.decidedBy === 'held-early') early++;
    spent += r.n;
  }
  assert.ok(early >= 36, `${early} of 40 stopped early`);
  assert.ok(spent / 40 < 0.75 * sampleSizeFor(0.9), `mean ${spent / 40} vs fixed ${sampleSizeFor(0.9)}`);
});

test.run();
