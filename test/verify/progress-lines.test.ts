/**
 * `meshproof verify` without a terminal (CI logs) says how far it got on stderr, in plain lines at
 * a bounded rate, and leaves the report on stdout as it was (JSON still parses).
 */
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { elapsed, progressLines } from '../../src/cli/verify-progress.js';
import { captureIO } from '../cli/_io.js';
import { copyDist } from './_dist.js';

test('GIVEN verify --static-only --format json with stdout not a terminal WHEN it runs THEN stderr has the phase\'s start and end lines and stdout is the JSON report alone', async () => {
  const work = copyDist();
  try {
    const cap = captureIO(work);
    const code = await main(['verify', '--static-only', '--app', 'customers', '--format', 'json'], cap.io);
    assert.is(code, 0, cap.stderr());
    const report = JSON.parse(cap.stdout());
    const n = report.results.length;
    assert.ok(n > 0);
    assert.match(cap.stderr(), new RegExp(`^verify: static: judging ${n} promises? against the config\\nverify: static: ${n}/${n} done in \\d+\\.\\d s\\n$`));
    const text = captureIO(work);
    assert.is(await main(['verify', '--static-only', '--app', 'customers'], text.io), 0);
    assert.not.match(text.stdout(), /^verify: /m, 'the text report has no progress line in it');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a clock WHEN promises are reported often THEN one count line per everyMs at most, start and end lines always, and "still running" after quietMs of silence', async () => {
  let t = 0;
  const out: string[] = [];
  const p = progressLines((l) => out.push(l), { everyMs: 10_000, quietMs: 100, now: () => t });
  try {
    p.progress('static', 1, 2);
    p.progress('static', 2, 2);
    p.progress('traffic', 0, 100);
    for (let i = 1; i < 100; i++) {
      t += 1000;
      p.progress('traffic', i, 100);
    }
    assert.equal(out, [
      'verify: static: judging 2 promises against the config\n',
      'verify: static: 2/2 done in 0.0 s\n',
      'verify: traffic: proving 100 promises with requests\n',
      'verify: traffic: 10/100, 10.0 s so far\n',
      'verify: traffic: 20/100, 20.0 s so far\n',
      'verify: traffic: 30/100, 30.0 s so far\n',
      'verify: traffic: 40/100, 40.0 s so far\n',
      'verify: traffic: 50/100, 50.0 s so far\n',
      'verify: traffic: 60/100, 1 min 0 s so far\n',
      'verify: traffic: 70/100, 1 min 10 s so far\n',
      'verify: traffic: 80/100, 1 min 20 s so far\n',
      'verify: traffic: 90/100, 1 min 30 s so far\n',
    ]);
    out.length = 0;
    t += 5000;
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(out, ['verify: still running: traffic 99/100, 1 min 44 s so far\n']);
    p.progress('traffic', 100, 100);
    assert.is(out.at(-1), 'verify: traffic: 100/100 done in 1 min 44 s\n');
  } finally {
    p.stop();
  }
  assert.is(elapsed(59_940), '59.9 s');
  assert.is(elapsed(59_960), '1 min 0 s');
  assert.is(elapsed(125_000), '2 min 5 s');
});

test.run();
