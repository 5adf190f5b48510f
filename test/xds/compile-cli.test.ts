/**
 * `meshproof xds compile` on bad input and bad `--out`: input the check suite rejects is not
 * compiled (unless --no-check), empty input is an error, dumps of proxies gone from the input are
 * removed (and nothing else), and an unusable --out is a usage error that fails fast.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../cli/_io.js';

const work = mkdtempSync(join(tmpdir(), 'meshproof-xds-compile-'));

function app(deployment: string, destination = 'web'): string {
  return `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec: { mtls: { mode: STRICT } }
---
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio-injection: enabled } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${deployment}, namespace: shop }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web, version: v1 } }
    spec: { containers: [{ name: web, image: nginx:1.27 }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec: { selector: { app: web }, ports: [{ name: http, port: 80 }] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: shop }
spec:
  hosts: [web]
  http: [{ route: [{ destination: { host: ${destination} } }] }]
`;
}

async function compile(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const cap = captureIO(work);
  const code = await main(['xds', 'compile', ...args], cap.io);
  return { code, out: cap.stdout(), err: cap.stderr() };
}

test('GIVEN a VirtualService routing to a host that does not exist (IST0101) WHEN compiled THEN exit 2 with the finding and no dump; --no-check compiles it', async () => {
  writeFileSync(join(work, 'broken.yaml'), app('web', 'nope'));
  const r = await compile(['broken.yaml', '--out', 'broken-out']);
  assert.is(r.code, 2, r.err + r.out);
  assert.match(r.err, /rejected by the check suite/);
  assert.match(r.err, /IST0101/);
  assert.match(r.err, /--no-check/);
  assert.not.ok(existsSync(join(work, 'broken-out')), 'nothing written, no folder made');
  const forced = await compile(['broken.yaml', '--out', 'broken-out', '--no-check']);
  assert.is(forced.code, 0, forced.err);
  assert.ok(readdirSync(join(work, 'broken-out')).length > 0);
});

test('GIVEN an istio ConfigMap whose MeshConfig istiod refuses (a duration that is not one) WHEN compiled THEN exit 2 naming the line inside data.mesh; fixed, it compiles', async () => {
  const configMap = (timeout: string) => `---
apiVersion: v1
kind: ConfigMap
metadata: { name: istio, namespace: istio-system }
data:
  mesh: |
    outboundTrafficPolicy:
      mode: REGISTRY_ONLY
    connectTimeout: ${timeout}
`;
  const text = app('web') + configMap('fast');
  writeFileSync(join(work, 'mesh.yaml'), text);
  const line = text.split('\n').findIndex((l) => l.includes('connectTimeout')) + 1;
  const r = await compile(['mesh.yaml', '--out', 'mesh-out']);
  assert.is(r.code, 2, r.err + r.out);
  assert.match(r.err, /validation\/mesh-config/);
  assert.ok(r.err.includes(`mesh.yaml:${line}: validation/mesh-config`), `the line of connectTimeout inside data.mesh (${line}): ${r.err}`);
  assert.not.ok(existsSync(join(work, 'mesh-out')), 'nothing written, no folder made');
  writeFileSync(join(work, 'mesh.yaml'), app('web') + configMap('5s'));
  const fixed = await compile(['mesh.yaml', '--out', 'mesh-out']);
  assert.is(fixed.code, 0, fixed.err);
});

test('GIVEN a Deployment renamed between two runs WHEN compiled into the same --out THEN the old dump is removed, other files stay', async () => {
  writeFileSync(join(work, 'app.yaml'), app('web'));
  assert.is((await compile(['app.yaml', '--out', 'out'])).code, 0);
  assert.ok(readdirSync(join(work, 'out')).includes('shop.web.json'));
  writeFileSync(join(work, 'out', 'README.json'), '{"mine": true}\n');
  writeFileSync(join(work, 'app.yaml'), app('web-v2'));
  const r = await compile(['app.yaml', '--out', 'out']);
  assert.is(r.code, 0, r.err);
  assert.equal(readdirSync(join(work, 'out')).sort(), ['README.json', 'shop.web-v2.json']);
  assert.match(r.out, /removed 1 dump .*shop\.web\.json/);
  // The summary says how much it wrote (a mesh without Sidecar scoping grows as services × proxies); no note this small.
  assert.match(r.out, /^xds compile: 1 proxy → out \(\d+\.\d MB\) \(removed/);
  assert.not.match(r.err, /note: .* of dumps/);
});

test('GIVEN a Deployment named db-0 beside StatefulSet db whose pod db-0 a policy selects by pod name WHEN compiled THEN exit 2 naming both proxies and the fixes, and no dump overwrites another', async () => {
  writeFileSync(join(work, 'collide.yaml'), `${app('web')}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: shop }
spec:
  replicas: 2
  serviceName: db
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec: { containers: [{ name: db, image: postgres:16 }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: db-0, namespace: shop }
spec:
  selector: { matchLabels: { app: other } }
  template:
    metadata: { labels: { app: other } }
    spec: { containers: [{ name: other, image: nginx:1.27 }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: db-0-only, namespace: shop }
spec:
  selector: { matchLabels: { statefulset.kubernetes.io/pod-name: db-0 } }
  action: DENY
  rules: [{ to: [{ operation: { paths: ["/admin"] } }] }]
`);
  const r = await compile(['collide.yaml', '--out', 'collide-out', '--no-check']);
  assert.is(r.code, 2, r.out);
  assert.match(r.err, /two proxies have the id shop\/db-0: workload db-0 and pod db-0 of StatefulSet db/);
  assert.match(r.err, /Rename the workload, or select the pod by a label of its own/);
  assert.not.ok(existsSync(join(work, 'collide-out', 'shop.db-0.json')), 'nothing written');
  writeFileSync(join(work, 'collide.yaml'), readFileSync(join(work, 'collide.yaml'), 'utf8').replace('name: db-0, namespace: shop', 'name: db-client, namespace: shop'));
  const fixed = await compile(['collide.yaml', '--out', 'collide-out', '--no-check']);
  assert.is(fixed.code, 0, fixed.err);
  assert.ok(readdirSync(join(work, 'collide-out')).includes('shop.db-0.json'));
});

test('GIVEN maxEjectionPercent: .inf and --no-check WHEN compiled over earlier dumps THEN exit 2 naming the proxy and the value, no stack trace, and --out exactly as it was', async () => {
  writeFileSync(join(work, 'good.yaml'), app('web'));
  assert.is((await compile(['good.yaml', '--out', 'nan-out'])).code, 0);
  const before = readFileSync(join(work, 'nan-out', 'shop.web.json'), 'utf8');
  writeFileSync(join(work, 'nan.yaml'), `${app('web')}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: web, namespace: shop }
spec: { host: web, trafficPolicy: { outlierDetection: { maxEjectionPercent: .inf } } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: shop }
spec:
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec: { containers: [{ name: api, image: nginx:1.27 }] }
`);
  const checked = await compile(['nan.yaml', '--out', 'nan-out']);
  assert.is(checked.code, 2);
  assert.match(checked.err, /must be a finite number/);
  const r = await compile(['nan.yaml', '--out', 'nan-out', '--no-check']);
  assert.is(r.code, 2, r.err + r.out);
  assert.match(r.err, /shop\/web: cannot translate its config: .*Infinity.*run `meshproof check`/);
  assert.match(r.err, /nothing written to nan-out/);
  assert.not.match(r.err, /    at /, 'no stack trace');
  assert.equal(readdirSync(join(work, 'nan-out')), ['shop.web.json'], 'no dump of the other proxy, no staging folder left');
  assert.is(readFileSync(join(work, 'nan-out', 'shop.web.json'), 'utf8'), before, 'the earlier dump is untouched');
});

test('GIVEN a file without Kubernetes objects WHEN compiled (with or without checks) THEN exit 2, not "0 proxies"', async () => {
  writeFileSync(join(work, 'empty.yaml'), '# nothing here\n');
  for (const extra of [[], ['--no-check']]) {
    const r = await compile(['empty.yaml', '--out', 'empty-out', ...extra]);
    assert.is(r.code, 2, `${extra.join(' ')}: ${r.out}`);
    assert.match(r.err, /no Kubernetes objects/);
    assert.not.match(r.out, /0 proxies/);
  }
});

test('GIVEN --out naming a file, a path under a file, or /proc/nope WHEN compiled THEN a usage error (exit 2, no stack trace) within a second', async () => {
  writeFileSync(join(work, 'app.yaml'), app('web'));
  writeFileSync(join(work, 'a-file'), 'x');
  for (const [out, want] of [['a-file', /a-file: is a file/], ['a-file/sub', /is a file|part of the path is a file/], ['/proc/nope', /--out \/proc\/nope: cannot/]] as const) {
    const t0 = Date.now();
    const r = await compile(['app.yaml', '--out', out]);
    assert.is(r.code, 2, `${out}: ${r.err}`);
    assert.match(r.err, want);
    assert.ok(Date.now() - t0 < 2000, `${out}: fails fast (${Date.now() - t0} ms)`);
    assert.not.match(r.err, /internal error|    at /);
  }
  assert.not.ok(existsSync('/proc/nope'));
});

test('GIVEN --out whose parent folders do not exist WHEN compiled THEN they are made and the dumps written (as check --output makes its folder); input the checks reject makes no folder', async () => {
  writeFileSync(join(work, 'app.yaml'), app('web'));
  const r = await compile(['app.yaml', '--out', 'build/deep/xds']);
  assert.is(r.code, 0, r.err);
  assert.equal(readdirSync(join(work, 'build', 'deep', 'xds')).sort(), ['shop.web.json'], 'the dumps and no staging folder');
  writeFileSync(join(work, 'rejected.yaml'), app('web', 'nowhere'));
  const rejected = await compile(['rejected.yaml', '--out', 'never/xds']);
  assert.is(rejected.code, 2, rejected.err);
  assert.not.ok(existsSync(join(work, 'never')), 'nothing written, no folder made');
});

test('GIVEN --out inside the input folder (dist/xds for dist) WHEN compiled THEN a usage error says the dumps would be read as input, and nothing is written', async () => {
  mkdirSync(join(work, 'synced'), { recursive: true });
  writeFileSync(join(work, 'synced', 'app.yaml'), app('web'));
  for (const [args, shown] of [[['synced', '--out', 'synced/xds'], 'synced'], [['synced', '--out', 'synced'], 'synced']] as const) {
    const r = await compile([...args]);
    assert.is(r.code, 2, r.err);
    assert.match(r.err, `xds compile: --out ${args[2]} is inside ${shown}, the manifests it reads: the dumps would be read as input next time and synced with the manifests; write them outside it, e.g. --out build/xds`);
  }
  assert.not.ok(existsSync(join(work, 'synced', 'xds')));
  const ok = await compile(['synced', '--out', 'synced-xds']);
  assert.is(ok.code, 0, ok.err);
});

test('GIVEN no paths and no dist/ in the working folder WHEN compiled THEN a usage error names the default dist/ and the folder, and --out is not created', async () => {
  const r = await compile(['--out', 'nodist-out']);
  assert.is(r.code, 2, r.err);
  assert.match(r.err, `xds compile: no paths given and the default dist/ does not exist in ${work}; synthesize it first`);
  assert.not.match(r.err, /dist:1:1/);
  assert.not.ok(existsSync(join(work, 'nodist-out')));
});

test('GIVEN a named path that does not exist WHEN compiled THEN a usage error names it, and --out is not created', async () => {
  const r = await compile(['nope/dist', '--out', 'nope-out']);
  assert.is(r.code, 2, r.err);
  assert.match(r.err, 'xds compile: path not found: nope/dist');
  assert.not.ok(existsSync(join(work, 'nope-out')));
});

test('GIVEN a file that is not valid YAML WHEN compiled THEN its file:line, then a line saying nothing was written', async () => {
  writeFileSync(join(work, 'malformed.yaml'), 'apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n   namespace: y\n');
  const r = await compile(['malformed.yaml', '--out', 'malformed-out']);
  assert.is(r.code, 2, r.err);
  assert.match(r.err, /^malformed\.yaml:\d+:\d+: malformed YAML/m);
  assert.match(r.err, /xds compile: the input cannot be read \(above\); nothing written to malformed-out\n$/);
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
