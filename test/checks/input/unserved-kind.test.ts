import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkPaths } from '../../../src/checks/api.js';
import { loadInputs } from '../../../src/mesh/load.js';
import { unservedReason } from '../../../src/mesh/served-versions.js';

const dir = mkdtempSync(path.join(tmpdir(), 'meshproof-unserved-'));
function write(name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

const VS = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews, namespace: default}\nspec:\n  hosts: [reviews]\n  http: [{route: [{destination: {host: reviews}}]}]\n';
const service = (apiVersion: string, kind = 'Service') => `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: reviews, namespace: default}\nspec: {ports: [{port: 80, name: http}], selector: {app: reviews}}\n`;

test('GIVEN built-in kinds at apiVersions no supported Kubernetes serves WHEN loaded THEN an error at the apiVersion line naming the served one, and no object', async () => {
  const file = write('old.yaml', [
    'apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: old}\n',
    'apiVersion: v2\nkind: Service\nmetadata: {name: s}\n',
    'apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: i}\n',
    'apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\n',
    'apiVersion: apps\nkind: Deployment\nmetadata: {name: noversion}\n',
  ].join('---\n'));
  const { problems, files } = await loadInputs([file]);
  assert.equal(problems.map((p) => [p.code, p.severity, p.unusable, p.location.line]), [
    ['input/unserved-kind', 'error', false, 1], ['input/unserved-kind', 'error', false, 5], ['input/unserved-kind', 'error', false, 9],
    ['input/unserved-kind', 'error', false, 13], ['input/unserved-kind', 'error', false, 17],
  ]);
  assert.match(problems[0]!.message, /Deployment is served as apps\/v1; apps\/v1beta1 was removed in Kubernetes 1\.16/);
  assert.match(problems[1]!.message, /Service is served as v1; no Kubernetes version serves Service as v2/);
  assert.match(problems[2]!.message, /Ingress is served as networking\.k8s\.io\/v1; extensions\/v1beta1 was removed in Kubernetes 1\.22/);
  assert.match(problems[3]!.message, /served as autoscaling\/v2 or autoscaling\/v1; autoscaling\/v2beta2 was removed in Kubernetes 1\.26/);
  assert.match(problems[4]!.message, /"apps" has no version/);
  assert.is(files[0]!.objects.length, 0);
});

test('GIVEN Istio and Gateway API kinds at versions their CRD does not serve and Istio does not read WHEN loaded THEN refused like built-in kinds, naming the version to write', async () => {
  const file = write('crd.yaml', [
    'apiVersion: networking.istio.io/v9\nkind: VirtualService\nmetadata: {name: v9}\n',
    'apiVersion: networking.istio.io/v1alpha2\nkind: Gateway\nmetadata: {name: old}\n',
    'apiVersion: security.istio.io/v1alpha1\nkind: AuthorizationPolicy\nmetadata: {name: ap}\n',
    'apiVersion: gateway.networking.k8s.io/v1alpha1\nkind: HTTPRoute\nmetadata: {name: r}\n',
    'apiVersion: gateway.networking.k8s.io/v1\nkind: TCPRoute\nmetadata: {name: t}\n',
  ].join('---\n'));
  const { problems, files } = await loadInputs([file]);
  assert.equal(problems.map((p) => [p.code, p.severity, p.location.line]), [
    ['input/unserved-kind', 'error', 1], ['input/unserved-kind', 'error', 5], ['input/unserved-kind', 'error', 9], ['input/unserved-kind', 'error', 13],
  ]);
  assert.match(problems[0]!.message, /VirtualService is served as networking\.istio\.io\/v1, networking\.istio\.io\/v1alpha3 or networking\.istio\.io\/v1beta1 \(its CRD has no version v9/);
  assert.match(problems[0]!.message, /Write apiVersion: networking\.istio\.io\/v1$/);
  assert.match(problems[3]!.message, /Write apiVersion: gateway\.networking\.k8s\.io\/v1$/);
  // TCPRoute v1: Istio reads it (its preferred version), although Gateway API v1.4.1 serves only v1alpha2.
  assert.equal(files[0]!.objects.map((o) => o.body.kind), ['TCPRoute']);
});

test('GIVEN Istio and Gateway API versions that are served or that Istio reads as aliases WHEN judged THEN no reason', () => {
  for (const [kind, v] of [['VirtualService', 'networking.istio.io/v1alpha3'], ['DestinationRule', 'networking.istio.io/v1beta1'], ['EnvoyFilter', 'networking.istio.io/v1alpha3'],
    ['ProxyConfig', 'networking.istio.io/v1beta1'], ['Telemetry', 'telemetry.istio.io/v1alpha1'], ['WasmPlugin', 'extensions.istio.io/v1alpha1'],
    ['GRPCRoute', 'gateway.networking.k8s.io/v1alpha2'], ['ReferenceGrant', 'gateway.networking.k8s.io/v1alpha2'], ['HTTPRoute', 'gateway.networking.k8s.io/v1beta1'],
    ['UDPRoute', 'gateway.networking.k8s.io/v1alpha2'], ['RouteRule', 'networking.istio.io/v1alpha2'], ['IstioOperator', 'install.istio.io/v1alpha1']] as const) {
    assert.is(unservedReason(kind, v), undefined, `${kind} ${v}`);
  }
});

test('GIVEN served versions, CRD kinds and kinds of other groups WHEN judged THEN no reason (the object is kept)', () => {
  for (const [kind, v] of [['Service', 'v1'], ['Deployment', 'apps/v1'], ['HorizontalPodAutoscaler', 'autoscaling/v1'], ['HorizontalPodAutoscaler', 'autoscaling/v2'],
    ['Service', 'serving.knative.dev/v1'], ['Widget', 'example.com/v1'], ['Event', 'v1'], ['VirtualService', 'networking.istio.io/v1'], ['HTTPRoute', 'gateway.networking.k8s.io/v1']] as const) {
    assert.is(unservedReason(kind, v), undefined, `${kind} ${v}`);
  }
});

test('GIVEN a known kind in the wrong case WHEN loaded THEN an error at the kind line with did-you-mean; an unknown kind stays an info', async () => {
  const file = write('case.yaml', 'apiVersion: v1\nkind: service\nmetadata: {name: s}\n---\napiVersion: networking.istio.io/v1\nkind: virtualService\nmetadata: {name: v}\n---\napiVersion: example.com/v1\nkind: widget\nmetadata: {name: w}\n');
  const { problems, files } = await loadInputs([file]);
  assert.equal(problems.map((p) => [p.code, p.severity, p.location.line]), [['input/unserved-kind', 'error', 2], ['input/unserved-kind', 'error', 6], ['input/unknown-kind', 'info', 9]]);
  assert.match(problems[0]!.message, /Did you mean Service\?/);
  assert.match(problems[1]!.message, /not a kind of networking\.istio\.io.*Did you mean VirtualService\?/);
  assert.equal(files[0]!.objects.map((o) => o.body.kind), ['widget']);
});

test('GIVEN a VirtualService host whose Service is apiVersion v2 WHEN checked THEN the host is not found (the Service is not modelled); with v1 it is', async () => {
  const bad = await checkPaths([write('vs-v2.yaml', `${service('v2')}---\n${VS}`)]);
  const ids = bad.result.findings.map((f) => f.ruleId);
  assert.ok(ids.includes('input/unserved-kind'), ids.join());
  assert.ok(bad.result.findings.some((f) => f.istioCode === 'IST0101'), ids.join());
  assert.is(bad.exitCode(), 1);
  const good = await checkPaths([write('vs-v1.yaml', `${service('v1')}---\n${VS}`)]);
  assert.not.ok(good.result.findings.some((f) => f.severity === 'error'), JSON.stringify(good.result.findings));
});

test.run();
