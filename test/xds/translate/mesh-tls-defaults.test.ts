/**
 * MeshConfig `tlsDefaults` and `meshMTLS` in the TLS contexts istiod writes:
 * - `tlsDefaults` under a Gateway server's own SIMPLE / MUTUAL settings (`applyDownstreamTLSDefaults`,
 *   then `applyServerTLSSettings`: the server's fields win), never on ISTIO_MUTUAL servers;
 * - `tlsDefaults`' cipher suites and curves on TLS a DestinationRule originates (SIMPLE, MUTUAL:
 *   `applyTLSDefaults`), not on ISTIO_MUTUAL;
 * - `meshMTLS` on the sidecar's inbound mTLS context (`BuildInboundTLS`: its minimum version and suites).
 */
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_MESH_CONTEXT, meshConfigFrom } from '../../../src/mesh/mesh-config.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import type { TlsParameters } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import { TlsParameters_TlsProtocol as V } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/common_pb.js';
import { DownstreamTlsContextSchema, UpstreamTlsContextSchema } from '../../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { deploy, dr, gw, ns, svc } from '../../mesh/view-fixtures.js';

const ingress = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ingress', namespace: 'istio-system' }, spec: { template: { metadata: { labels: { istio: 'ingressgateway' } }, spec: { containers: [{ name: 'istio-proxy' }] } } } };

function meshOf(meshConfig: Record<string, unknown> | undefined) {
  const objects = [ns('prod'), ingress, deploy('web', 'prod', { app: 'web' }), svc('web', 'prod', [{ port: 8080, name: 'http' }]), svc('api', 'prod', [{ port: 443, name: 'https' }]), svc('db', 'prod', [{ port: 5432, name: 'tcp' }]),
    dr('api', 'prod', { host: 'api', trafficPolicy: { tls: { mode: 'SIMPLE' } } }),
    dr('db', 'prod', { host: 'db', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }),
    gw('edge', 'istio-system', [
      { port: { number: 443, name: 'https-a', protocol: 'HTTPS' }, hosts: ['a.example.com'], tls: { mode: 'SIMPLE', credentialName: 'a' } },
      { port: { number: 443, name: 'https-b', protocol: 'HTTPS' }, hosts: ['b.example.com'], tls: { mode: 'MUTUAL', credentialName: 'b', minProtocolVersion: 'TLSV1_2', cipherSuites: ['ECDHE-RSA-AES128-GCM-SHA256'] } },
      { port: { number: 443, name: 'https-c', protocol: 'HTTPS' }, hosts: ['c.example.com'], tls: { mode: 'ISTIO_MUTUAL' } },
    ])];
  const graph = graphOf(objects as never, meshConfig ? { context: { ...DEFAULT_MESH_CONTEXT, meshConfig: meshConfigFrom(meshConfig) } } : undefined);
  const set = (name: string) => translateProxy(buildProxyView(graph, proxiesOf(graph).find((p) => p.name === name)!), []);
  return { gateway: set('ingress'), sidecar: set('web') };
}

const params = (p: TlsParameters | undefined) => (p ? [p.tlsMinimumProtocolVersion, p.tlsMaximumProtocolVersion, [...p.cipherSuites], [...p.ecdhCurves]] : null);

function gatewayParams(m: ReturnType<typeof meshOf>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const l of m.gateway.listeners) {
    for (const c of l.filterChains) {
      const ts = c.transportSocket?.configType;
      if (ts?.case !== 'typedConfig') continue;
      out[c.filterChainMatch?.serverNames[0] ?? c.name] = params(anyUnpack(ts.value, DownstreamTlsContextSchema)!.commonTlsContext?.tlsParams);
    }
  }
  return out;
}

function clusterParams(m: ReturnType<typeof meshOf>, name: string) {
  const ts = m.sidecar.clusters.find((c) => c.name === name)!.transportSocket!.configType;
  assert.is(ts.case, 'typedConfig');
  return params(anyUnpack(ts.value as never, UpstreamTlsContextSchema)!.commonTlsContext?.tlsParams);
}

function inboundMtlsParams(m: ReturnType<typeof meshOf>) {
  const inbound = m.sidecar.listeners.find((l) => l.name === 'virtualInbound')!;
  const chain = inbound.filterChains.find((c) => c.name.startsWith('inbound_0.0.0.0_8080') && c.transportSocket)!;
  const ts = chain.transportSocket!.configType;
  return params(anyUnpack(ts.value as never, DownstreamTlsContextSchema)!.commonTlsContext?.tlsParams);
}

const ISTIO_SUITES = ['ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'AES128-GCM-SHA256'];

test('GIVEN no tlsDefaults WHEN translated THEN a Gateway server without its own params has none, the MUTUAL one keeps its own, upstream SIMPLE says TLS 1.2-1.3 only', () => {
  const m = meshOf(undefined);
  assert.equal(gatewayParams(m), { 'a.example.com': null, 'b.example.com': [V.TLSv1_2, V.TLS_AUTO, ['ECDHE-RSA-AES128-GCM-SHA256'], []], 'c.example.com': null });
  assert.equal(clusterParams(m, 'outbound|443||api.prod.svc.cluster.local'), [V.TLSv1_2, V.TLSv1_3, [], []]);
  assert.equal(inboundMtlsParams(m), [V.TLSv1_2, V.TLSv1_3, ISTIO_SUITES, []]);
});

test('GIVEN tlsDefaults (TLS 1.3, a suite, a curve) WHEN translated THEN SIMPLE takes them all, MUTUAL keeps its own version and suite and takes the curve, ISTIO_MUTUAL none; DestinationRule SIMPLE gets suite and curve, ISTIO_MUTUAL nothing', () => {
  const m = meshOf({ tlsDefaults: { minProtocolVersion: 'TLSV1_3', cipherSuites: ['ECDHE-ECDSA-AES128-GCM-SHA256'], ecdhCurves: ['X25519'] } });
  assert.equal(gatewayParams(m), {
    'a.example.com': [V.TLSv1_3, V.TLS_AUTO, ['ECDHE-ECDSA-AES128-GCM-SHA256'], ['X25519']],
    'b.example.com': [V.TLSv1_2, V.TLS_AUTO, ['ECDHE-RSA-AES128-GCM-SHA256'], ['X25519']],
    'c.example.com': null,
  });
  assert.equal(clusterParams(m, 'outbound|443||api.prod.svc.cluster.local'), [V.TLSv1_2, V.TLSv1_3, ['ECDHE-ECDSA-AES128-GCM-SHA256'], ['X25519']]);
  assert.equal(clusterParams(m, 'outbound|5432||db.prod.svc.cluster.local'), [V.TLSv1_2, V.TLSv1_3, [], []]);
  assert.equal(inboundMtlsParams(m), [V.TLSv1_2, V.TLSv1_3, ISTIO_SUITES, []], 'tlsDefaults is not meshMTLS');
});

test('GIVEN meshMTLS minProtocolVersion TLSV1_3 and its own suites WHEN a sidecar is translated THEN its inbound mTLS context says TLS 1.3 with those suites; TLS_AUTO keeps 1.2', () => {
  assert.equal(inboundMtlsParams(meshOf({ meshMTLS: { minProtocolVersion: 'TLSV1_3', cipherSuites: ['ECDHE-ECDSA-AES256-GCM-SHA384'] } })), [V.TLSv1_3, V.TLSv1_3, ['ECDHE-ECDSA-AES256-GCM-SHA384'], []]);
  assert.equal(inboundMtlsParams(meshOf({ meshMTLS: { minProtocolVersion: 'TLS_AUTO' } })), [V.TLSv1_2, V.TLSv1_3, ISTIO_SUITES, []]);
});

test.run();
