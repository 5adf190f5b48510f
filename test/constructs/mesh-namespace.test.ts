import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Chart, Testing } from 'cdk8s';
import { MeshNamespace } from '../../src/constructs/mesh-namespace.js';
import { MeshService } from '../../src/constructs/mesh-service.js';
import { only, synth, throwsProp, type Manifest } from '../_synth.js';

test('GIVEN a MeshNamespace WHEN synthesized THEN it injects sidecars, requires mTLS and denies by default', () => {
  const objects = synth((chart) => new MeshNamespace(chart, 'ns', { name: 'shop' }));
  assert.equal(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`), ['Namespace//shop', 'PeerAuthentication/shop/default', 'AuthorizationPolicy/shop/allow-nothing']);
  assert.equal(only(objects, 'Namespace').metadata.labels, { 'istio-injection': 'enabled' });
  assert.equal(only(objects, 'PeerAuthentication').spec, { mtls: { mode: 'STRICT' } });
  assert.equal(only(objects, 'AuthorizationPolicy').spec, {});
});

test('GIVEN a revision, PERMISSIVE mTLS and no default deny WHEN synthesized THEN the namespace says so', () => {
  const objects = synth((chart) => new MeshNamespace(chart, 'ns', { name: 'shop', revision: 'canary', mtls: 'PERMISSIVE', defaultDeny: false, labels: { team: 'a' } }));
  assert.equal(only(objects, 'Namespace').metadata.labels, { team: 'a', 'istio.io/rev': 'canary' });
  assert.equal(only(objects, 'PeerAuthentication').spec, { mtls: { mode: 'PERMISSIVE' } });
  assert.is(objects.filter((o) => o.kind === 'AuthorizationPolicy').length, 0);
});

test('GIVEN bad props WHEN constructed THEN the error names path, field and value', () => {
  throwsProp(() => synth((chart) => new MeshNamespace(chart, 'ns', { name: 'Shop' })), { code: 'MP_INVALID_NAME', field: 'name', path: 'test/ns' });
  throwsProp(() => synth((chart) => new MeshNamespace(chart, 'ns', { name: 'shop', labels: { 'istio-injection': 'disabled' } })), { code: 'MP_INVALID_PROP', field: 'labels.istio-injection' });
});

function synthWith(context: Record<string, string>, build: (chart: Chart) => void): Manifest[] {
  const app = Testing.app();
  for (const [k, v] of Object.entries(context)) app.node.setContext(k, v);
  const chart = new Chart(app, 'test', { namespace: 'shop' });
  build(chart);
  return Testing.synth(chart) as Manifest[];
}

test('GIVEN a trust and cluster domain in the construct context WHEN principals and hosts are written THEN none hard-codes cluster.local', () => {
  let ns: MeshNamespace | undefined;
  let svc: MeshService | undefined;
  synthWith({ 'meshproof:trustDomain': 'corp.example', 'meshproof:clusterDomain': 'k8s.corp' }, (chart) => {
    ns = new MeshNamespace(chart, 'ns', { name: 'shop' });
    svc = new MeshService(chart, 'web', { name: 'web', ports: [{ port: 80, protocol: 'http' } as never], versions: [{ name: 'v1', image: 'nginx:1.27' } as never] });
  });
  assert.is(ns!.principal('web'), 'corp.example/ns/shop/sa/web');
  assert.is(ns!.host('web'), 'web.shop.svc.k8s.corp');
  assert.is(svc!.principal, 'corp.example/ns/shop/sa/web');
  assert.is(svc!.host, 'web.shop.svc.k8s.corp');
  let plain: MeshNamespace | undefined;
  synth((chart) => { plain = new MeshNamespace(chart, 'ns', { name: 'shop' }); });
  assert.is(plain!.principal('web'), 'cluster.local/ns/shop/sa/web', "Istio's default without a setting");
  throwsProp(() => synthWith({ 'meshproof:trustDomain': 'Not A Domain' }, (chart) => new MeshNamespace(chart, 'ns', { name: 'shop' })), { code: 'MP_INVALID_PROP', field: 'context.trustDomain' });
});

test.run();
