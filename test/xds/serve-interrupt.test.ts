/**
 * `meshproof xds serve` stopped by Ctrl-C (SIGINT) or SIGTERM closes its listeners and ends by the
 * signal (exit 130 / 143 in a shell), as `xds compile` and `verify` do, not with a clean exit 0.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { APP } from './_one-service-app.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'meshproof-serve-interrupt-'));
test.after(() => rmSync(work, { recursive: true, force: true }));
writeFileSync(join(work, 'app.yaml'), APP);

const connects = (port: number) => new Promise<boolean>((resolve) => {
  const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
  s.on('error', () => resolve(false));
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`GIVEN xds serve serving WHEN it gets ${signal} THEN it closes its listeners and dies of the signal (exit ${signal === 'SIGINT' ? 130 : 143} in a shell)`, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/dev-cli.ts'), 'xds', 'serve', '--input', join(work, 'app.yaml'), '--listen', '127.0.0.1:0', '--no-check'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
    try {
      const deadline = Date.now() + 30_000;
      let m: RegExpExecArray | null = null;
      while (!(m = /ADS on 127\.0\.0\.1:(\d+)/.exec(stdout))) {
        assert.ok(child.exitCode === null, `serve ended before serving: ${stderr}`);
        assert.ok(Date.now() < deadline, `not serving within 30 s: ${stdout}${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const port = Number(m[1]);
      assert.ok(await connects(port), 'the ADS port answers while serving');
      child.kill(signal);
      const result = await Promise.race([exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`serve still running 15 s after ${signal}`)), 15_000).unref())]);
      assert.equal(result, { code: null, signal }, stderr);
      assert.not.ok(await connects(port), 'the ADS port is closed');
      // Read after the exit: stderr and stdout are separate pipes, so the note may arrive after the ADS line.
      assert.is(stderr.match(/--listen 127\.0\.0\.1:0 serves plaintext ADS: streams are unauthenticated/g)?.length, 1, `the plaintext note, once: ${stderr}`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
}

test.run();
