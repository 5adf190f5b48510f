import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Finding } from '../../src/checks/types.js';
import { ANNOTATIONS_PER_LEVEL, planAnnotations } from '../../src/gate/annotations.js';
import { gateSummary } from '../../src/gate/summary.js';
import type { MeshDiff } from '../../src/diff/semantic-diff.js';
import type { HostMap } from '../../src/map/traffic.js';

const loc = (line: number) => ({ file: 'dist/app.k8s.yaml', line, column: 3 });

function finding(i: number, severity: Finding['severity'], withSource = true): Finding {
  return {
    ruleId: 'routing/example',
    istioCode: null,
    severity,
    message: `problem ${i}`,
    resource: { kind: 'VirtualService', namespace: 'shop', name: `vs${i}` },
    location: loc(100 + i),
    source: withSource ? { constructPath: `shop/vs${i}`, file: 'apps/shop.ts', line: 10 + i } : null,
  };
}

test('GIVEN 30 errors, two on lines the PR touched WHEN annotations are planned THEN 10 error annotations, touched findings first on the TypeScript line, and an overflow', () => {
  const findings = Array.from({ length: 30 }, (_, i) => finding(i, 'error'));
  const touched = new Map([['apps/shop.ts', new Set([10 + 25, 10 + 17])]]);
  const plan = planAnnotations(findings, touched, '/repo');
  const errors = plan.annotations.filter((a) => a.level === 'error');
  assert.is(errors.length, ANNOTATIONS_PER_LEVEL);
  assert.equal(errors.slice(0, 4).map((a) => `${a.file}:${a.line}`), ['apps/shop.ts:27', 'dist/app.k8s.yaml:117', 'apps/shop.ts:35', 'dist/app.k8s.yaml:125']);
  assert.is(plan.overflow, true);
  assert.is(plan.omittedFindings, 25);
});

test('GIVEN no base (touched unknown) and three findings WHEN planned THEN every finding gets both lines and nothing overflows', () => {
  const plan = planAnnotations([finding(1, 'warning'), finding(2, 'info'), finding(3, 'info', false)], null, '/repo');
  assert.is(plan.annotations.length, 5);
  assert.is(plan.overflow, false);
  assert.is(plan.omittedFindings, 0);
  assert.equal(plan.annotations.map((a) => a.level), ['warning', 'warning', 'notice', 'notice', 'notice']);
});

test('GIVEN ten notices with sources WHEN planned THEN one notice slot is left for the overflow note', () => {
  const plan = planAnnotations(Array.from({ length: 10 }, (_, i) => finding(i, 'info')), null, '/repo');
  assert.is(plan.annotations.length, ANNOTATIONS_PER_LEVEL - 1);
  assert.is(plan.overflow, true);
  assert.is(plan.omittedFindings, 5);
});

function hugeDiff(n: number): MeshDiff {
  return {
    added: [],
    removed: [],
    changed: Array.from({ length: n }, (_, i) => ({
      ref: { kind: 'ConfigMap', namespace: 'big', name: `cm-${i}` },
      group: '',
      location: loc(i),
      source: null,
      fields: Array.from({ length: 25 }, (_, j) => ({ path: ['data', `key-${j}`], before: 'x'.repeat(90), after: 'y'.repeat(90) })),
      splits: [],
      routes: [],
    })),
  };
}

const host: HostMap = { host: 'shop.shop.svc.cluster.local', gateways: ['mesh'], routes: [], virtualServices: [] };

test('GIVEN a diff that alone would exceed 1 MiB WHEN the summary is built THEN it stays under the limit, is cut at a line with a note, and later sections are named as left out', () => {
  const md = gateSummary({ passed: true, verdict: 'ok', check: null, diff: hugeDiff(2000), changedHosts: [host], verify: 'all held', omittedAnnotations: 0 });
  assert.ok(Buffer.byteLength(md) <= 1024 * 1024 - 16 * 1024, `${Buffer.byteLength(md)} bytes`);
  assert.match(md, /limited to 1 MiB: the diff section was cut here and traffic, verify left out/);
  assert.match(md, /# meshproof gate: passed/);
});

test('GIVEN a cut inside a Mermaid block WHEN the summary is built THEN the fence is closed before the note', () => {
  const many: HostMap[] = Array.from({ length: 20 }, (_, i) => ({ host: `h${i}`, gateways: ['mesh'], routes: Array.from({ length: 20 }, (_, j) => ({ protocol: 'http' as const, name: `r${j}`, match: 'x'.repeat(200), destinations: [{ host: 'd', subset: null, port: null, weight: 100 }], mirror: null, fault: null, timeout: null, retries: null, terminal: null, location: loc(1), source: null, virtualService: 'a/b' })), virtualServices: ['a/b'] }));
  const md = gateSummary({ passed: false, verdict: 'bad', check: null, diff: null, changedHosts: many, verify: null, omittedAnnotations: 3 }, 20_000);
  assert.ok(Buffer.byteLength(md) <= 20_000);
  assert.is((md.match(/^```/gm) ?? []).length % 2, 0, 'fences balanced');
  assert.match(md, /3 findings are not annotated/);
  assert.match(md, /traffic section was cut here/);
});

test.run();
