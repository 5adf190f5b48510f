import { Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AllowPolicy, DefaultDenyPolicy } from '../../src/constructs/authorization-policy.js';
import { ExternalService } from '../../src/constructs/external-service.js';
import { MeshService, type MeshServiceProps } from '../../src/constructs/mesh-service.js';
import { PeerAuthenticationPolicy, PolicyScope } from '../../src/constructs/peer-authentication.js';
import { SidecarScope } from '../../src/constructs/sidecar-scope.js';
import { only, synth } from '../_synth.js';

const reviews: MeshServiceProps = {
  name: 'reviews',
  ports: [{ port: 9080, protocol: 'http', name: 'web' }, { port: 9090, protocol: 'grpc', name: 'api', targetPort: 8080 }],
  versions: [{ name: 'v1', image: 'reviews:1' }, { name: 'v2', image: 'reviews:2', replicas: 3, env: { LOG: 'debug' } }],
};

test('GIVEN two versions WHEN synthesized THEN the DestinationRule has one subset per version keyed on the version label', () => {
  const dr = only(synth((c) => new MeshService(c, 'reviews', reviews)), 'DestinationRule', 'reviews');
  assert.equal(dr, {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: {
      host: 'reviews.default.svc.cluster.local',
      subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }],
    },
  });
});

test('GIVEN service- and subset-level traffic policies WHEN synthesized THEN both land where Istio reads them', () => {
  const dr = only(synth((c) => new MeshService(c, 'reviews', {
    ...reviews,
    trafficPolicy: { connectionPool: { tcp: { maxConnections: 50 } }, outlierDetection: { consecutive5xxErrors: 3 } },
    versions: [{ name: 'v1', image: 'reviews:1' }, { name: 'v2', image: 'reviews:2', trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } }],
  })), 'DestinationRule');
  assert.equal(dr.spec, {
    host: 'reviews.default.svc.cluster.local',
    trafficPolicy: { connectionPool: { tcp: { maxConnections: 50 } }, outlierDetection: { consecutive5xxErrors: 3 } },
    subsets: [
      { name: 'v1', labels: { version: 'v1' } },
      { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } },
    ],
  });
});

test('GIVEN ports with protocols WHEN synthesized THEN the Service names them <protocol>-<suffix> and selects every version by app', () => {
  const svc = only(synth((c) => new MeshService(c, 'reviews', reviews)), 'Service', 'reviews');
  assert.equal(svc.metadata, { name: 'reviews', namespace: 'default' });
  assert.equal(svc.spec.selector, { app: 'reviews' });
  assert.equal(svc.spec.ports, [
    { name: 'http-web', port: 9080, targetPort: 9080 },
    { name: 'grpc-api', port: 9090, targetPort: 8080 },
  ]);
});

test('GIVEN a port without a suffix WHEN synthesized THEN it is named after its protocol', () => {
  const svc = only(synth((c) => new MeshService(c, 'db', {
    name: 'db', ports: [{ port: 5432, protocol: 'tcp' }], versions: [{ name: 'v1', image: 'pg:16' }],
  })), 'Service');
  assert.equal(svc.spec.ports, [{ name: 'tcp', port: 5432, targetPort: 5432 }]);
});

test('GIVEN two versions WHEN synthesized THEN each Deployment is <name>-<version>, labelled and selected by app and version only', () => {
  const objects = synth((c) => new MeshService(c, 'reviews', reviews));
  for (const [version, replicas] of [['v1', 1], ['v2', 3]] as const) {
    const d = only(objects, 'Deployment', `reviews-${version}`);
    const labels = { app: 'reviews', version };
    assert.equal(d.metadata, { name: `reviews-${version}`, namespace: 'default', labels });
    assert.equal(d.spec.selector, { matchLabels: labels });
    assert.equal(d.spec.template.metadata, { labels });
    assert.is(d.spec.replicas, replicas);
    const container = d.spec.template.spec.containers[0];
    assert.is(container.name, 'reviews');
    assert.is(container.image, `reviews:${version.slice(1)}`);
    assert.equal(container.ports, [{ containerPort: 9080 }, { containerPort: 8080 }]);
    assert.is(d.spec.template.spec.serviceAccountName, 'reviews');
  }
  assert.equal(only(objects, 'Deployment', 'reviews-v2').spec.template.spec.containers[0].env, [{ name: 'LOG', value: 'debug' }]);
});

test('GIVEN no security settings WHEN synthesized THEN cdk8s-plus secure defaults are kept', () => {
  const d = only(synth((c) => new MeshService(c, 'reviews', reviews)), 'Deployment', 'reviews-v1');
  assert.equal(d.spec.template.spec.containers[0].securityContext, {
    allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
  });
  assert.equal(d.spec.template.spec.securityContext, { fsGroupChangePolicy: 'Always', runAsNonRoot: true });
  assert.is(d.spec.template.spec.automountServiceAccountToken, false);
});

test('GIVEN resources and a security context WHEN synthesized THEN they override the defaults for that version', () => {
  const d = only(synth((c) => new MeshService(c, 'reviews', {
    ...reviews,
    versions: [{
      name: 'v1', image: 'reviews:1',
      resources: { cpu: { request: Cpu.millis(100), limit: Cpu.millis(200) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) } },
      securityContext: { readOnlyRootFilesystem: false, user: 1000 },
    }],
  })), 'Deployment', 'reviews-v1');
  const container = d.spec.template.spec.containers[0];
  assert.equal(container.resources, { limits: { cpu: '200m', memory: '128Mi' }, requests: { cpu: '100m', memory: '64Mi' } });
  assert.is(container.securityContext.readOnlyRootFilesystem, false);
  assert.is(container.securityContext.runAsUser, 1000);
  assert.is(container.securityContext.runAsNonRoot, true);
});

test('GIVEN no serviceAccount WHEN synthesized THEN a ServiceAccount named after the service is created without a mounted token', () => {
  const objects = synth((c) => new MeshService(c, 'reviews', reviews));
  assert.equal(only(objects, 'ServiceAccount'), {
    apiVersion: 'v1', kind: 'ServiceAccount',
    metadata: { name: 'reviews', namespace: 'default' },
    automountServiceAccountToken: false,
  });
});

test('GIVEN an existing serviceAccount WHEN synthesized THEN pods use it and none is created', () => {
  const objects = synth((c) => new MeshService(c, 'reviews', { ...reviews, serviceAccount: 'bookinfo-reviews' }));
  assert.is(objects.filter((o) => o.kind === 'ServiceAccount').length, 0);
  assert.is(only(objects, 'Deployment', 'reviews-v1').spec.template.spec.serviceAccountName, 'bookinfo-reviews');
});

test('GIVEN a namespace WHEN constructed THEN the IRoutable view and principal use it', () => {
  let svc: MeshService | undefined;
  const objects = synth((c) => { svc = new MeshService(c, 'reviews', { ...reviews, namespace: 'bookinfo' }); });
  assert.is(svc!.host, 'reviews.bookinfo.svc.cluster.local');
  assert.is(svc!.namespace, 'bookinfo');
  assert.equal(svc!.subsetNames, ['v1', 'v2']);
  assert.equal(svc!.portNumbers, [9080, 9090]);
  assert.is(svc!.principal, 'cluster.local/ns/bookinfo/sa/reviews');
  assert.ok(objects.every((o) => o.metadata.namespace === 'bookinfo'));
});

test('GIVEN overrides WHEN synthesized THEN they are merged over the generated DestinationRule spec', () => {
  const dr = only(synth((c) => new MeshService(c, 'reviews', { ...reviews, overrides: { exportTo: ['.'] } })), 'DestinationRule');
  assert.equal(dr.spec.exportTo, ['.']);
  assert.is(dr.spec.host, 'reviews.default.svc.cluster.local');
});

test('GIVEN every construct of this package WHEN synthesized THEN no object name or label carries a cdk8s hash', () => {
  const objects = synth((c) => {
    const svc = new MeshService(c, 'reviews', reviews);
    const ext = new ExternalService(c, 'httpbin', { name: 'httpbin', hosts: ['httpbin.org', 'api.httpbin.org'], tlsOrigination: { systemCaCertificates: true } });
    new PeerAuthenticationPolicy(c, 'mesh-mtls', { scope: PolicyScope.mesh() });
    new PeerAuthenticationPolicy(c, 'reviews-mtls', { name: 'reviews', scope: PolicyScope.workload(svc.selectorLabels), portLevelMtls: { 9090: 'PERMISSIVE' } });
    new DefaultDenyPolicy(c, 'deny');
    new AllowPolicy(c, 'allow', { name: 'reviews-get', rules: [{ to: [{ methods: ['GET'] }] }] });
    new SidecarScope(c, 'sidecar', { egressHosts: ['./*', ext] });
  });
  assert.is(objects.length, 13);
  const hashed = /-[0-9a-f]{8}$/;
  for (const o of objects) {
    assert.not.ok(hashed.test(o.metadata.name), `${o.kind}/${o.metadata.name} looks hashed`);
  }
  assert.not.ok(JSON.stringify(objects).includes('cdk8s.io/metadata.addr'), 'no cdk8s address label or selector');
  assert.equal(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
    'AuthorizationPolicy/allow-nothing', 'AuthorizationPolicy/reviews-get',
    'Deployment/reviews-v1', 'Deployment/reviews-v2',
    'DestinationRule/httpbin', 'DestinationRule/httpbin-1', 'DestinationRule/reviews',
    'PeerAuthentication/default', 'PeerAuthentication/reviews',
    'Service/reviews', 'ServiceAccount/reviews', 'ServiceEntry/httpbin', 'Sidecar/default',
  ]);
});

test.run();
