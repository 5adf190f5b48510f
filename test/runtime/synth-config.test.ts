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
import { bundleKey } from '../../src/runtime/config-bundle.js';
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

test('GIVEN files of one base name in different folders of dist/ and of the context WHEN runtime synth runs THEN each keeps its own ConfigMap key and its path under /config, and the same input gives the same keys', async () => {
  const dir = configProject('runtime-collide');
  try {
    // dist/app.yaml split in two folders under one name, and a second context folder with a cart.yaml too.
    const app = (await import('node:fs')).readFileSync(join(dir, 'dist', 'app.yaml'), 'utf8');
    const [first, ...rest] = app.split(/^---$/m);
    rmSync(join(dir, 'dist', 'app.yaml'));
    mkdirSync(join(dir, 'dist', 'a'));
    mkdirSync(join(dir, 'dist', 'b'));
    writeFileSync(join(dir, 'dist', 'a', 'app.yaml'), first!);
    writeFileSync(join(dir, 'dist', 'b', 'app.yaml'), rest.join('---'));
    mkdirSync(join(dir, 'platform', 'dist', 'pay'));
    writeFileSync(join(dir, 'platform', 'dist', 'pay', 'cart.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: pay, namespace: shop }\nspec: { selector: { app: cart }, ports: [{ name: http, port: 8081 }] }\n');
    const r = await synthRuntime({ dist: join(dir, 'dist'), project: dir, image: 'meshproof-runtime:test' });
    const docs = parseAllDocuments(r.runtime).map((d) => d.toJS() as Doc);
    const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'meshproof-config')!;
    const xds = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'meshproof-xds')!;
    const items = xds.spec!.template!.spec!.volumes!.find((v) => v.configMap)!.configMap!.items;
    const paths = new Map(items.map((i) => [i.path, i.key]));
    for (const p of ['dist/a/app.yaml', 'dist/b/app.yaml', 'context/cart.yaml', 'context/pay/cart.yaml']) assert.ok(paths.has(p), `${p} is laid out; paths: ${[...paths.keys()].join(', ')}`);
    assert.is(new Set(items.map((i) => i.key)).size, items.length, 'no two files share a key');
    assert.is(cm.data![paths.get('dist/a/app.yaml')!], first);
    const again = await synthRuntime({ dist: join(dir, 'dist'), project: dir, image: 'meshproof-runtime:test' });
    assert.is(again.runtime, r.runtime, 'stable: the same input gives the same keys');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN paths that flattening or a naive escape would merge WHEN bundleKey names them THEN every key differs, and only API-server key characters are used', () => {
  const paths = ['dist/a/b.yaml', 'dist/a_b.yaml', 'dist/a__b.yaml', 'dist/a-/b.yaml', 'dist/a_-b.yaml', 'dist/a.b.yaml', 'dist/ä b.yaml', 'dist/a/b/c.yaml', 'dist/a_/b/c.yaml', 'context/b.yaml', 'smoke-plan.json'];
  const keys = paths.map(bundleKey);
  assert.is(new Set(keys).size, paths.length, keys.join(' '));
  for (const k of keys) assert.match(k, /^[-._a-zA-Z0-9]+$/);
  assert.is(bundleKey('dist/a/b.yaml'), 'dist_-a_-b.yaml');
  assert.is(bundleKey('smoke-plan.json'), 'smoke-plan.json');
});

test.run();
