/**
 * validation/sidecar-structure (IST0106): what Istio's ValidateSidecar refuses beyond the listener order and defaultEndpoint
 * (pkg/config/validation/validation.go): an empty Sidecar, `hosts: []`, port names, protocols and binds
 * (validateSidecarIngressPortAndBind, validateSidecarEgressPortBindAndCaptureMode), unix sockets, connection pools
 * (validateConnectionPool) and the egress proxy (validateSidecarOutboundTrafficPolicy). Each refused input sits beside
 * an accepted neighbour.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/validation/sidecar-structure.js';
import { findingsOf } from './_harness.js';

function findings(spec: string) {
  return findingsOf(`apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sc, namespace: shop}
spec:
${spec}
`, [rule]);
}

const CASES: [string, string, string | null][] = [
  ['a Sidecar with only a workloadSelector', '  workloadSelector: {labels: {app: web}}', 'sidecar: empty configuration provided'],
  ['a Sidecar with only an outboundTrafficPolicy', '  outboundTrafficPolicy: {mode: REGISTRY_ONLY}', null],
  ['a Sidecar with egress: []', '  egress: []', 'sidecar: empty configuration provided'],
  ['an egress listener with hosts: []', '  egress: [{hosts: []}]', 'sidecar: egress listener must contain at least one host: spec.egress[0].hosts is empty'],
  ['an egress listener with one host', '  egress: [{hosts: ["./*"]}]', null],
  ['an ingress port name with capitals', '  ingress: [{port: {number: 9080, protocol: HTTP, name: Http_Web}, defaultEndpoint: "127.0.0.1:8080"}]', 'invalid port name: Http_Web: spec.ingress[0].port.name'],
  ['an egress port protocol HTTP3', '  egress: [{port: {number: 8080, protocol: HTTP3, name: web}, hosts: ["./*"]}]', 'unsupported protocol: HTTP3: spec.egress[0].port.protocol'],
  ['an egress port protocol grpc-web (any case)', '  egress: [{port: {number: 8080, protocol: grpc-web, name: web}, hosts: ["./*"]}]', null],
  ['an ingress port 70000', '  ingress: [{port: {number: 70000, protocol: HTTP, name: http}, defaultEndpoint: "127.0.0.1:8080"}]', 'port number 70000 must be in the range 1..65535: spec.ingress[0].port.number'],
  ['an ingress bind "localhost"', '  ingress: [{port: {number: 9080, protocol: HTTP, name: http}, bind: localhost, defaultEndpoint: "127.0.0.1:8080"}]', 'localhost is not a valid IP: spec.ingress[0].bind'],
  ['an egress bind 0.0.0.0', '  egress: [{port: {number: 8080, protocol: HTTP, name: web}, bind: 0.0.0.0, hosts: ["./*"]}]', null],
  ['an egress bind "unix:///a.sock" on port 8080', '  egress: [{port: {number: 8080, protocol: HTTP, name: web}, bind: "unix:///a.sock", hosts: ["./*"]}]', 'unix:///a.sock is not a valid IP: spec.egress[0].bind'],
  ['an egress unix bind with a relative path', '  egress: [{port: {number: 0, protocol: HTTP, name: uds}, bind: "unix://run/app.sock", hosts: ["./*"]}]', 'run/app.sock is not an absolute path to a file'],
  ['an egress unix bind to an abstract socket', '  egress: [{port: {number: 0, protocol: HTTP, name: uds}, bind: "unix://@app", hosts: ["./*"]}]', null],
  ['an egress unix listener with captureMode IPTABLES', '  egress: [{port: {number: 0, protocol: HTTP, name: uds}, bind: "unix:///run/a.sock", captureMode: IPTABLES, hosts: ["./*"]}]', 'sidecar: captureMode must be DEFAULT/NONE for unix domain socket listeners'],
  ['two egress listeners on one unix socket', '  egress:\n  - {port: {number: 0, protocol: HTTP, name: a}, bind: "unix:///run/a.sock", hosts: ["./*"]}\n  - {port: {number: 0, protocol: HTTP, name: b}, bind: "unix:///run/a.sock", hosts: ["ops/*"]}', 'sidecar: unix domain socket values for listeners must be unique: spec.egress[1]'],
  ['two egress listeners on two unix sockets', '  egress:\n  - {port: {number: 0, protocol: HTTP, name: a}, bind: "unix:///run/a.sock", hosts: ["./*"]}\n  - {port: {number: 0, protocol: HTTP, name: b}, bind: "unix:///run/b.sock", hosts: ["ops/*"]}', null],
  ['an egress port with targetPort', '  egress: [{port: {number: 8080, protocol: HTTP, name: web, targetPort: 9080}, hosts: ["./*"]}]', 'targetPort has no impact on Sidecars: spec.egress[0].port.targetPort is 9080'],
  ['an inboundConnectionPool: {}', '  inboundConnectionPool: {}', 'connection pool must have at least one field: spec.inboundConnectionPool sets neither http nor tcp'],
  ['an inboundConnectionPool with tcp limits', '  inboundConnectionPool: {tcp: {maxConnections: 100}}', null],
  ['an ingress connectionPool with a negative maxRetries', '  ingress: [{port: {number: 9080, protocol: HTTP, name: http}, connectionPool: {http: {maxRetries: -1}}}]', 'spec.ingress[0].connectionPool.http.maxRetries must be non-negative'],
  ['an egressProxy with mode REGISTRY_ONLY', '  outboundTrafficPolicy: {mode: REGISTRY_ONLY, egressProxy: {host: egress.istio-system.svc.cluster.local, port: {number: 80}}}', 'sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode'],
  ['an egressProxy without mode', '  outboundTrafficPolicy: {egressProxy: {host: egress.istio-system.svc.cluster.local, port: {number: 80}}}', 'sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode: mode is REGISTRY_ONLY'],
  ['an egressProxy without port', '  outboundTrafficPolicy: {mode: ALLOW_ANY, egressProxy: {host: egress.istio-system.svc.cluster.local}}', 'sidecar: egress_proxy port must be non-nil'],
  ['an egressProxy with a wildcard host', '  outboundTrafficPolicy: {mode: ALLOW_ANY, egressProxy: {host: "*.istio-system.svc.cluster.local", port: {number: 80}}}', 'spec.outboundTrafficPolicy.egressProxy.host must be the fully qualified name'],
  ['ingress tls SIMPLE without certificate files', '  ingress: [{port: {number: 9443, protocol: HTTPS, name: https}, defaultEndpoint: "127.0.0.1:8443", tls: {mode: SIMPLE, privateKey: /etc/certs/key.pem}}]', 'SIMPLE TLS requires a server certificate: spec.ingress[0].tls is SIMPLE without serverCertificate'],
  ['ingress tls MUTUAL without a client CA bundle', '  ingress: [{port: {number: 9443, protocol: HTTPS, name: https}, defaultEndpoint: "127.0.0.1:8443", tls: {mode: MUTUAL, privateKey: /k.pem, serverCertificate: /c.pem}}]', 'MUTUAL TLS requires a client CA bundle'],
  ['ingress tls SIMPLE with a CRL', '  ingress: [{port: {number: 9443, protocol: HTTPS, name: https}, defaultEndpoint: "127.0.0.1:8443", tls: {mode: SIMPLE, privateKey: /k.pem, serverCertificate: /c.pem, caCrl: /crl.pem}}]', 'CRL is not supported with SIMPLE TLS: spec.ingress[0].tls.caCrl'],
  ['ingress tls SIMPLE with credentialName only (refused for credentialName, not for files)', '  ingress: [{port: {number: 9443, protocol: HTTPS, name: https}, defaultEndpoint: "127.0.0.1:8443", tls: {mode: SIMPLE, credentialName: web-cert}}]', 'sidecar: credentialName is not currently supported'],
  ['ingress tls MUTUAL with certificate, key and CA files', '  ingress: [{port: {number: 9443, protocol: HTTPS, name: https}, defaultEndpoint: "127.0.0.1:8443", tls: {mode: MUTUAL, privateKey: /k.pem, serverCertificate: /c.pem, caCertificates: /ca.pem}}]', null],
  ['an egressProxy with ALLOW_ANY, an FQDN and a port', '  outboundTrafficPolicy: {mode: ALLOW_ANY, egressProxy: {host: egress.istio-system.svc.cluster.local, subset: v1, port: {number: 80}}}', null],
];
for (const [what, spec, says] of CASES) {
  test(`GIVEN ${what} WHEN checked THEN ${says ? `one error saying "${says}"` : 'nothing'}`, async () => {
    const found = await findings(spec);
    if (says === null) { assert.equal(found.map((f) => f.message), []); return; }
    assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
    assert.ok(found[0]!.message.includes(says), found[0]!.message);
  });
}

test('GIVEN a refused egress proxy port WHEN checked THEN the finding points at that YAML line', async () => {
  const found = await findings('  outboundTrafficPolicy:\n    mode: ALLOW_ANY\n    egressProxy:\n      host: egress.istio-system.svc.cluster.local\n      port:\n        number: 0');
  assert.equal(found.map((f) => [f.location.line, f.message.slice(0, 45)]), [[10, 'port number 0 must be in the range 1..65535: ']]);
});

test.run();
