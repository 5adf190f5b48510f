import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { githubReporter, summaryMarkdown } from '../../../src/checks/reporters/github.js';
import type { Finding, Severity } from '../../../src/checks/types.js';
import { HOST_NOT_FOUND, OPTS, resultOf } from './_fixtures.js';

/** Runs `fn` with process.stdout.write captured; returns the workflow commands written. */
async function captureStdout(fn: () => Promise<void>): Promise<string[]> {
  const original = process.stdout.write;
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = original;
  }
  return out.split('\n').filter((l) => l !== '');
}

function many(n: number, severity: Severity): Finding[] {
  return Array.from({ length: n }, (_, i) => ({ ...HOST_NOT_FOUND, severity, location: { ...HOST_NOT_FOUND.location, line: i + 1 } }));
}

const withoutSummary = async (fn: () => Promise<void>): Promise<void> => {
  const saved = process.env['GITHUB_STEP_SUMMARY'];
  delete process.env['GITHUB_STEP_SUMMARY'];
  try {
    await fn();
  } finally {
    if (saved !== undefined) process.env['GITHUB_STEP_SUMMARY'] = saved;
  }
};

test('GIVEN 30 errors WHEN emitted THEN 10 error annotations then one notice about the 20 others', async () => {
  let lines: string[] = [];
  await withoutSummary(async () => {
    lines = await captureStdout(() => githubReporter.emit(resultOf(many(30, 'error')), OPTS));
  });
  assert.is(lines.filter((l) => l.startsWith('::error ')).length, 10);
  assert.is(lines.length, 11);
  assert.ok(lines[10]!.startsWith('::notice title=meshproof%3A more findings::20 more findings not annotated'), lines[10]);
});

test('GIVEN one finding with a TS origin WHEN emitted THEN one annotation with file, line, column, title and the TS location in the message', async () => {
  let lines: string[] = [];
  await withoutSummary(async () => {
    lines = await captureStdout(() => githubReporter.emit(resultOf([HOST_NOT_FOUND]), OPTS));
  });
  assert.equal(lines, [
    '::error title=meshproof [IST0101] routing/host-not-found,file=dist/x.yaml,line=12,col=9::VirtualService default/reviews: Referenced host not found: "ratings"%0ADefined at apps/bookinfo.ts:42 (bookinfo/reviews/virtual-service)',
  ]);
});

test('GIVEN 12 of each level WHEN emitted THEN errors first, 10 + 10 + 9 notices + the overflow notice', async () => {
  let lines: string[] = [];
  await withoutSummary(async () => {
    lines = await captureStdout(() => githubReporter.emit(resultOf([...many(12, 'info'), ...many(12, 'warning'), ...many(12, 'error')]), OPTS));
  });
  const kinds = lines.map((l) => l.slice(2, l.indexOf(' ')));
  assert.equal(kinds, [...Array(10).fill('error'), ...Array(10).fill('warning'), ...Array(10).fill('notice')]);
  assert.ok(lines[29]!.includes('7 more findings not annotated'));
});

test('GIVEN GITHUB_STEP_SUMMARY WHEN emitted THEN a Markdown table with YAML and TS locations is appended', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'meshproof-gh-')), 'summary.md');
  writeFileSync(file, '');
  const saved = process.env['GITHUB_STEP_SUMMARY'];
  process.env['GITHUB_STEP_SUMMARY'] = file;
  try {
    await captureStdout(() => githubReporter.emit(resultOf([HOST_NOT_FOUND]), OPTS));
  } finally {
    if (saved === undefined) delete process.env['GITHUB_STEP_SUMMARY'];
    else process.env['GITHUB_STEP_SUMMARY'] = saved;
  }
  const md = readFileSync(file, 'utf8');
  assert.ok(md.includes('| Severity | Rule | Resource | YAML | TypeScript | Message |'));
  assert.ok(md.includes('| error | `IST0101` `routing/host-not-found` | VirtualService default/reviews | `dist/x.yaml:12` | `apps/bookinfo.ts:42` (bookinfo/reviews/virtual-service) | Referenced host not found: "ratings" |'), md);
});

test('GIVEN more rows than the byte budget WHEN the summary is built THEN it stops under budget and says how many were left out', () => {
  const md = summaryMarkdown(resultOf(many(1000, 'error')), 4096);
  assert.ok(Buffer.byteLength(md) <= 4096);
  assert.match(md, /_\d+ more findings not shown/);
});

test.run();
