/**
 * The Service istiod creates with a Gateway API Gateway's automated deployment (kube-gateway.yaml, deploymentcontroller.go
 * `extractServicePorts`): `<name>-istio` in the Gateway's namespace, status-port 15021 then one port per distinct
 * listener port named after the listener, type from `networking.istio.io/service-type` (LoadBalancer by default),
 * selecting the deployment's pods. It is a service of the graph (made from the Gateway, not an input object), so a
 * host lookup finds it; a manual Gateway, another controller's class, or a Service of that name in the input gets none.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gatewayServicePorts } from '../../src/mesh/gateway-api-service.js';
import { graphOf } from './_graph.js';

const gateway = (name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name, namespace: 'edge', ...meta },
  spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }], ...spec },
});

test('GIVEN a Gateway of class istio with HTTP, HTTPS and TCP listeners WHEN the graph is built THEN the service public-istio.edge.svc.cluster.local has status-port and one port per listener port, LoadBalancer, selecting gateway-name: public', () => {
  const g = graphOf([gateway('public', { listeners: [
    { name: 'http', port: 80, protocol: 'HTTP' },
    { name: 'web.https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'cert' }] } },
    { name: 'also-80', port: 80, protocol: 'HTTP', hostname: 'a.example.com' },
    { name: 'db', port: 5432, protocol: 'TCP' },
  ] })]);
  const found = g.servicesForHost('public-istio.edge.svc.cluster.local', 'shop');
  assert.is(found.length, 1, 'a host lookup from another namespace finds it');
  const [s] = found;
  assert.equal(s!.ports.map((p) => [p.number, p.name, p.protocol]), [[15021, 'status-port', 'TCP'], [80, 'http', 'HTTP'], [443, 'web-https', 'HTTPS'], [5432, 'db', 'TCP']]);
  assert.equal({ ...s!.selector }, { 'gateway.networking.k8s.io/gateway-name': 'public' });
  assert.is(s!.generatedFrom?.name, 'public');
  assert.is(s!.object.spec.type, 'LoadBalancer');
  assert.is(s!.object.location.line, 3, 'it points at the Gateway\'s spec.gatewayClassName');
  assert.equal(g.ofKind('Service'), [], 'it is not an input object');
  const [w] = g.workloads.all;
  assert.equal(g.services.selecting(w!.namespace, w!.labels).map((x) => x.host), ['public-istio.edge.svc.cluster.local'], 'it selects the generated deployment\'s pods');
});

test('GIVEN service-type, name-override, exportTo annotations and an address WHEN built THEN the Service takes the type, the override name, the exportTo (copied annotations) and loadBalancerIP only when LoadBalancer; the service account keeps <name>-<class>', () => {
  const g = graphOf([
    gateway('internal', {}, { annotations: { 'networking.istio.io/service-type': 'ClusterIP', 'gateway.istio.io/name-override': 'ingress', 'networking.istio.io/exportTo': '.' } }),
    gateway('pinned', { addresses: [{ value: '10.0.0.7' }] }),
  ]);
  const internal = g.services.forHost('ingress.edge.svc.cluster.local', null);
  assert.equal(internal.map((s) => [s.object.spec.type, s.object.spec.loadBalancerIP, s.exportTo]), [['ClusterIP', undefined, ['.']]]);
  assert.equal(g.servicesForHost('ingress.edge.svc.cluster.local', 'shop'), [], 'exportTo . on the Gateway reaches its Service');
  assert.equal(g.services.forHost('pinned-istio.edge.svc.cluster.local', null).map((s) => s.object.spec.loadBalancerIP), ['10.0.0.7']);
  assert.equal(g.workloads.all.map((w) => [w.name, w.serviceAccount]), [['ingress', 'internal-istio'], ['pinned-istio', 'pinned-istio']], 'the name override renames the deployment, not its service account (TemplateInput.ServiceAccount)');
});

test('GIVEN Gateways istiod does not deploy, and a Service of the generated name in the input WHEN built THEN no generated Service: the input\'s one stands', () => {
  const g = graphOf([
    gateway('manual', { addresses: [{ type: 'Hostname', value: 'ingress' }] }),
    gateway('envoy', { gatewayClassName: 'eg' }),
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'eg' }, spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' } },
    gateway('dumped', {}),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'dumped-istio', namespace: 'edge' }, spec: { selector: { 'gateway.networking.k8s.io/gateway-name': 'dumped' }, ports: [{ name: 'http', port: 80 }] } },
  ]);
  assert.equal(g.services.all.map((s) => [s.host, s.generatedFrom === undefined]), [['dumped-istio.edge.svc.cluster.local', true]]);
});

test('GIVEN listener names that sanitize alike and an over-long one WHEN the ports are made THEN names are unique and at most 63 characters (uniquePortName)', () => {
  const long = 'l'.repeat(70);
  const ports = gatewayServicePorts(graphOf([gateway('p', { listeners: [
    { name: 'a.b', port: 80, protocol: 'HTTP' }, { name: 'a-b', port: 81, protocol: 'HTTP' }, { name: long, port: 82, protocol: 'TCP' }, { name: `${long}x`, port: 83, protocol: 'TCP' },
  ] })]).objects[0]!);
  assert.equal(ports.map((p) => [p.name, p.port, p.appProtocol]), [
    ['status-port', 15021, 'tcp'], ['a-b', 80, 'http'], ['a-b-81', 81, 'http'], ['l'.repeat(63), 82, 'tcp'], [`${'l'.repeat(60)}-83`, 83, 'tcp'],
  ]);
});

test.run();
