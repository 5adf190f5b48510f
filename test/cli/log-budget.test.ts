/** The log line budget `xds serve` puts on lines a client can cause at will (node ids). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { logBudget } from '../../src/cli/log-budget.js';

function harness() {
  let t = 0;
  const lines: string[] = [];
  const timers: { at: number; run: () => void }[] = [];
  const budget = logBudget((l) => lines.push(l), 'xds serve: ', { perWindow: 3, windowMs: 60_000, now: () => t, schedule: (run, ms) => timers.push({ at: t + ms, run }) });
  const advance = (ms: number) => {
    t += ms;
    for (const timer of timers.splice(0).filter((x) => x.at <= t)) timer.run();
  };
  return { budget, lines, advance };
}

test('GIVEN a budget of 3 a minute WHEN 10 lines come in one minute THEN 3 are logged, and at the minute\'s end one line counts the 7 left out', () => {
  const { budget, lines, advance } = harness();
  for (let i = 0; i < 10; i++) budget.log(`line ${i}`);
  assert.equal(lines, ['line 0', 'line 1', 'line 2']);
  advance(60_000);
  assert.equal(lines.slice(3), ['xds serve: 7 more lines like the ones above left out (at most 3 per 60 s)']);
});

test('GIVEN lines spread over minutes WHEN each minute stays within the budget THEN every line is logged and no count line is written', () => {
  const { budget, lines, advance } = harness();
  for (let minute = 0; minute < 4; minute++) {
    for (let i = 0; i < 3; i++) budget.log(`m${minute} ${i}`);
    advance(60_000);
  }
  assert.is(lines.length, 12);
  assert.not.ok(lines.some((l) => l.includes('left out')));
});

test('GIVEN a minute over budget WHEN the next line comes after the window closed THEN the count comes first, once, and the new window logs again', () => {
  const { budget, lines, advance } = harness();
  for (let i = 0; i < 5; i++) budget.log(`a${i}`);
  advance(61_000);
  budget.log('b0');
  assert.equal(lines, ['a0', 'a1', 'a2', 'xds serve: 2 more lines like the ones above left out (at most 3 per 60 s)', 'b0']);
});

test.run();
