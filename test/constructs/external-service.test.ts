import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExternalService } from '../../src/constructs/external-service.js';
import { checkObjects } from '../../src/checks/api.js';
import { only, synth, throwsProp } from '../_synth.js';

const resilient = {
  connectionPool: { tcp: { maxConnections: 100, connectTimeout: '5s' }, http: { http1MaxPendingRequests: 100 } },
  outlierDetection: { consecutive5xxErrors: 0, consecutiveGatewayErrors: 5, interval: '10s', baseEjectionTime: '30s' },
};

test('GIVEN only a host WHEN synthesized THEN a MESH_EXTERNAL DNS ServiceEntry on 443 exported to its namespace', () => {
  const objects = synth((c) => new ExternalService(c, 'payments', { name: 'payments', hosts: ['api.stripe.com'] }));
  assert.equal(only(objects, 'ServiceEntry'), {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: 'payments', namespace: 'default' },
    spec: {
      hosts: ['api.stripe.com'],
      location: 'MESH_EXTERNAL',
      resolution: 'DNS',
      ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }],
      exportTo: ['.'],
    },
  });
});

test('GIVEN only a host WHEN synthesized THEN its DestinationRule carries connection limits and outlier detection', () => {
  const dr = only(synth((c) => new ExternalService(c, 'payments', { name: 'payments', hosts: ['api.stripe.com'] })), 'DestinationRule');
  assert.equal(dr, {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'payments', namespace: 'default' },
    spec: { host: 'api.stripe.com', exportTo: ['.'], trafficPolicy: resilient },
  });
});

test('GIVEN TLS origination with a CA WHEN synthesized THEN port 80 targets 443 and the DestinationRule originates SIMPLE TLS on port 80, keeping the connection limits and outlier detection there (istiod does not inherit them into a port entry)', () => {
  const objects = synth((c) => new ExternalService(c, 'cnn', {
    name: 'cnn', hosts: ['edition.cnn.com'], tlsOrigination: { caCertificates: '/etc/ssl/certs/ca-certificates.crt' },
  }));
  assert.equal(only(objects, 'ServiceEntry').spec.ports, [
    { number: 80, name: 'http', protocol: 'HTTP', targetPort: 443 },
    { number: 443, name: 'https', protocol: 'HTTPS' },
  ]);
  assert.equal(only(objects, 'DestinationRule').spec, {
    host: 'edition.cnn.com',
    exportTo: ['.'],
    trafficPolicy: {
      ...resilient,
      portLevelSettings: [{
        port: { number: 80 },
        ...resilient,
        tls: { mode: 'SIMPLE', sni: 'edition.cnn.com', caCertificates: '/etc/ssl/certs/ca-certificates.crt' },
      }],
    },
  });
});

test('GIVEN TLS origination verified by a credential on custom ports WHEN synthesized THEN the given port is reused', () => {
  const objects = synth((c) => new ExternalService(c, 'api', {
    name: 'api', hosts: ['api.example.com'],
    ports: [{ number: 8080, protocol: 'http', name: 'plain' }],
    tlsOrigination: { port: 8080, targetPort: 8443, credentialName: 'api-ca', subjectAltNames: ['api.example.com'] },
  }));
  assert.equal(only(objects, 'ServiceEntry').spec.ports, [{ number: 8080, name: 'http-plain', protocol: 'HTTP', targetPort: 8443 }]);
  assert.equal(only(objects, 'DestinationRule').spec.trafficPolicy.portLevelSettings, [{
    port: { number: 8080 },
    ...resilient,
    tls: { mode: 'SIMPLE', sni: 'api.example.com', credentialName: 'api-ca', subjectAltNames: ['api.example.com'] },
  }]);
});

test('GIVEN several hosts WHEN synthesized THEN one DestinationRule per host with its own SNI, named <name> then <name>-<index>', () => {
  let ext: ExternalService | undefined;
  const objects = synth((c) => {
    ext = new ExternalService(c, 'google', { name: 'google', hosts: ['www.google.com', 'maps.google.com'], tlsOrigination: { systemCaCertificates: true } });
  });
  const first = only(objects, 'DestinationRule', 'google');
  const second = only(objects, 'DestinationRule', 'google-1');
  assert.is(first.spec.host, 'www.google.com');
  assert.is(second.spec.host, 'maps.google.com');
  assert.equal(second.spec.trafficPolicy.portLevelSettings, [{ port: { number: 80 }, ...resilient, tls: { mode: 'SIMPLE', sni: 'maps.google.com' } }]);
  assert.is(ext!.host, 'www.google.com');
  assert.equal(ext!.subsetNames, []);
  assert.equal(ext!.portNumbers, [80, 443]);
});

test('GIVEN a traffic policy WHEN synthesized THEN each part given replaces that default part only', () => {
  const dr = only(synth((c) => new ExternalService(c, 'api', {
    name: 'api', hosts: ['api.example.com'],
    trafficPolicy: { connectionPool: { tcp: { maxConnections: 10 } }, loadBalancer: { simple: 'ROUND_ROBIN' } },
  })), 'DestinationRule');
  assert.equal(dr.spec.trafficPolicy, {
    connectionPool: { tcp: { maxConnections: 10 } },
    outlierDetection: resilient.outlierDetection,
    loadBalancer: { simple: 'ROUND_ROBIN' },
  });
});

test('GIVEN a wildcard host with resolution NONE, MESH_INTERNAL and exportTo * WHEN synthesized THEN the ServiceEntry says so', () => {
  const se = only(synth((c) => new ExternalService(c, 'wild', {
    name: 'wild', hosts: ['*.example.com'], resolution: 'NONE', location: 'MESH_INTERNAL', exportTo: ['*'],
    ports: [{ number: 443, protocol: 'tls' }],
  })), 'ServiceEntry');
  assert.equal(se.spec, {
    hosts: ['*.example.com'], location: 'MESH_INTERNAL', resolution: 'NONE', exportTo: ['*'],
    ports: [{ number: 443, name: 'tls', protocol: 'TLS' }],
  });
});

test('GIVEN serviceEntryOverrides WHEN synthesized THEN the escape hatch wins', () => {
  const se = only(synth((c) => new ExternalService(c, 'db', {
    name: 'db', hosts: ['db.example.com'], resolution: 'NONE',
    serviceEntryOverrides: { addresses: ['10.0.0.0/24'] },
  })), 'ServiceEntry');
  assert.equal(se.spec.addresses, ['10.0.0.0/24']);
});

test('GIVEN TLS origination with no way to verify the server WHEN constructed THEN it is refused', () => {
  throwsProp(() => synth((c) => new ExternalService(c, 'api', { name: 'api', hosts: ['api.example.com'], tlsOrigination: {} })),
    { code: 'MP_INVALID_PROP', field: 'tlsOrigination.caCertificates', path: 'test/api' });
});

test('GIVEN a wildcard host resolved by DNS WHEN constructed THEN it is refused', () => {
  throwsProp(() => synth((c) => new ExternalService(c, 'api', { name: 'api', hosts: ['*.example.com'] })),
    { code: 'MP_INVALID_HOST', field: 'hosts[0]', path: 'test/api', value: '*.example.com' });
});

test('GIVEN a TLS origination port declared as https WHEN constructed THEN it is refused', () => {
  throwsProp(() => synth((c) => new ExternalService(c, 'api', {
    name: 'api', hosts: ['api.example.com'], ports: [{ number: 80, protocol: 'https' }], tlsOrigination: { systemCaCertificates: true },
  })), { code: 'MP_INVALID_PROP', field: 'ports[0].protocol', value: 'https' });
});

test('GIVEN the default outlier detection WHEN checked THEN the gateway-error count is the one that ejects (consecutive5xxErrors 0), so resilience/outlier-gateway-errors-ineffective has nothing to say', async () => {
  const objects = synth((c) => new ExternalService(c, 'payments', { name: 'payments', hosts: ['api.stripe.com'], tlsOrigination: { systemCaCertificates: true } }));
  const run = await checkObjects(objects, { config: false });
  assert.equal(run.result.findings.filter((f) => f.ruleId.startsWith('resilience/outlier')).map((f) => `${f.ruleId}: ${f.message}`), []);
  const withoutZero = objects.map((o) => (o.kind === 'DestinationRule' ? { ...o, spec: { ...o.spec, trafficPolicy: { ...o.spec.trafficPolicy, outlierDetection: { ...o.spec.trafficPolicy.outlierDetection, consecutive5xxErrors: undefined } } } } : o));
  assert.ok((await checkObjects(JSON.parse(JSON.stringify(withoutZero)), { config: false })).result.findings.some((f) => f.ruleId === 'resilience/outlier-gateway-errors-ineffective'), 'the rule fires on the old default, so this test can fail');
});

test.run();
