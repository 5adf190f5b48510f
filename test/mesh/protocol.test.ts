import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { afterTlsTermination, declaredPortProtocol, isHttp, parseProtocol, routeKindsFor, servicePortProtocol } from '../../src/mesh/protocol.js';
import { graphOf } from './_graph.js';

test('GIVEN Service ports WHEN their protocol is decided THEN Istio\'s kube.ConvertProtocol order applies', () => {
  type Port = Parameters<typeof servicePortProtocol>[0];
  const table: [Port, string, string][] = [
    [{ port: 80, name: 'http' }, 'HTTP', 'port-name'],
    [{ port: 80, name: 'http-web' }, 'HTTP', 'port-name'],
    [{ port: 80, name: 'HTTP2-api' }, 'HTTP2', 'port-name'],
    [{ port: 80, name: 'grpc' }, 'GRPC', 'port-name'],
    [{ port: 80, name: 'grpc-web' }, 'GRPC-Web', 'port-name'],
    [{ port: 80, name: 'grpc-webui' }, 'GRPC-Web', 'port-name'],
    [{ port: 80, name: 'grpc-api' }, 'GRPC', 'port-name'],
    [{ port: 443, name: 'https-x' }, 'HTTPS', 'port-name'],
    [{ port: 443, name: 'tls' }, 'TLS', 'port-name'],
    [{ port: 6379, name: 'redis' }, 'Redis', 'port-name'],
    [{ port: 27018, name: 'mongo-db' }, 'Mongo', 'port-name'],
    [{ port: 3307, name: 'mysql' }, 'MySQL', 'port-name'],
    [{ port: 9000, name: 'tcp-raw' }, 'TCP', 'port-name'],
    [{ port: 8080, name: 'web' }, 'UnsupportedProtocol', 'none'],
    [{ port: 8080, name: 'httpweb' }, 'UnsupportedProtocol', 'none'],
    [{ port: 8080 }, 'UnsupportedProtocol', 'none'],
    [{ port: 3306, name: 'db' }, 'TCP', 'well-known-port'],
    [{ port: 53, name: 'dns' }, 'TCP', 'well-known-port'],
    [{ port: 53, name: 'dns', protocol: 'UDP' }, 'UDP', 'udp'],
    [{ port: 80, name: 'tcp', appProtocol: 'http' }, 'HTTP', 'appProtocol'],
    [{ port: 80, name: 'http', appProtocol: 'kubernetes.io/h2c' }, 'HTTP2', 'appProtocol'],
    [{ port: 80, appProtocol: 'kubernetes.io/ws' }, 'HTTP', 'appProtocol'],
    [{ port: 443, appProtocol: 'kubernetes.io/wss' }, 'HTTPS', 'appProtocol'],
    [{ port: 80, name: 'http', appProtocol: 'custom.io/thing' }, 'UnsupportedProtocol', 'none'],
  ];
  for (const [port, protocol, source] of table) {
    const r = servicePortProtocol(port);
    assert.equal([r.protocol, r.source, r.sniffed], [protocol, source, protocol === 'UnsupportedProtocol'], JSON.stringify(port));
  }
});

test('GIVEN ServiceEntry protocols WHEN parsed THEN case-insensitive names, empty means sniffed', () => {
  assert.is(declaredPortProtocol('http').protocol, 'HTTP');
  assert.is(declaredPortProtocol('MONGO').protocol, 'Mongo');
  assert.is(declaredPortProtocol(undefined).sniffed, true);
  assert.is(declaredPortProtocol('SCTP').protocol, 'UnsupportedProtocol');
  assert.is(parseProtocol('http_proxy'), 'HTTP_PROXY');
});

test('GIVEN protocols WHEN route kinds are asked THEN http routes only reach HTTP ports and tls routes TLS ports', () => {
  assert.equal(routeKindsFor('HTTP'), ['http']);
  assert.equal(routeKindsFor('GRPC'), ['http']);
  assert.equal(routeKindsFor('TCP'), ['tcp']);
  assert.equal(routeKindsFor('TLS'), ['tls', 'tcp']);
  assert.equal(routeKindsFor('UnsupportedProtocol'), ['http', 'tcp']);
  assert.ok(!isHttp('HTTPS'));
  assert.is(afterTlsTermination('HTTPS'), 'HTTP');
  assert.is(afterTlsTermination('TLS'), 'TCP');
});

test('GIVEN a Service and a ServiceEntry WHEN read into the registry THEN ports carry the decided protocol', () => {
  const g = graphOf([
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a', namespace: 'ns' }, spec: { ports: [{ port: 80, name: 'web' }, { port: 81, name: 'x', appProtocol: 'grpc' }, { port: 3306, name: 'db' }] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'e', namespace: 'ns' }, spec: { hosts: ['api.example.com'], ports: [{ number: 443, name: 'https', protocol: 'TLS' }, { number: 8080, name: 'http' }] } },
  ]);
  const svc = g.servicesForHost('a', 'ns')[0]!;
  assert.equal(svc.ports.map((p) => [p.number, p.protocol, p.protocolInfo?.source]), [[80, 'UnsupportedProtocol', 'none'], [81, 'GRPC', 'appProtocol'], [3306, 'TCP', 'well-known-port']]);
  const se = g.servicesForHost('api.example.com', 'ns')[0]!;
  assert.equal(se.ports.map((p) => [p.number, p.protocol]), [[443, 'TLS'], [8080, 'UnsupportedProtocol']], 'a ServiceEntry port name does not decide its protocol');
});

test.run();
