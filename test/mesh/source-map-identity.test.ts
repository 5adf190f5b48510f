/**
 * The source map is matched by object, not by document index alone: a hand-written document inserted
 * above synthesized ones must not send the later objects' TypeScript lines to the wrong construct.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadInputs } from '../../src/mesh/load.js';
import { SourceMapResolver } from '../../src/mesh/source-map.js';

const root = mkdtempSync(path.join(tmpdir(), 'meshproof-smid-'));
const doc = (kind: string, name: string) => `apiVersion: ${kind === 'Service' || kind === 'ConfigMap' ? 'v1' : kind === 'VirtualService' ? 'networking.istio.io/v1' : 'security.istio.io/v1'}\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: orders\n`;
const SYNTH = [doc('Service', 'checkout'), doc('VirtualService', 'checkout-routes'), doc('AuthorizationPolicy', 'allow-cart')];
const entry = (kind: string, name: string, line: number) => ({ kind, namespace: 'orders', name, constructPath: `orders/${name}/Resource`, file: 'apps/orders.ts', line });
mkdirSync(path.join(root, '.meshproof'));
mkdirSync(path.join(root, 'dist'));
writeFileSync(path.join(root, '.meshproof', 'sourcemap.json'), JSON.stringify({
  version: 1,
  objects: {
    'dist/orders.k8s.yaml#0': entry('Service', 'checkout', 20),
    'dist/orders.k8s.yaml#1': entry('VirtualService', 'checkout-routes', 29),
    'dist/orders.k8s.yaml#2': entry('AuthorizationPolicy', 'allow-cart', 33),
    'dist/same.k8s.yaml#0': entry('Service', 'cart', 40),
    'dist/same.k8s.yaml#1': entry('DestinationRule', 'cart', 41),
  },
}));
const file = path.join(root, 'dist', 'orders.k8s.yaml');

test('GIVEN a synthesized file as the map recorded it WHEN loaded THEN each object gets its own line', async () => {
  writeFileSync(file, SYNTH.join('---\n'));
  const { files } = await loadInputs([file]);
  assert.equal(files[0]!.objects.map((o) => o.source?.line ?? null), [20, 29, 33]);
});

test('GIVEN a hand-written ConfigMap prepended WHEN loaded THEN no object takes its neighbour\'s TypeScript line', async () => {
  writeFileSync(file, [doc('ConfigMap', 'hotfix'), ...SYNTH].join('---\n'));
  const { files } = await loadInputs([file]);
  const got = files[0]!.objects.map((o) => [`${o.body.kind as string}/${(o.body.metadata as { name: string }).name}`, o.source?.line ?? null]);
  assert.equal(got, [['ConfigMap/hotfix', null], ['Service/checkout', 20], ['VirtualService/checkout-routes', 29], ['AuthorizationPolicy/allow-cart', 33]]);
});

test('GIVEN kind and namespace WHEN two entries share a name THEN the entry of the same kind is used, wherever it sits', async () => {
  const r = new SourceMapResolver();
  const same = path.join(root, 'dist', 'same.k8s.yaml');
  // Shifted by one: the Service now sits at #1, whose entry is the DestinationRule's.
  assert.is((await r.originOf(same, 1, 'cart', { kind: 'Service', namespace: 'orders' }))?.line, 40);
  assert.is((await r.originOf(same, 2, 'cart', { kind: 'DestinationRule', namespace: 'orders' }))?.line, 41);
  assert.is((await r.originOf(same, 0, 'cart', { kind: 'Service', namespace: 'orders' }))?.line, 40);
  // Another namespace is another object: no line rather than a wrong one.
  assert.is(await r.originOf(same, 0, 'cart', { kind: 'Service', namespace: 'shop' }), null);
  // Name only, and the name is not unique in the file: the index entry is trusted only when its name agrees.
  assert.is(await r.originOf(same, 2, 'cart'), null);
  assert.is(await r.originOf(same, 0, 'unknown'), null);
});

test('GIVEN a file whose Service and DestinationRule share a name, shifted by a hand-written ConfigMap WHEN loaded THEN each gets its own kind\'s TypeScript line (the loader passes kind and namespace)', async () => {
  const same = path.join(root, 'dist', 'same.k8s.yaml');
  const dr = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: cart\n  namespace: orders\n';
  writeFileSync(same, [doc('ConfigMap', 'hotfix'), doc('Service', 'cart'), dr].join('---\n'));
  const { files } = await loadInputs([same]);
  assert.equal(files[0]!.objects.map((o) => o.source?.line ?? null), [null, 40, 41]);
});

test('GIVEN an old source map without kind/name WHEN loaded THEN the index entry is used as before', async () => {
  const old = path.join(root, 'old');
  mkdirSync(path.join(old, '.meshproof'), { recursive: true });
  writeFileSync(path.join(old, '.meshproof', 'sourcemap.json'), JSON.stringify({ version: 1, objects: { 'a.yaml#0': { constructPath: 'x/Resource', file: 'x.ts', line: 3 } } }));
  writeFileSync(path.join(old, 'a.yaml'), doc('Service', 'a'));
  assert.is((await new SourceMapResolver().originOf(path.join(old, 'a.yaml'), 0, 'a'))?.line, 3);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
