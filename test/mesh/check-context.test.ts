import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck } from '../../src/checks/check.js';
import { DEFAULT_CONFIG, loadConfigFile } from '../../src/checks/config/index.js';
import { ruleCatalogue } from '../../src/checks/check.js';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../cli/_io.js';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-context-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const APP = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: prod}
spec: {selector: {app: reviews}, ports: [{port: 9080, name: http}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: prod}
spec:
  hosts: [reviews.prod.svc.corp.example]
  gateways: [platform/edge]
  http:
  - route:
    - destination: {host: reviews.prod.svc.corp.example}
`;

const PLATFORM = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: platform}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*/*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: broken, namespace: platform}
spec:
  hosts: [x.example.com]
  gateways: [edge]
  http:
  - route:
    - destination: {host: nowhere.platform.svc.cluster.local}
`;

const run = (cwd: string, extra: Record<string, unknown> = {}) =>
  runCheck({ paths: ['app'], cwd, config: DEFAULT_CONFIG, today: '2026-01-01', ...extra });
const ids = (r: Awaited<ReturnType<typeof run>>) => r.result.findings.map((f) => `${f.ruleId} ${f.location.file}`);

test('GIVEN a cluster on another domain WHEN --cluster-domain names it THEN its FQDNs resolve; without it they do not', async () => {
  const cwd = project({ 'app/app.yaml': APP, 'platform/gw.yaml': PLATFORM });
  const plain = await run(cwd, { context: ['platform'] });
  assert.ok(ids(plain).some((f) => f.startsWith('references/destination-host-exists app/app.yaml')), ids(plain).join('\n'));
  const corp = await run(cwd, { context: ['platform'], clusterDomain: 'corp.example' });
  assert.not.ok(ids(corp).some((f) => f.startsWith('references/destination-host-exists')), ids(corp).join('\n'));
});

test('GIVEN --context with the platform repo WHEN checking the app THEN references resolve and the context is never reported on', async () => {
  const cwd = project({ 'app/app.yaml': APP, 'platform/gw.yaml': PLATFORM });
  const without = await run(cwd, { clusterDomain: 'corp.example' });
  assert.ok(ids(without).some((f) => f.startsWith('references/gateway-exists app/app.yaml')), 'the Gateway is missing without the context');
  const withContext = await run(cwd, { clusterDomain: 'corp.example', context: ['platform'] });
  assert.not.ok(ids(withContext).some((f) => f.startsWith('references/gateway-exists')), ids(withContext).join('\n'));
  assert.not.ok(ids(withContext).some((f) => f.includes('platform/')), `nothing is reported on context files:\n${ids(withContext).join('\n')}`);
  assert.is(withContext.result.summary.objects, 2, 'only the app objects are targets');
  const asInput = await runCheck({ paths: ['app', 'platform'], cwd, config: DEFAULT_CONFIG, today: '2026-01-01', clusterDomain: 'corp.example' });
  assert.ok(ids(asInput).some((f) => f.includes('platform/gw.yaml')), 'the same file given as input is reported on');
});

test('GIVEN a bad MeshConfig or cluster domain WHEN checking THEN the input is unusable and the finding says where and how to fix', async () => {
  const cwd = project({ 'app/app.yaml': APP, 'mesh.yaml': 'rootNamespace: istio-system\nouboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n' });
  const bad = await run(cwd, { meshConfig: 'mesh.yaml' });
  assert.ok(bad.unusableInput);
  const f = bad.result.findings.find((x) => x.ruleId === 'mesh-config/unknown-field')!;
  assert.equal([f.location.file, f.location.line], ['mesh.yaml', 2]);
  assert.match(f.message, /Fix: write "outboundTrafficPolicy"/);
  const domain = await run(cwd, { clusterDomain: 'Corp_Example' });
  assert.ok(domain.unusableInput);
  assert.ok(domain.result.findings.some((x) => x.ruleId === 'mesh-config/cluster-domain' && /not a DNS name/.test(x.message)));
  const missing = await run(cwd, { meshConfig: 'nope.yaml' });
  assert.ok(missing.unusableInput);
});

test('GIVEN a MeshConfig whose defaultInboundHttpRetryPolicy sets perTryTimeout WHEN checking THEN a warning finding at mesh.yaml:3 names the ignored field; the input stays usable and the MeshConfig applies', async () => {
  const cwd = project({ 'app/app.yaml': APP, 'mesh.yaml': 'rootNamespace: istio-system\ndefaultInboundHttpRetryPolicy:\n  perTryTimeout: 2s\n  attempts: 3\n' });
  const r = await run(cwd, { meshConfig: 'mesh.yaml' });
  assert.not.ok(r.unusableInput);
  const f = r.result.findings.filter((x) => x.ruleId.startsWith('mesh-config/'));
  assert.equal(f.map((x) => [x.ruleId, x.severity, x.location.file, x.location.line]), [['mesh-config/ignored-field', 'warning', 'mesh.yaml', 3]]);
  assert.match(f[0]!.message, /defaultInboundHttpRetryPolicy\.perTryTimeout is ignored/);
  assert.is(r.graph.meshConfig.defaultInboundHttpRetryPolicy.attempts, 3);
});

test('GIVEN meshproof.config.yaml with meshConfig, clusterDomain and context WHEN checking THEN they apply like the flags, and the flags win', async () => {
  const cwd = project({
    'app/app.yaml': APP, 'platform/gw.yaml': PLATFORM, 'mesh.yaml': 'trustDomain: corp.example\n',
    'meshproof.config.yaml': 'clusterDomain: corp.example\nmeshConfig: mesh.yaml\ncontext: [platform]\n',
  });
  const config = loadConfigFile(join(cwd, 'meshproof.config.yaml'), ruleCatalogue(), cwd);
  const r = await runCheck({ paths: ['app'], cwd, config, today: '2026-01-01' });
  assert.not.ok(r.unusableInput);
  assert.not.ok(ids(r).some((f) => f.startsWith('references/gateway-exists') || f.startsWith('references/destination-host-exists')), ids(r).join('\n'));
  const flagWins = await runCheck({ paths: ['app'], cwd, config, today: '2026-01-01', clusterDomain: 'cluster.local' });
  assert.ok(ids(flagWins).some((f) => f.startsWith('references/destination-host-exists')), '--cluster-domain overrides the config key');
  const badCwd = project({ 'app/app.yaml': APP, 'meshproof.config.yaml': 'profile: recommended\nclusterDomain: corp_example\n' });
  const bad = await runCheck({ paths: ['app'], cwd: badCwd, config: loadConfigFile(join(badCwd, 'meshproof.config.yaml'), ruleCatalogue(), badCwd), today: '2026-01-01' });
  assert.ok(bad.unusableInput);
  const f = bad.result.findings.find((x) => x.ruleId === 'mesh-config/cluster-domain')!;
  assert.equal([f.location.file.endsWith('meshproof.config.yaml'), f.location.line], [true, 2]);
});

test('GIVEN meshproof.config.yaml whose context or meshConfig path does not exist WHEN checking THEN unusable, and the finding names the config key and file to fix', async () => {
  const cwd = project({ 'app/app.yaml': APP, 'platform/gw.yaml': PLATFORM, 'meshproof.config.yaml': 'meshConfig: mesh.yml\ncontext: [platfrom]\n' });
  const config = loadConfigFile(join(cwd, 'meshproof.config.yaml'), ruleCatalogue(), cwd);
  const r = await runCheck({ paths: ['app'], cwd, config, today: '2026-01-01' });
  assert.ok(r.unusableInput);
  const unreadable = r.result.findings.find((x) => x.ruleId === 'input/unreadable')!;
  assert.is(unreadable.location.file, 'platfrom');
  assert.match(unreadable.message, /^cannot read platfrom: no such file or directory; it is listed under context: in meshproof\.config\.yaml, where paths are relative to that file\. Fix the path/);
  const mesh = r.result.findings.find((x) => x.ruleId === 'mesh-config/syntax')!;
  assert.match(mesh.message, /^cannot read the MeshConfig file: ENOENT \(no such file\)\. It is the meshConfig: of meshproof\.config\.yaml, a path relative to that file\./);
  // The same paths as flags keep the flag's words (the CLI refuses a missing --context before this).
  const flags = await runCheck({ paths: ['app'], cwd, config: DEFAULT_CONFIG, meshConfig: 'mesh.yml', context: ['platfrom'], today: '2026-01-01' });
  assert.not.match(flags.result.findings.find((x) => x.ruleId === 'input/unreadable')!.message, /context:/);
  assert.match(flags.result.findings.find((x) => x.ruleId === 'mesh-config/syntax')!.message, /Fix: pass the path/);
});

test('GIVEN context paths that overlap the input WHEN checking THEN input wins: its objects are targets and reported on', async () => {
  const cwd = project({ 'app/app.yaml': APP, 'platform/gw.yaml': PLATFORM });
  const same = await run(cwd, { context: ['app'] });
  assert.is(same.result.summary.objects, 2, 'the input directory given as context stays input');
  assert.ok(ids(same).some((f) => f.startsWith('references/gateway-exists app/app.yaml')), ids(same).join('\n'));
  const file = await run(cwd, { context: [join(cwd, 'app/app.yaml'), 'platform'] });
  assert.is(file.result.summary.objects, 2, 'an input file given by absolute path as context stays input');
  assert.not.ok(ids(file).some((f) => f.startsWith('references/gateway-exists')), 'the real context still resolves references');
  const parent = await runCheck({ paths: ['app/app.yaml'], cwd, config: { ...DEFAULT_CONFIG, context: ['.'] }, today: '2026-01-01', clusterDomain: 'corp.example' });
  assert.is(parent.result.summary.objects, 2, 'a context directory containing the input file');
  assert.not.ok(ids(parent).some((f) => f.includes('platform/')), 'the rest of the context directory is still context');
  assert.not.ok(ids(parent).some((f) => f.startsWith('graph/duplicate') || /duplicate/.test(f)), ids(parent).join('\n'));
});

test('GIVEN trustDomain corp.example WHEN a principal says cluster.local/ns/…/sa/<missing> THEN it is still checked (Istio reads cluster.local as the local trust domain)', async () => {
  const WORKLOAD = `apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop}
spec:
  selector: {matchLabels: {app: cart}}
  template:
    metadata: {labels: {app: cart}}
    spec: {serviceAccountName: cart, containers: [{name: c, image: x}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-cart, namespace: shop}
spec:
  selector: {matchLabels: {app: cart}}
  rules:
  - from: [{source: {principals: ["cluster.local/ns/shop/sa/frontend", "other.example/ns/shop/sa/frontend"]}}]
`;
  const cwd = project({ 'app/app.yaml': WORKLOAD, 'mesh.yaml': 'trustDomain: corp.example\n' });
  const r = await run(cwd, { meshConfig: 'mesh.yaml' });
  assert.not.ok(r.unusableInput);
  const found = r.result.findings.filter((f) => f.ruleId === 'security/principal-not-found');
  assert.is(found.length, 1, found.map((f) => f.message).join('\n'));
  assert.match(found[0]!.message, /"cluster\.local\/ns\/shop\/sa\/frontend"/);
});

test('GIVEN --cluster-domain set explicitly WHEN a host uses another domain THEN the hint does not call it the default; an invalid one is a usage error before anything runs', async () => {
  const cwd = project({ 'app/app.yaml': APP.replaceAll('corp.example', 'cluster.local') });
  const r = await run(cwd, { clusterDomain: 'corp.example' });
  const f = r.result.findings.find((x) => x.ruleId === 'references/destination-host-exists')!;
  assert.ok(f, ids(r).join('\n'));
  assert.not.match(f.message, /meshproof's default/);
  assert.match(f.message, /with cluster domain corp\.example \(as set by clusterDomain or --cluster-domain\)/);
  const c = captureIO(cwd);
  assert.is(await main(['check', 'app', '--cluster-domain', 'Corp..Example'], c.io), 2);
  const lines = c.stderr().trim().split('\n');
  assert.match(lines[0]!, /--cluster-domain "Corp\.\.Example" is not a DNS name: it has an empty label/);
  assert.is(c.stdout(), '', 'nothing was checked');
});

test.run();
