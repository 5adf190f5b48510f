/**
 * Listener conflicts as istiod's gateway controller computes them (listener_conflict.go): in listener order, a
 * listener not distinct from an earlier winner is Conflicted and gets no server; HTTP-like listeners share a port
 * by hostname, TCP/UDP never share one.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listenerConflicts } from '../../src/mesh/gateway-api-listener-conflicts.js';
import { gatewayApiServers } from '../../src/mesh/gateway-api-gateway-routes.js';
import { graphOf } from './_graph.js';

const gatewayWith = (listeners: Record<string, unknown>[]) => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'public', namespace: 'edge' }, spec: { gatewayClassName: 'istio', listeners },
});
const conflictsOf = (listeners: Record<string, unknown>[]) => listenerConflicts(graphOf([gatewayWith(listeners)]).objects[0]!).map((c) => [c.listener, c.winner, c.reason]);
const tls = { mode: 'Terminate', certificateRefs: [{ name: 'c' }] };

test('GIVEN listeners on one port WHEN conflicts are computed THEN istiod\'s table holds', () => {
  assert.equal(conflictsOf([{ name: 'a', port: 80, protocol: 'HTTP' }, { name: 'b', port: 80, protocol: 'TCP' }]), [[1, 0, 'ProtocolConflict']], 'HTTP then TCP');
  assert.equal(conflictsOf([{ name: 'a', port: 5432, protocol: 'TCP' }, { name: 'b', port: 5432, protocol: 'TCP' }]), [[1, 0, 'ProtocolConflict']], 'TCP twice');
  assert.equal(conflictsOf([{ name: 'a', port: 80, protocol: 'HTTP' }, { name: 'b', port: 80, protocol: 'HTTP', hostname: '' }]), [[1, 0, 'HostnameConflict']], 'no hostname and an empty one are both *');
  assert.equal(conflictsOf([{ name: 'a', port: 443, protocol: 'HTTPS', hostname: 'x.example.com', tls }, { name: 'b', port: 443, protocol: 'TLS', hostname: 'x.example.com', tls }]), [[1, 0, 'ProtocolConflict']], 'HTTPS and TLS, same hostname');
  assert.equal(conflictsOf([{ name: 'a', port: 443, protocol: 'HTTPS', hostname: 'x.example.com', tls }, { name: 'b', port: 443, protocol: 'TLS', hostname: 'y.example.com', tls }]), [], 'HTTP-like listeners with other hostnames are distinct');
  assert.equal(conflictsOf([{ name: 'a', port: 80, protocol: 'HTTP' }, { name: 'b', port: 81, protocol: 'TCP' }]), [], 'other ports');
});

test('GIVEN a conflicted listener between two winners WHEN conflicts are computed THEN it frees its slot: a later listener is judged only against winners', () => {
  assert.equal(conflictsOf([
    { name: 'a', port: 80, protocol: 'HTTP', hostname: 'a.example.com' },
    { name: 'b', port: 80, protocol: 'TCP' },
    { name: 'c', port: 80, protocol: 'HTTP', hostname: 'a.example.com' },
  ]), [[1, 0, 'ProtocolConflict'], [2, 0, 'HostnameConflict']]);
});

test('GIVEN a Gateway with a conflicted listener WHEN its servers are built THEN the conflicted listener has none (istiod skips it), the winner keeps its own', () => {
  const g = graphOf([gatewayWith([{ name: 'http', port: 80, protocol: 'HTTP' }, { name: 'raw', port: 80, protocol: 'TCP' }, { name: 'db', port: 5432, protocol: 'TCP' }])]);
  assert.equal(gatewayApiServers(g, g.objects[0]!).map((s) => [s.sectionName, s.listener]), [['http', 0], ['db', 2]]);
});

test.run();
