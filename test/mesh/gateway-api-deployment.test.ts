/**
 * The automated deployment: a Gateway API Gateway of class istio (no address naming an existing Service) gets
 * the Deployment istiod renders, `<name>-istio` in its namespace, labelled as kube-gateway.yaml labels its pods,
 * as a workload and a router proxy of the graph; a manual Gateway, another controller's class, a waypoint, or a
 * Deployment of that name already in the input gets none.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { proxiesOf } from '../../src/mesh/view/index.js';
import { graphOf } from './_graph.js';

const gateway = (name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name, namespace: 'edge', ...meta },
  spec: { listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }], ...spec },
});

test('GIVEN a Gateway of class istio WHEN the graph is built THEN a Deployment public-istio in its namespace is a workload, a router proxy with istiod\'s pod labels and service account', () => {
  const g = graphOf([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'edge', labels: { 'istio-injection': 'enabled' } } }, gateway('public', { gatewayClassName: 'istio' }, { labels: { team: 'web' } })]);
  const [w] = g.workloads.all;
  assert.is(g.workloads.all.length, 1);
  assert.equal([w!.kind, w!.namespace, w!.name, w!.serviceAccount], ['Deployment', 'edge', 'public-istio', 'public-istio']);
  assert.equal({ ...w!.labels }, {
    'sidecar.istio.io/inject': 'false', 'service.istio.io/canonical-name': 'public-istio', 'service.istio.io/canonical-revision': 'latest', team: 'web',
    'gateway.networking.k8s.io/gateway-name': 'public', 'gateway.networking.k8s.io/gateway-class-name': 'istio', 'gateway.istio.io/managed': 'istio.io-gateway-controller',
  });
  assert.is(g.membershipOf(w!).dataplane, 'gateway', 'the pod runs istio-proxy as a router, whatever the namespace injection says');
  assert.is(w!.generatedFrom?.name, 'public');
  assert.equal(g.workloads.inInput, [], 'a generated workload is not one of the input');
  assert.equal(w!.object.location.line, 103, 'it points at the Gateway\'s spec.gatewayClassName');
  const proxies = proxiesOf(g);
  assert.equal(proxies.map((p) => [p.type, p.namespace, p.name]), [['router', 'edge', 'public-istio']]);
});

test('GIVEN name-override and service-account annotations and infrastructure labels WHEN built THEN the deployment takes those names and only the infrastructure labels (gateway.networking.k8s.io/ ones dropped)', () => {
  const g = graphOf([gateway('public', {
    gatewayClassName: 'istio',
    infrastructure: { labels: { tier: 'edge', 'gateway.networking.k8s.io/gateway-name': 'spoof' } },
  }, { labels: { team: 'web' }, annotations: { 'gateway.istio.io/name-override': 'ingress', 'gateway.istio.io/service-account': 'edge-sa' } })]);
  const [w] = g.workloads.all;
  assert.equal([w!.name, w!.serviceAccount, w!.labels.tier, w!.labels.team, w!.labels['gateway.networking.k8s.io/gateway-name']], ['ingress', 'edge-sa', 'edge', undefined, 'public']);
});

test('GIVEN Gateways istiod does not deploy WHEN built THEN no workload: a Hostname address (manual deployment), two addresses, another controller\'s class, a waypoint, a Deployment of that name in the input', () => {
  const g = graphOf([
    gateway('manual', { gatewayClassName: 'istio', addresses: [{ type: 'Hostname', value: 'ingress' }] }),
    gateway('two', { gatewayClassName: 'istio', addresses: [{ value: '10.0.0.1' }, { value: '10.0.0.2' }] }),
    gateway('envoy', { gatewayClassName: 'eg' }),
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'eg' }, spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' } },
    gateway('waypoint', { gatewayClassName: 'istio-waypoint' }),
    gateway('dumped', { gatewayClassName: 'istio' }),
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'dumped-istio', namespace: 'edge' }, spec: { template: { metadata: { labels: { 'gateway.networking.k8s.io/gateway-name': 'dumped' } }, spec: { containers: [{ name: 'istio-proxy', args: ['proxy', 'router'] }] } } } },
  ]);
  assert.equal(g.workloads.all.map((w) => [w.name, w.generatedFrom === undefined]), [['dumped-istio', true]]);
});

test('GIVEN one IPAddress address and a GatewayClass of istiod\'s gateway controller under another name WHEN built THEN both are deployed (<name>-<class>)', () => {
  const g = graphOf([
    gateway('pinned', { gatewayClassName: 'istio', addresses: [{ type: 'IPAddress', value: '10.0.0.1' }] }),
    gateway('custom', { gatewayClassName: 'edge' }),
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'edge' }, spec: { controllerName: 'istio.io/gateway-controller' } },
  ]);
  assert.equal(g.workloads.all.map((w) => w.name), ['pinned-istio', 'custom-edge']);
});

test.run();
