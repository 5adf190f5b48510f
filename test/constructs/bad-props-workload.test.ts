import { test } from 'uvu';
import { AllowPolicy } from '../../src/constructs/authorization-policy.js';
import { ExternalService } from '../../src/constructs/external-service.js';
import { MeshService, type MeshServiceProps } from '../../src/constructs/mesh-service.js';
import { SidecarScope } from '../../src/constructs/sidecar-scope.js';
import type { TrafficPolicyOptions } from '../../src/constructs/traffic-policy.js';
import { synth, throwsProp } from '../_synth.js';

const good: MeshServiceProps = {
  name: 'reviews',
  ports: [{ port: 9080, protocol: 'http' }],
  versions: [{ name: 'v1', image: 'reviews:1' }],
};
const mesh = (props: Partial<MeshServiceProps>) => () => synth((c) => new MeshService(c, 'reviews', { ...good, ...props }));
const policy = (trafficPolicy: TrafficPolicyOptions) => mesh({ trafficPolicy });

test('GIVEN version name "V1_beta" WHEN constructing a MeshService THEN MP_INVALID_NAME names versions[0].name', () => {
  throwsProp(mesh({ versions: [{ name: 'V1_beta', image: 'reviews:1' }] }),
    { code: 'MP_INVALID_NAME', field: 'versions[0].name', path: 'test/reviews', value: 'V1_beta' });
});

test('GIVEN service name "Reviews.Svc" WHEN constructing a MeshService THEN MP_INVALID_NAME names name', () => {
  throwsProp(mesh({ name: 'Reviews.Svc' }), { code: 'MP_INVALID_NAME', field: 'name', path: 'test/reviews', value: 'Reviews.Svc' });
});

test('GIVEN no versions WHEN constructing a MeshService THEN MP_MISSING_VERSION names versions', () => {
  throwsProp(mesh({ versions: [] }), { code: 'MP_MISSING_VERSION', field: 'versions', path: 'test/reviews', value: [] });
});

test('GIVEN port 0 WHEN constructing a MeshService THEN MP_INVALID_PORT names ports[0].port', () => {
  throwsProp(mesh({ ports: [{ port: 0, protocol: 'http' }] }), { code: 'MP_INVALID_PORT', field: 'ports[0].port', path: 'test/reviews', value: 0 });
});

test('GIVEN port 70000 WHEN constructing a MeshService THEN MP_INVALID_PORT names ports[1].port', () => {
  throwsProp(mesh({ ports: [{ port: 80, protocol: 'http' }, { port: 70000, protocol: 'grpc' }] }),
    { code: 'MP_INVALID_PORT', field: 'ports[1].port', path: 'test/reviews', value: 70000 });
});

test('GIVEN outlier interval "10 seconds" WHEN constructing a MeshService THEN MP_INVALID_DURATION names the interval', () => {
  throwsProp(policy({ outlierDetection: { interval: '10 seconds' } }),
    { code: 'MP_INVALID_DURATION', field: 'trafficPolicy.outlierDetection.interval', path: 'test/reviews', value: '10 seconds' });
});

test('GIVEN connectTimeout "0.5ms" WHEN constructing a MeshService THEN MP_INVALID_DURATION says under 1 ms', () => {
  const err = throwsProp(policy({ connectionPool: { tcp: { connectTimeout: '0.5ms' } } }),
    { code: 'MP_INVALID_DURATION', field: 'trafficPolicy.connectionPool.tcp.connectTimeout', path: 'test/reviews', value: '0.5ms' });
  if (!err.message.includes('1ms')) throw new Error(`message should explain the 1 ms floor: ${err.message}`);
});

test('GIVEN maxEjectionPercent 150 WHEN constructing a MeshService THEN MP_INVALID_PERCENT names it', () => {
  throwsProp(policy({ outlierDetection: { maxEjectionPercent: 150 } }),
    { code: 'MP_INVALID_PERCENT', field: 'trafficPolicy.outlierDetection.maxEjectionPercent', path: 'test/reviews', value: 150 });
});

test('GIVEN maxConnections -1 WHEN constructing a MeshService THEN MP_INVALID_PROP names it', () => {
  throwsProp(policy({ connectionPool: { tcp: { maxConnections: -1 } } }),
    { code: 'MP_INVALID_PROP', field: 'trafficPolicy.connectionPool.tcp.maxConnections', path: 'test/reviews', value: -1 });
});

test('GIVEN a bad subset-level policy WHEN constructing a MeshService THEN the field names the version', () => {
  throwsProp(mesh({ versions: [{ name: 'v1', image: 'r:1' }, { name: 'v2', image: 'r:2', trafficPolicy: { connectionPool: { http: { maxRetries: -2 } } } }] }),
    { code: 'MP_INVALID_PROP', field: 'versions[1].trafficPolicy.connectionPool.http.maxRetries', path: 'test/reviews', value: -2 });
});

test('GIVEN external host "bad host!" WHEN constructing an ExternalService THEN MP_INVALID_HOST names hosts[0]', () => {
  throwsProp(() => synth((c) => new ExternalService(c, 'ext', { name: 'ext', hosts: ['bad host!'] })),
    { code: 'MP_INVALID_HOST', field: 'hosts[0]', path: 'test/ext', value: 'bad host!' });
});

test('GIVEN a sidecar egress host without namespace WHEN constructing a SidecarScope THEN MP_INVALID_HOST names it', () => {
  throwsProp(() => synth((c) => new SidecarScope(c, 'sidecar', { egressHosts: ['./*', 'reviews.default.svc.cluster.local'] })),
    { code: 'MP_INVALID_HOST', field: 'egressHosts[1]', path: 'test/sidecar', value: 'reviews.default.svc.cluster.local' });
});

test('GIVEN an ALLOW rule {} without allowAll WHEN constructing an AllowPolicy THEN it is refused as allowing everything', () => {
  throwsProp(() => synth((c) => new AllowPolicy(c, 'allow', { name: 'oops', rules: [{ to: [{ methods: ['GET'] }] }, {}] })),
    { code: 'MP_ALLOWS_EVERYTHING', field: 'rules[1]', path: 'test/allow', value: {} });
});

test.run();
