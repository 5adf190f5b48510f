/**
 * A reload (`MeshGraph.from(files, { previous })`, as `xds serve` does) that edits an Argo Rollout
 * is a pod-workload edit: every proxy's view and xDS bytes equal a from-scratch build of the same
 * input (`compareReload`), whether the Rollout's template labels change, its service account
 * changes, or it switches to `workloadRef` (its pods become the Deployment's).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { proxiesOf } from '../../../src/mesh/view/index.js';
import { cloneState, compareReload, graphOf, type Doc, type MeshState } from './_mesh-state.js';

const CANARY = readFileSync(fileURLToPath(new URL('../../fixtures/rollouts/canary.yaml', import.meta.url)), 'utf8');
const docs = parseAllDocuments(CANARY).map((d) => d.toJS() as Doc).filter((d) => d && typeof d === 'object');
const base: MeshState = {
  corpus: 'rollouts-canary',
  placed: docs.map((doc, i) => ({ doc, file: i % 2, pad: 0, flow: false })),
  workloads: [
    { name: 'reviews', namespace: 'shop', address: '10.91.0.1', labels: { app: 'reviews', version: 'v2', 'security.istio.io/tlsMode': 'istio' }, ports: {} },
    { name: 'frontend', namespace: 'shop', address: '10.91.0.2', labels: { app: 'frontend', 'security.istio.io/tlsMode': 'istio' }, ports: {} },
  ],
};
const rolloutOf = (s: MeshState): Doc => s.placed.find((p) => p.doc.kind === 'Rollout')!.doc;

test('GIVEN the canary WHEN its Rollout is edited between reloads THEN each reload\'s views and xDS equal a from-scratch build', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-rollout-reload-'));
  try {
    let state = cloneState(base);
    let previous = await graphOf(state, join(dir, '0'));
    assert.ok(proxiesOf(previous).some((p) => p.name === 'reviews'), 'the Rollout has a proxy');
    const edits: [string, (s: MeshState) => void][] = [
      ['template label version v2 → v3', (s) => { rolloutOf(s).spec.template.metadata.labels.version = 'v3'; }],
      ['service account reviews → reviews-v3', (s) => { rolloutOf(s).spec.template.spec.serviceAccountName = 'reviews-v3'; }],
      ['template → workloadRef to a new Deployment', (s) => {
        const ro = rolloutOf(s);
        s.placed.push({ doc: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'reviews-base', namespace: 'shop' }, spec: { replicas: 0, selector: ro.spec.selector, template: ro.spec.template } }, file: 1, pad: 2, flow: false });
        delete ro.spec.template;
        ro.spec.workloadRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'reviews-base' };
      }],
    ];
    for (const [i, [what, edit]] of edits.entries()) {
      state = cloneState(state);
      edit(state);
      const r = await compareReload(previous, state, join(dir, String(i + 1)), `rollout edit ${i + 1}: ${what}`, 'test/xds/translate/rollout-reload.test.ts');
      assert.ok(r, `${what}: a usable mesh`);
      previous = r!.reloaded;
    }
    assert.equal(proxiesOf(previous).map((p) => `${p.origin?.ref.kind}/${p.name}`).sort(), ['Deployment/frontend', 'Deployment/reviews-base']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
