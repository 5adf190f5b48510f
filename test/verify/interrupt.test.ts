import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { connect } from 'node:net';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { VerifyInterrupted } from '../../src/verify/run.js';
import { createRuntime } from '../../src/verify/runtime/index.js';
import { copyDist, ROOT } from './_dist.js';
import { addressesLockedBy, bindOnce, locked } from './_locks.js';
import { PROOF_OPTIONS } from './_proof.js';

const canConnect = (host: string, port: number) => new Promise<boolean>((resolve) => {
  const s = connect({ host, port }, () => { s.destroy(); resolve(true); });
  s.on('error', () => resolve(false));
});

test('GIVEN verify sending traffic WHEN it gets Ctrl-C (SIGINT) THEN it says so on stderr, stops everything it started and exits promptly', async () => {
  const work = copyDist();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/dev-cli.ts'), 'verify', work, '--no-check', '--app', 'bookinfo'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    // The runtime is up once an address the child holds (its address locks name its pid) answers on bookinfo's
    // port 9080. Which addresses it gets depends on other verify runs on the machine: they are read, not assumed.
    const deadline = Date.now() + 20_000;
    let serving: string[] = [];
    while (serving.length === 0) {
      assert.ok(Date.now() < deadline, 'the runtime did not start within 20 s');
      await new Promise((r) => setTimeout(r, 100));
      const held = addressesLockedBy(child.pid!);
      for (const a of held) if (await canConnect(a, 9080)) serving.push(a);
    }
    const t = Date.now();
    child.kill('SIGINT');
    // A child that never exits fails here after 60 s instead of hanging the suite.
    const result = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('verify still running 60 s after SIGINT')), 60_000).unref())]);
    assert.ok(Date.now() - t < 8000, `took ${Date.now() - t} ms to stop`);
    assert.ok(result.signal === 'SIGINT' || result.code === 130, JSON.stringify(result));
    // Not silent: the user learns that the run was stopped and why no report follows.
    assert.match(stderr, 'verify: SIGINT: stopping everything the run started; no report (proofs cut short would read as broken promises)\n');
    // Its addresses are released and free again (one another run has locked since is that run's to bind).
    assert.equal(addressesLockedBy(child.pid!), [], 'address locks left behind');
    for (const a of serving) if (!locked(a)) await bindOnce(a, 9080);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN a timeout proof holding a slow backend WHEN SIGINT stops the runtime mid-proof THEN the run gives no verdicts (the cut-short proof would read as broken) but VerifyInterrupted', async () => {
  const expectations = (JSON.parse(fs.readFileSync(path.join(ROOT, '.meshproof/expectations.json'), 'utf8')) as { expectations: Expectation[] }).expectations;
  const timeout = expectations.find((e) => e.id === 'customers/customers-canary#customers-canary-pinned.timeout')!;
  assert.is(timeout.outcome.kind, 'timeout');
  const graph = MeshGraph.from((await loadInputs([path.join(ROOT, 'dist')], { cwd: ROOT })).files);
  // Stands in for the shell: the runtime raises the signal again once it has stopped everything.
  const survive = () => {};
  process.on('SIGINT', survive);
  try {
    // progress(0, 1) comes as the proof starts; its backend then answers only after the 3 s timeout.
    const run = createRuntime().run(graph, [timeout], (done) => { if (done === 0) setTimeout(() => process.kill(process.pid, 'SIGINT'), 500); }, PROOF_OPTIONS);
    const outcome = await run.then((r) => `verdicts: ${JSON.stringify([...r.verdicts])}`, (e: unknown) => e);
    assert.instance(outcome, VerifyInterrupted, String(outcome));
    assert.is((outcome as VerifyInterrupted).signal, 'SIGINT');
  } finally {
    process.off('SIGINT', survive);
  }
});

test('GIVEN verify\'s traffic just finished WHEN SIGINT arrives as its proxies and backends are being stopped THEN the run gives no verdicts but VerifyInterrupted, as earlier in the run (not a silent exit)', async () => {
  const expectations = (JSON.parse(fs.readFileSync(path.join(ROOT, '.meshproof/expectations.json'), 'utf8')) as { expectations: Expectation[] }).expectations;
  const split = expectations.filter((e) => e.id.startsWith('httpbin/')).slice(0, 1);
  assert.is(split.length, 1);
  const graph = MeshGraph.from((await loadInputs([path.join(ROOT, 'dist')], { cwd: ROOT })).files);
  const survive = () => {};
  process.on('SIGINT', survive);
  try {
    // progress(total, total) comes once every proof is done, right before the runtime stops what it started.
    const run = createRuntime().run(graph, split, (done, total) => { if (done === total && total > 0) process.kill(process.pid, 'SIGINT'); }, PROOF_OPTIONS);
    const outcome = await run.then((r) => `verdicts: ${JSON.stringify([...r.verdicts])}`, (e: unknown) => e);
    assert.instance(outcome, VerifyInterrupted, String(outcome));
  } finally {
    process.off('SIGINT', survive);
  }
});

test.run();
