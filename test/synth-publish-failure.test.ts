/**
 * The validation plugin's publish step when the swap fails (a read-only `dist/`, say): the previous
 * output stays, the stage of this run is discarded (the plugin's comment and the README promise it),
 * and the message says what to do; exit code 1. The swap itself is `promote.ts`'s (synth-promote.test.ts).
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const require = createRequire(import.meta.url);
const { publishOrDiscard } = require('../plugins/cdk8s-validation/index.cjs') as { publishOrDiscard: (promote: unknown, root: string, stageRoot: string, stage: unknown, publish: boolean) => void };

function failingPublish(code: string): { stderr: string; stageLeft: boolean; exitCode: number | string | undefined } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-publish-'));
  const stageRoot = path.join(root, '.meshproof', 'synth');
  fs.mkdirSync(path.join(stageRoot, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(stageRoot, 'dist', 'a.k8s.yaml'), 'kind: Namespace\n');
  const promote = {
    SOURCE_MAP_PATH: '.meshproof/sourcemap.json', EXPECTATIONS_PATH: '.meshproof/expectations.json',
    promote: () => { throw Object.assign(new Error(`${code}: permission denied, rename '${root}/dist' -> '${root}/.meshproof/previous/outdir'`), { code }); },
    recoverPromotion: () => false,
  };
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  const before = process.exitCode;
  process.stderr.write = ((chunk: string) => { stderr += chunk; return true; }) as typeof process.stderr.write;
  try {
    publishOrDiscard(promote, root, stageRoot, { outdir: 'dist', sourceMap: true }, true);
  } finally {
    process.stderr.write = write;
  }
  const exitCode = process.exitCode;
  process.exitCode = before;
  const stageLeft = fs.existsSync(stageRoot);
  fs.rmSync(root, { recursive: true, force: true });
  return { stderr, stageLeft, exitCode };
}

test('GIVEN a publish that fails with EACCES WHEN the plugin publishes THEN exit code 1, the stage is discarded, and the message says the output is unchanged and to make dist/ and .meshproof/ writable', () => {
  const r = failingPublish('EACCES');
  assert.is(r.exitCode, 1);
  assert.not.ok(r.stageLeft, 'the stage of a failed publish is discarded');
  assert.match(r.stderr, /^meshproof: could not publish dist\/ \(EACCES: permission denied, rename [^)]*\); the previous output is unchanged; make dist\/ and \.meshproof\/ writable by this user, then synth again\n$/);
});

test('GIVEN a publish that fails otherwise WHEN the plugin publishes THEN the message says to fix the cause and synth again', () => {
  const r = failingPublish('ENOSPC');
  assert.is(r.exitCode, 1);
  assert.not.ok(r.stageLeft);
  assert.match(r.stderr, /; the previous output is unchanged; fix the cause above, then synth again\n$/);
});

test.run();
