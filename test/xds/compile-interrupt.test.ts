/**
 * `meshproof xds compile` stopped or killed while translating leaves no staging folder in `--out`:
 * SIGINT (Ctrl-C) and SIGTERM remove this run's stage and leave the dumps as they were, and a run
 * removes the stages that runs no longer alive left behind (never a live run's).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../cli/_io.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'meshproof-xds-compile-interrupt-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

/** A namespace with `n` Deployments and Services: each proxy sees every service, so translating takes a while. */
function mesh(n: number): string {
  const docs = ['apiVersion: v1\nkind: Namespace\nmetadata: { name: shop, labels: { istio-injection: enabled } }\n'];
  for (let i = 0; i < n; i++) {
    docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: { name: web${i}, namespace: shop }
spec:
  selector: { matchLabels: { app: web${i} } }
  template:
    metadata: { labels: { app: web${i}, version: v1 } }
    spec: { containers: [{ name: web, image: nginx:1.27 }] }
`, `apiVersion: v1
kind: Service
metadata: { name: web${i}, namespace: shop }
spec: { selector: { app: web${i} }, ports: [{ name: http, port: 80 }] }
`);
  }
  return docs.join('---\n');
}

const stages = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.meshproof-stage-')).sort();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`GIVEN xds compile translating WHEN it gets ${signal} THEN it dies of the signal, its staging folder is gone and --out holds the earlier dumps as they were`, async () => {
    const input = join(work, 'big.yaml');
    if (!existsSync(input)) writeFileSync(input, mesh(60));
    const out = join(work, `out-${signal}`);
    mkdirSync(out);
    const earlier = '{\n  "configs": []\n}\n';
    writeFileSync(join(out, 'shop.web0.json'), earlier);
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/dev-cli.ts'), 'xds', 'compile', input, '--out', out, '--no-check'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
    try {
      // WHEN the stage exists (translation under way)
      const deadline = Date.now() + 60_000;
      while (stages(out).length === 0) {
        assert.ok(child.exitCode === null, `compile ended before its stage was seen: ${stderr}`);
        assert.ok(Date.now() < deadline, 'no staging folder within 60 s');
        await new Promise((r) => setTimeout(r, 2));
      }
      child.kill(signal);
      const result = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`compile still running 30 s after ${signal}`)), 30_000).unref())]);
      // THEN
      assert.equal(result, { code: null, signal }, stderr);
      assert.equal(stages(out), [], `a staging folder was left in --out after ${signal}`);
      assert.equal(readdirSync(out), ['shop.web0.json']);
      assert.is(readFileSync(join(out, 'shop.web0.json'), 'utf8'), earlier);
      assert.match(stderr, new RegExp(`stopped by ${signal}; nothing written`));
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
}

test('GIVEN stages in --out of a dead run, a live run, and without a pid (an hour old and fresh) WHEN compiled THEN the dead and the old one are removed, the live and the fresh one kept', async () => {
  writeFileSync(join(work, 'small.yaml'), mesh(1));
  const out = join(work, 'out-stale');
  mkdirSync(out);
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  const make = (name: string) => { mkdirSync(join(out, name)); writeFileSync(join(out, name, 'shop.web0.json'), '{}'); return name; };
  const deadStage = make(`.meshproof-stage-${dead}-AbC123`);
  const liveStage = make(`.meshproof-stage-${process.ppid}-AbC123`);
  const oldUnowned = make('.meshproof-stage-YJjgzf');
  const hourAgo = new Date(Date.now() - 3600_000);
  utimesSync(join(out, oldUnowned), hourAgo, hourAgo);
  const freshUnowned = make('.meshproof-stage-Qw3rty');
  const cap = captureIO(work);
  const code = await main(['xds', 'compile', 'small.yaml', '--out', 'out-stale', '--no-check'], cap.io);
  assert.is(code, 0, cap.stderr());
  assert.equal(stages(out), [liveStage, freshUnowned].sort());
  assert.ok(!existsSync(join(out, deadStage)) && !existsSync(join(out, oldUnowned)));
  assert.ok(existsSync(join(out, 'shop.web0.json')));
});

test.run();
