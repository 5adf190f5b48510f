/**
 * `meshproof runtime synth` stands in for the mesh `meshproof check` judges: the project's
 * meshproof.config.yaml context Services and workloads are in the runtime, and the bundle carries
 * the config with its context files and MeshConfig, so the in-cluster `xds serve` and `verify`
 * (run in /config) read the same mesh.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { checkPaths } from '../../src/checks/api.js';
import { synthRuntime } from '../../src/runtime/runtime-chart.js';
import { configProject, MESH_CONFIG_YAML } from '../_config-project.js';

interface Doc { kind: string; metadata: { name: string; namespace?: string }; data?: Record<string, string>; spec?: { template?: { spec?: { containers?: { workingDir?: string }[]; volumes?: { configMap?: { items: { key: string; path: string }[] } }[] } } } }

test('GIVEN a project whose meshproof.config.yaml names a context folder (Service cart), a MeshConfig and clusterDomain WHEN runtime synth runs THEN cart is stood in for, and the bundle laid out under /config checks as the same mesh', async () => {
  const dir = configProject('runtime-config');
  try {
    const r = await synthRuntime({ dist: join(dir, 'dist'), project: dir, image: 'meshproof-runtime:test' });
    const docs = parseAllDocuments(r.runtime).map((d) => d.toJS() as Doc);
    assert.ok(docs.some((d) => d.kind === 'Service' && d.metadata.name === 'cart' && d.metadata.namespace === 'shop'), 'the context Service cart is in the runtime');
    assert.ok(r.plan.echoes.some((w) => w.workload === 'cart'), 'and its Deployment gets an echo backend');
    const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'meshproof-config')!;
    assert.is(cm.data!['meshconfig.yaml'], MESH_CONFIG_YAML);
    const xds = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'meshproof-xds')!;
    assert.is(xds.spec!.template!.spec!.containers![0]!.workingDir, '/config', 'xds serve runs where the bundle\'s config is found');
    // The ConfigMap volume as kubelet lays it out under /config.
    const root = mkdtempSync(join(tmpdir(), 'meshproof-runtime-bundle-'));
    try {
      const items = xds.spec!.template!.spec!.volumes!.find((v) => v.configMap)!.configMap!.items;
      for (const { key, path } of items) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), cm.data![key]!);
      }
      const run = await checkPaths(['dist'], { cwd: root, today: '2025-06-01' });
      assert.is(run.exitCode('error'), 0, run.result.findings.map((f) => `${f.ruleId}: ${f.message}`).join('\n'));
      assert.is(run.graph.clusterDomain, 'corp.example');
      assert.equal(run.graph.meshConfig.outboundTrafficPolicy, { mode: 'REGISTRY_ONLY' });
      assert.ok(run.graph.services.all.some((s) => s.host === 'cart.shop.svc.corp.example'), 'the context file came along');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
