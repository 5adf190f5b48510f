/**
 * `meshproof runtime synth`: the in-cluster runtime synthesized from the committed dist/ is
 * deterministic, passes the check suite, lets every DestinationRule subset of every app select an
 * echo pod (computed through the mesh model), and bad input (a dist/ the checks reject, a ConfigMap
 * over 1 MiB, a bad key) is refused with a message naming what and where.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Chart } from 'cdk8s';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { main } from '../../src/cli/main.js';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import { ConfigBundle, CONFIG_MAP_LIMIT_BYTES } from '../../src/runtime/config-bundle.js';
import { ECHO_LABEL } from '../../src/runtime/echo-backend.js';
import { RuntimeSynthError, synthRuntime, type RuntimeManifests } from '../../src/runtime/runtime-chart.js';
import { captureIO } from '../cli/_io.js';
import { parseTargets } from '../../src/verify/external/targets.js';
import { pickCaller } from '../../src/verify/runtime/pick-caller.js';
import { portOf } from '../../src/verify/runtime/index.js';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { ROOT } from '../_project.js';

const DIST = path.join(ROOT, 'dist');
const IMAGE = 'meshproof-runtime:test';
let first: RuntimeManifests;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-runtime-'));

test.before(async () => {
  first = await synthRuntime({ dist: DIST, project: ROOT, image: IMAGE });
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

/**
 * DestinationRule subsets of dist/ that no echo pod serves, in a mesh model of dist/'s Istio config
 * with the app's own workloads replaced by the runtime's objects: `ns/dr.subsets[name]` each.
 */
async function subsetsWithoutEcho(runtimeYaml: string): Promise<{ missing: string[]; checked: number }> {
  const file = path.join(tmp, `runtime-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, runtimeYaml);
  const [app, runtime] = await Promise.all([loadInputs([DIST], { cwd: ROOT }), loadInputs([file], { cwd: ROOT })]);
  const appConfig = app.files.flatMap((f) => f.objects).filter((o) => !WORKLOAD_KINDS.has(String(o.body.kind)) && o.body.kind !== 'Service' && o.body.kind !== 'Namespace');
  const graph = MeshGraph.from([...appConfig, ...runtime.files.flatMap((f) => f.objects)]);
  const missing: string[] = [];
  let checked = 0;
  for (const dr of graph.ofKind('DestinationRule')) {
    for (const s of graph.subsetsOf(String(dr.spec.host), dr.namespace)) {
      checked++;
      if (!s.workloads.some((w) => w.kind === 'Deployment' && w.labels[ECHO_LABEL] !== undefined)) missing.push(`${dr.namespace}/${dr.name}.subsets[${s.name}]`);
    }
  }
  return { missing, checked };
}

test('GIVEN the committed dist/ WHEN the runtime is synthesized twice THEN the manifests are byte-identical', async () => {
  const second = await synthRuntime({ dist: DIST, project: ROOT, image: IMAGE });
  assert.ok(first.runtime === second.runtime, 'runtime.k8s.yaml differs between two runs');
  assert.ok(first.job === second.job, 'expectations-job.k8s.yaml differs between two runs');
});

test('GIVEN the runtime manifests WHEN listed THEN the xDS server with its RBAC and mesh CA, an echo backend with an inbound sidecar per app workload version, a proxy per caller the promises need and per gateway, and the Job are there', () => {
  const objects = parseAllDocuments(first.runtime).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } ; rules?: { resources: string[]; verbs: string[] }[]; spec?: Record<string, any> });
  const names = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
  assert.ok(names('Deployment').includes('meshproof-system/meshproof-xds'));
  const role = objects.find((o) => o.kind === 'ClusterRole')!;
  assert.equal(role.rules!.map((r) => [r.resources, r.verbs]), [[['endpointslices'], ['get', 'list', 'watch']], [['pods'], ['get', 'list', 'watch']]]);
  const xds = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'meshproof-xds')!;
  assert.equal(xds.spec!.template.spec.containers[0].args.slice(0, 5), ['xds', 'serve', '--input', '/config/dist', '--in-cluster']);
  assert.equal(xds.spec!.template.spec.containers[0].image, IMAGE);
  // One echo per app workload version: bookinfo 6, customers 4, httpbin 1.
  assert.is(names('Deployment').filter((n) => n.endsWith('-echo')).length, 11);
  assert.ok(names('Deployment').includes('bookinfo/reviews-v3-echo'));
  // Callers as pickCaller picks them: productpage and web-frontend, each also holding the ingress gateway's identity where only it is admitted;
  // reviews for ratings, which admits reviews (on /ratings/*) and nobody else.
  assert.equal(names('Deployment').filter((n) => n.startsWith('meshproof-system/proxy-')), [
    'meshproof-system/proxy-bookinfo-productpage-v1', 'meshproof-system/proxy-bookinfo-productpage-v1-as-istio-ingress-istio-i-dbd5c030', 'meshproof-system/proxy-bookinfo-reviews-v1',
    'meshproof-system/proxy-customers-web-frontend-v1', 'meshproof-system/proxy-customers-web-frontend-v1-as-istio-ingress-istio-690e21b5',
    'meshproof-system/proxy-istio-ingress-istio-ingressgateway']);
  const borrowed = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'proxy-bookinfo-productpage-v1-as-istio-ingress-istio-i-dbd5c030')!;
  assert.match(borrowed.spec!.template.spec.containers[0].args.join(' '), /--node bookinfo\/productpage-v1\?as=istio-ingress\/istio-ingressgateway --role sidecar/);
  // The echo pod of reviews-v3: the echo on 127.0.0.1, the inbound sidecar on the pod IP, run as the app's service account.
  const echo = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'reviews-v3-echo')!;
  const pod = echo.spec!.template;
  assert.is(pod.spec.serviceAccountName, 'reviews');
  assert.is(pod.metadata.labels['security.istio.io/tlsMode'], 'istio');
  assert.equal(pod.spec.containers.map((c: { name: string }) => c.name), ['echo', 'istio-proxy']);
  assert.equal(pod.spec.containers[0].args.slice(-2), ['--listen', '127.0.0.1:9080']);
  assert.match(pod.spec.containers[1].args.join(' '), /--node bookinfo\/reviews-v3\?inbound=\$\(POD_IP\) --role sidecar/);
  assert.equal(pod.spec.containers[1].env, [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }]);
  assert.equal(pod.spec.containers[1].ports[0], { containerPort: 9080 });
  assert.ok(names('ServiceAccount').includes('bookinfo/reviews'));
  const headless = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'reviews-v3-echo')!;
  assert.is(headless.spec!.clusterIP, 'None');
  assert.match(xds.spec!.template.spec.containers[0].args.join(' '), /--ca-cert \/ca\/ca-cert\.pem --ca-key \/ca\/ca-key\.pem/);
  assert.equal(xds.spec!.template.spec.volumes[1], { name: 'ca', secret: { secretName: 'meshproof-ca', defaultMode: 0o440 } });
  const gateway = objects.find((o) => o.metadata.name === 'proxy-istio-ingress-istio-ingressgateway' && o.kind === 'Deployment')!;
  assert.match(gateway.spec!.template.spec.containers[0].args.join(' '), /--node istio-ingress\/istio-ingressgateway --role gateway/);
  // Like istiod, the gateway listens on its pod's port (Service 80 → targetPort 8080): no low port, so no sysctl.
  assert.equal(gateway.spec!.template.spec.containers[0].ports.map((p: { containerPort: number }) => p.containerPort).slice(0, 1), [8080]);
  assert.is(gateway.spec!.template.spec.securityContext.sysctls, undefined);
  const job = parseAllDocuments(first.job).map((d) => d.toJS())[0];
  assert.is(job.kind, 'Job');
  assert.is(job.spec.backoffLimit, 0);
  assert.equal(job.spec.template.spec.initContainers[0].args, ['verify', '/config', '--runtime', '/config/runtime-targets.json', '--tolerance', '0.1']);
  assert.equal(job.spec.template.spec.containers[0].args.slice(0, 4), ['runtime', 'smoke', '--plan', '/config/smoke-plan.json']);
});

test('GIVEN the runtime manifests WHEN the xDS server\'s NetworkPolicy is read THEN it selects the xDS pod, admits the ADS port only from pods labelled as xDS clients and the status port only from runtime pods; every pod that dials ADS carries the label, and no other does', () => {
  type Obj = { kind: string; metadata: { name: string; namespace?: string }; spec?: Record<string, any> };
  const objects = parseAllDocuments(first.runtime).map((d) => d.toJS() as Obj);
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  assert.equal(policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`), ['meshproof-system/meshproof-xds']);
  const policy = policies[0]!.spec!;
  const matches = (selector: { matchLabels?: Record<string, string> }, labels: Record<string, string>) =>
    Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const pods = objects.filter((o) => o.kind === 'Deployment').map((o) => ({ name: `${o.metadata.namespace}/${o.metadata.name}`, namespace: o.metadata.namespace, labels: o.spec!.template.metadata.labels as Record<string, string>, args: (o.spec!.template.spec.containers as { args?: string[] }[]).flatMap((c) => c.args ?? []) }));
  assert.equal(pods.filter((p) => p.namespace === 'meshproof-system' && matches(policy.podSelector, p.labels)).map((p) => p.name), ['meshproof-system/meshproof-xds']);
  assert.equal(policy.policyTypes, ['Ingress']);
  const [ads, status] = policy.ingress as { from: { namespaceSelector?: object; podSelector: { matchLabels: Record<string, string> } }[]; ports: { protocol: string; port: number }[] }[];
  assert.equal(ads!.ports, [{ protocol: 'TCP', port: 15010 }]);
  assert.equal(ads!.from.length, 1);
  assert.equal(ads!.from[0]!.namespaceSelector, {}, 'the inbound sidecars run in the app namespaces');
  assert.equal(status!.ports, [{ protocol: 'TCP', port: 15014 }]);
  assert.is(status!.from[0]!.namespaceSelector, undefined, 'status only from meshproof-system');
  const dialers = pods.filter((p) => p.args.includes('--xds')).map((p) => p.name).sort();
  const admitted = pods.filter((p) => matches(ads!.from[0]!.podSelector, p.labels)).map((p) => p.name).sort();
  assert.ok(dialers.length >= 10, `${dialers.length} pods dial ADS`);
  assert.equal(admitted, dialers);
  // The label is on the pods, not in any selector: Deployments already applied keep their (immutable) selectors.
  for (const o of objects.filter((x) => x.kind === 'Deployment')) assert.not.ok('meshproof.dev/xds-client' in o.spec!.selector.matchLabels, o.metadata.name);
});

test('GIVEN the runtime plan WHEN read THEN every caller a mesh promise picks is in the targets file, every echo workload is a target at its headless Service, and the smoke plan keeps to the gateway\'s redirects', async () => {
  const objects = parseAllDocuments(first.runtime).map((d) => d.toJS() as { kind: string; data?: Record<string, string> });
  const data = objects.find((o) => o.kind === 'ConfigMap')!.data!;
  const targets = parseTargets(JSON.parse(data['runtime-targets.json']!), '/config/runtime-targets.json');
  const graph = MeshGraph.from((await loadInputs([DIST], { cwd: ROOT })).files);
  const listed = new Set(targets.callers.map((c) => `${c.workload} ${c.as ?? ''}`));
  const expectations = (JSON.parse(data['expectations.json']!) as { expectations: Expectation[] }).expectations;
  let mesh = 0;
  for (const e of expectations) {
    if (e.request?.via.kind !== 'mesh') continue;
    mesh++;
    const p = pickCaller(graph, e.request.via.namespace, e.request.host, portOf(graph, e.request))!;
    const own = p.namespace === p.workload.namespace && p.serviceAccount === p.workload.serviceAccount;
    assert.ok(listed.has(`${p.workload.namespace}/${p.workload.name} ${own ? '' : `${p.namespace}/${p.serviceAccount}`}`), `${e.id}: no caller for ${p.workload.name} as ${p.namespace}/${p.serviceAccount}`);
  }
  assert.ok(mesh >= 10, `${mesh} mesh promises`);
  assert.is(targets.workloads.length, 11);
  assert.equal(targets.workloads.find((w) => w.workload === 'bookinfo/reviews-v3'), { workload: 'bookinfo/reviews-v3', address: 'reviews-v3-echo.bookinfo.svc' });
  assert.equal(targets.ca, { cert: '/ca/ca-cert.pem', key: '/ca/ca-key.pem' });
  const smoke = JSON.parse(data['smoke-plan.json']!) as { proxies: { role: string; targets: { host: string }[] }[] };
  assert.equal(smoke.proxies.map((p) => p.role), ['gateway']);
  const gw = first.plan.proxies.find((p) => p.role === 'gateway')!;
  assert.equal(gw.targets.find((t) => t.host === 'bookinfo.app'), { host: 'bookinfo.app', port: 8080, workloads: [], redirect: { status: 301, location: 'https://bookinfo.app/' } });
  assert.not.ok(first.plan.proxies.some((p) => p.targets.some((t) => t.host.startsWith('api.stripe.com'))));
});

test('GIVEN the runtime manifests WHEN checked with dist/ as context THEN meshproof check finds nothing but the copies of dist\'s Namespaces, ServiceAccounts and Services (the runtime is applied instead of dist/, so those copies are meant)', async () => {
  const out = path.join(tmp, 'check');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, 'runtime.k8s.yaml'), first.runtime);
  fs.writeFileSync(path.join(out, 'expectations-job.k8s.yaml'), first.job);
  const c = captureIO(ROOT);
  await main(['check', out, '--context', 'dist', '--fail-on', 'warning', '--format', 'json'], c.io);
  const findings = (JSON.parse(c.stdout()) as { findings: { ruleId: string; resource: { kind: string } }[] }).findings;
  const copies = findings.filter((f) => f.ruleId === 'references/duplicate-object' && ['Namespace', 'ServiceAccount', 'Service'].includes(f.resource.kind));
  assert.ok(copies.length >= 10, `the copies of dist/'s objects are named as such: ${copies.length}`);
  assert.equal(findings.filter((f) => !copies.includes(f)).map((f) => f.ruleId), [], c.stdout() + c.stderr());
});

test('GIVEN the runtime WHEN each DestinationRule subset of each app is resolved through the mesh model THEN at least one echo pod serves it; and an echo without its version label leaves its subset empty', async () => {
  const ok = await subsetsWithoutEcho(first.runtime);
  assert.ok(ok.checked >= 10, `${ok.checked} subsets checked`);
  assert.equal(ok.missing, []);
  // Break it: the reviews-v3 echo loses `version: v3` (selector and pod labels).
  const broken = first.runtime.replace(/(meshproof\.dev\/echo-of: reviews-v3[\s\S]*?)version: v3/g, '$1version: v3-wrong');
  assert.ok(broken !== first.runtime);
  const bad = await subsetsWithoutEcho(broken);
  assert.equal(bad.missing, ['bookinfo/reviews.subsets[v3]']);
});

test('GIVEN a dist/ whose VirtualService names a subset no DestinationRule defines WHEN synthesized THEN it is refused, naming the file, line and rule', async () => {
  const project = path.join(tmp, 'broken');
  fs.cpSync(DIST, path.join(project, 'dist'), { recursive: true });
  const file = path.join(project, 'dist/bookinfo.k8s.yaml');
  const text = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, text.replace('subset: v3', 'subset: v9'));
  const err = await synthRuntime({ dist: path.join(project, 'dist'), project, image: IMAGE }).then(() => null, (e: unknown) => e);
  assert.instance(err, RuntimeSynthError);
  assert.is((err as RuntimeSynthError).code, 'RUNTIME_INPUT_REJECTED');
  assert.match((err as Error).message, /fails the check suite/);
  assert.match((err as Error).message, /bookinfo\.k8s\.yaml:\d+: \S+: .*v9/);
  // Through the CLI: exit 2, the message on stderr, nothing written.
  const c = captureIO(project);
  assert.is(await main(['runtime', 'synth', 'dist', '--out', 'out', '--image', IMAGE], c.io), 2);
  assert.match(c.stderr(), /RUNTIME_INPUT_REJECTED/);
  assert.not.ok(fs.existsSync(path.join(project, 'out')));
});

test('GIVEN files over 1 MiB WHEN bundled into the ConfigMap THEN it is refused with the size, the limit and the largest file; a key the API server refuses too', () => {
  const big = 'x'.repeat(CONFIG_MAP_LIMIT_BYTES);
  const chart = new Chart(new App(), 'c');
  assert.throws(() => new ConfigBundle(chart, 'Big', { files: [{ key: 'a.yaml', path: 'dist/a.yaml', text: big }] }), (e: Error & { code?: string }) => e.code === 'RUNTIME_CONFIGMAP_TOO_LARGE' && /1048582 bytes, over the 1048576-byte \(1 MiB\) ConfigMap limit \(largest: dist\/a\.yaml 1048576 bytes\)/.test(e.message));
  // Exactly at the limit (key + value) passes.
  new ConfigBundle(chart, 'Edge', { files: [{ key: 'a.yaml', path: 'dist/a.yaml', text: big.slice(6) }] });
  assert.throws(() => new ConfigBundle(chart, 'Key', { files: [{ key: 'a b.yaml', path: 'dist/a b.yaml', text: '' }] }), /ConfigMap key "a b\.yaml", which the API server refuses/);
});

test('GIVEN no --image WHEN runtime synth runs THEN a usage error says what to pass', async () => {
  const c = captureIO(ROOT);
  assert.is(await main(['runtime', 'synth', 'dist', '--out', path.join(tmp, 'x')], c.io), 2);
  assert.match(c.stderr(), /--image <ref> is required/);
});

test.run();
