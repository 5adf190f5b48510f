import { Chart, Testing } from 'cdk8s';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Duration } from '../../src/constructs/duration.js';
import { translateTrafficPolicy } from '../../src/constructs/traffic-policy.js';
import { throwsProp } from '../_synth.js';

const scope = () => new Chart(Testing.app(), 'test');

test('GIVEN connection pool limits WHEN translated THEN tcp and http settings mirror Istio field for field', () => {
  const out = translateTrafficPolicy(scope(), 'trafficPolicy', {
    connectionPool: {
      tcp: { maxConnections: 100, connectTimeout: Duration.millis(250), idleTimeout: '1h' },
      http: { http1MaxPendingRequests: 10, http2MaxRequests: 1000, maxRequestsPerConnection: 1, maxRetries: 3, idleTimeout: '90s' },
    },
  });
  assert.equal(out, {
    connectionPool: {
      tcp: { maxConnections: 100, connectTimeout: '250ms', idleTimeout: '1h' },
      http: { http1MaxPendingRequests: 10, http2MaxRequests: 1000, maxRequestsPerConnection: 1, maxRetries: 3, idleTimeout: '90s' },
    },
  });
});

test('GIVEN outlier detection WHEN translated THEN durations are canonical and consecutive5xxErrors is spelled for the L1 class', () => {
  const out = translateTrafficPolicy(scope(), 'trafficPolicy', {
    outlierDetection: {
      consecutive5xxErrors: 7, consecutiveGatewayErrors: 0, interval: '1m0s', baseEjectionTime: Duration.minutes(3),
      maxEjectionPercent: 100, minHealthPercent: 50,
    },
  });
  assert.equal(out, {
    outlierDetection: {
      consecutive5XxErrors: 7, consecutiveGatewayErrors: 0, interval: '1m', baseEjectionTime: '3m',
      maxEjectionPercent: 100, minHealthPercent: 50,
    },
  });
});

test('GIVEN each simple load balancer WHEN translated THEN simple carries the Istio enum value', () => {
  for (const simple of ['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'PASSTHROUGH'] as const) {
    assert.equal(translateTrafficPolicy(scope(), 'trafficPolicy', { loadBalancer: { simple } }), { loadBalancer: { simple } });
  }
});

test('GIVEN consistent hash on a header with a ring size WHEN translated THEN it uses ringHash.minimumRingSize', () => {
  const out = translateTrafficPolicy(scope(), 'trafficPolicy', {
    loadBalancer: { consistentHash: { httpHeaderName: 'x-user', minimumRingSize: 1024 } },
  });
  assert.equal(out, { loadBalancer: { consistentHash: { httpHeaderName: 'x-user', ringHash: { minimumRingSize: 1024 } } } });
});

test('GIVEN consistent hash on a cookie, source IP with Maglev, or a query parameter WHEN translated THEN exactly that key is set', () => {
  const tp = (consistentHash: object) => translateTrafficPolicy(scope(), 'trafficPolicy', { loadBalancer: { consistentHash } });
  assert.equal(tp({ httpCookie: { name: 'session', ttl: '0.5s', path: '/' } }),
    { loadBalancer: { consistentHash: { httpCookie: { name: 'session', ttl: '500ms', path: '/' } } } });
  assert.equal(tp({ useSourceIp: true, maglevTableSize: 65537 }),
    { loadBalancer: { consistentHash: { useSourceIp: true, maglev: { tableSize: 65537 } } } });
  assert.equal(tp({ httpQueryParameterName: 'user' }), { loadBalancer: { consistentHash: { httpQueryParameterName: 'user' } } });
});

test('GIVEN upstream TLS modes WHEN translated THEN tls mirrors ClientTLSSettings', () => {
  const tls = (t: object) => translateTrafficPolicy(scope(), 'trafficPolicy', { tls: t as never }).tls;
  assert.equal(tls({ mode: 'ISTIO_MUTUAL' }), { mode: 'ISTIO_MUTUAL' });
  assert.equal(tls({ mode: 'DISABLE' }), { mode: 'DISABLE' });
  assert.equal(tls({ mode: 'SIMPLE', caCertificates: '/etc/ca.pem', sni: 'api.example.com', subjectAltNames: ['api.example.com'] }),
    { mode: 'SIMPLE', caCertificates: '/etc/ca.pem', sni: 'api.example.com', subjectAltNames: ['api.example.com'] });
  assert.equal(tls({ mode: 'MUTUAL', credentialName: 'client-cert' }), { mode: 'MUTUAL', credentialName: 'client-cert' });
});

test('GIVEN port-level settings WHEN translated THEN each port gets its own block after the destination-level parts, with the destination-level parts it leaves out written in (istiod does not inherit them)', () => {
  const out = translateTrafficPolicy(scope(), 'trafficPolicy', {
    loadBalancer: { simple: 'LEAST_REQUEST' },
    portLevelSettings: [
      { port: 9080, loadBalancer: { simple: 'ROUND_ROBIN' }, outlierDetection: { consecutive5xxErrors: 3 } },
      { port: 443, tls: { mode: 'SIMPLE' }, connectionPool: { tcp: { maxConnections: 5 } } },
    ],
  });
  assert.equal(out, {
    loadBalancer: { simple: 'LEAST_REQUEST' },
    portLevelSettings: [
      { port: { number: 9080 }, loadBalancer: { simple: 'ROUND_ROBIN' }, outlierDetection: { consecutive5XxErrors: 3 } },
      { port: { number: 443 }, connectionPool: { tcp: { maxConnections: 5 } }, loadBalancer: { simple: 'LEAST_REQUEST' }, tls: { mode: 'SIMPLE' } },
    ],
  });
});

test('GIVEN a port entry with TLS only WHEN translated THEN it carries the destination-level connection pool and outlier detection, which istiod would otherwise drop on that port', () => {
  const out = translateTrafficPolicy(scope(), 'trafficPolicy', {
    connectionPool: { tcp: { maxConnections: 100 } },
    outlierDetection: { consecutiveGatewayErrors: 5 },
    portLevelSettings: [{ port: 80, tls: { mode: 'SIMPLE' } }],
  });
  assert.equal(out.portLevelSettings, [
    { port: { number: 80 }, connectionPool: { tcp: { maxConnections: 100 } }, outlierDetection: { consecutiveGatewayErrors: 5 }, tls: { mode: 'SIMPLE' } },
  ]);
});

test('GIVEN an empty policy WHEN translated THEN the result is empty', () => {
  assert.equal(translateTrafficPolicy(scope(), 'trafficPolicy', {}), {});
});

test('GIVEN both simple and consistentHash WHEN translated THEN a PropError names loadBalancer', () => {
  throwsProp(() => translateTrafficPolicy(scope(), 'trafficPolicy', {
    loadBalancer: { simple: 'RANDOM', consistentHash: { useSourceIp: true } } as never,
  }), { code: 'MP_INVALID_PROP', field: 'trafficPolicy.loadBalancer', path: 'test' });
});

test('GIVEN two hash keys WHEN translated THEN a PropError asks for exactly one', () => {
  throwsProp(() => translateTrafficPolicy(scope(), 'trafficPolicy', {
    loadBalancer: { consistentHash: { useSourceIp: true, httpHeaderName: 'x-user' } },
  }), { code: 'MP_INVALID_PROP', field: 'trafficPolicy.loadBalancer.consistentHash' });
});

test('GIVEN a Maglev table size that is not prime WHEN translated THEN a PropError names maglevTableSize', () => {
  throwsProp(() => translateTrafficPolicy(scope(), 'trafficPolicy', {
    loadBalancer: { consistentHash: { useSourceIp: true, maglevTableSize: 65536 } },
  }), { code: 'MP_INVALID_PROP', field: 'trafficPolicy.loadBalancer.consistentHash.maglevTableSize', value: 65536 });
});

test('GIVEN an upper-case hash header WHEN translated THEN the header-name check rejects it', () => {
  throwsProp(() => translateTrafficPolicy(scope(), 'trafficPolicy', {
    loadBalancer: { consistentHash: { httpHeaderName: 'X-User' } },
  }), { code: 'MP_INVALID_HEADER_NAME', field: 'trafficPolicy.loadBalancer.consistentHash.httpHeaderName', value: 'X-User' });
});

test('GIVEN MUTUAL TLS without a client certificate WHEN translated THEN a PropError names credentialName', () => {
  throwsProp(() => translateTrafficPolicy(scope(), 'trafficPolicy', { tls: { mode: 'MUTUAL' } }),
    { code: 'MP_INVALID_PROP', field: 'trafficPolicy.tls.credentialName' });
});

test('GIVEN ISTIO_MUTUAL with a CA path WHEN translated THEN it is refused as ignored by Istio', () => {
  throwsProp(() => translateTrafficPolicy(scope(), 'trafficPolicy', { tls: { mode: 'ISTIO_MUTUAL', caCertificates: '/ca.pem' } }),
    { code: 'MP_INVALID_PROP', field: 'trafficPolicy.tls.mode', value: 'ISTIO_MUTUAL' });
});

test('GIVEN a zero circuit-breaker limit WHEN translated THEN it is refused because Istio reads 0 as unlimited', () => {
  throwsProp(() => translateTrafficPolicy(scope(), 'trafficPolicy', { connectionPool: { http: { http2MaxRequests: 0 } } }),
    { code: 'MP_INVALID_PROP', field: 'trafficPolicy.connectionPool.http.http2MaxRequests', value: 0 });
});

test('GIVEN minHealthPercent 101 WHEN translated THEN MP_INVALID_PERCENT names the field', () => {
  throwsProp(() => translateTrafficPolicy(scope(), 'trafficPolicy', { outlierDetection: { minHealthPercent: 101 } }),
    { code: 'MP_INVALID_PERCENT', field: 'trafficPolicy.outlierDetection.minHealthPercent', value: 101 });
});

test('GIVEN the same port twice in portLevelSettings WHEN translated THEN the second entry is refused', () => {
  throwsProp(() => translateTrafficPolicy(scope(), 'trafficPolicy', {
    portLevelSettings: [{ port: 80, tls: { mode: 'SIMPLE' } }, { port: 80, tls: { mode: 'DISABLE' } }],
  }), { code: 'MP_INVALID_PORT', field: 'trafficPolicy.portLevelSettings[1].port', value: 80 });
});

test.run();
