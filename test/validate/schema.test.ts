import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateCrdObject, type SchemaViolation } from '../../src/validate/index.js';
import { destinationRule, gateway, serviceEntry, virtualService } from './_objects.js';

/** The only violation found; fails when there are none or several. */
function only(obj: unknown): SchemaViolation {
  const found = validateCrdObject(obj);
  assert.is(found.length, 1, JSON.stringify(found, null, 2));
  return found[0]!;
}

test('GIVEN a route weight written as a string WHEN validated THEN a schema violation names the field, the type and the value', () => {
  const vs = virtualService();
  (vs.spec.http[0]!.route[0] as Record<string, unknown>).weight = '90';
  const v = only(vs);
  assert.equal(v.path, ['spec', 'http', 0, 'route', 0, 'weight']);
  assert.is(v.kind, 'schema');
  assert.is(v.message, 'spec.http[0].route[0].weight: must be an integer (got string "90")');
});

test('GIVEN hosts given as a single string WHEN validated THEN the violation says an array is expected', () => {
  const vs = virtualService();
  (vs.spec as Record<string, unknown>).hosts = 'reviews';
  const v = only(vs);
  assert.equal(v.path, ['spec', 'hosts']);
  assert.match(v.message, 'must be an array');
});

test('GIVEN a misspelt field WHEN validated THEN it is an unknown field, with a suggestion and the allowed fields', () => {
  const vs = virtualService();
  (vs.spec.http[0] as Record<string, unknown>).timout = '1s';
  const v = only(vs);
  assert.equal(v.path, ['spec', 'http', 0, 'timout']);
  assert.match(v.message, 'spec.http[0].timout: unknown field "timout"; did you mean "timeout"?');
  assert.match(v.message, 'allowed: ');
});

test('GIVEN an unknown top-level field WHEN validated THEN it is reported like strict field validation does', () => {
  const v = only({ ...gateway(), extra: true });
  assert.equal(v.path, ['extra']);
  assert.match(v.message, 'unknown field "extra"');
});

test('GIVEN a route destination without host WHEN validated THEN the missing required field is named', () => {
  const vs = virtualService();
  delete (vs.spec.http[0]!.route[0]!.destination as Record<string, unknown>).host;
  const v = only(vs);
  assert.equal(v.path, ['spec', 'http', 0, 'route', 0, 'destination', 'host']);
  assert.is(v.message, 'spec.http[0].route[0].destination.host: required field is missing');
});

test('GIVEN a ServiceEntry without spec WHEN validated THEN spec is reported as required', () => {
  const { spec: _spec, ...noSpec } = serviceEntry();
  const v = only(noSpec);
  assert.equal(v.path, ['spec']);
  assert.is(v.message, 'spec: required field is missing');
});

test('GIVEN a load balancer that is not in the enum WHEN validated THEN the allowed values are listed', () => {
  const dr = destinationRule();
  dr.spec.trafficPolicy.loadBalancer.simple = 'FASTEST';
  const v = only(dr);
  assert.equal(v.path, ['spec', 'trafficPolicy', 'loadBalancer', 'simple']);
  assert.match(v.message, 'must be one of "UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST" (got "FASTEST")');
});

test('GIVEN a fault abort with both httpStatus and grpcStatus WHEN validated THEN the protobuf oneof clash is named', () => {
  const vs = virtualService();
  Object.assign(vs.spec.http[1]!.fault!.abort, { grpcStatus: 'UNAVAILABLE' });
  const v = only(vs);
  assert.equal(v.path, ['spec', 'http', 1, 'fault', 'abort']);
  assert.match(v.message, 'only one of httpStatus, grpcStatus, http2Error may be set (got httpStatus, grpcStatus)');
});

test('GIVEN a port number above the maximum WHEN validated THEN the bound is named', () => {
  const gw = gateway();
  gw.spec.servers[0]!.port.number = 4294967296;
  const v = only(gw);
  assert.equal(v.path, ['spec', 'servers', 0, 'port', 'number']);
  assert.match(v.message, 'must be <= 4294967295');
});

test('GIVEN a resource name with upper case and an underscore WHEN validated THEN metadata.name must be a DNS-1123 subdomain', () => {
  const vs = virtualService();
  vs.metadata.name = 'Reviews_V1';
  const v = only(vs);
  assert.equal(v.path, ['metadata', 'name']);
  assert.match(v.message, 'DNS-1123 subdomain');
});

test('GIVEN a label key with a space WHEN validated THEN the key is reported at its own path', () => {
  const v = only({ ...gateway(), metadata: { name: 'public', labels: { 'team name': 'mesh' } } });
  assert.equal(v.path, ['metadata', 'labels', 'team name']);
  assert.match(v.message, 'must be a qualified name');
});

test('GIVEN metadata without a name WHEN validated THEN name or generateName is required', () => {
  const v = only({ ...gateway(), metadata: { namespace: 'default' } });
  assert.equal(v.path, ['metadata']);
  assert.match(v.message, 'one of name, generateName is required');
});

test('GIVEN an object without metadata WHEN validated THEN metadata is required', () => {
  const { metadata: _metadata, ...noMeta } = gateway();
  assert.equal(only(noMeta).path, ['metadata']);
});

test('GIVEN a targetRef kind that breaks its pattern WHEN validated THEN that pattern, not another, is reported', () => {
  const v = only({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'ok' },
    spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: '1Gateway', name: 'waypoint' }] } });
  assert.equal(v.path, ['spec', 'targetRefs', 0, 'kind']);
  assert.match(v.message, 'must match the pattern ^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$ (got "1Gateway")');
});

test('GIVEN two ServiceEntry ports with the same name WHEN validated THEN the list-map key must be unique', () => {
  const se = serviceEntry();
  se.spec.ports.push({ number: 8443, name: 'https', protocol: 'TLS' });
  const v = only(se);
  assert.equal(v.path, ['spec', 'ports', 1]);
  assert.match(v.message, 'duplicate entry: item 0 has the same name');
});

test('GIVEN several mistakes in one object WHEN validated THEN all are reported', () => {
  const vs = virtualService();
  (vs.spec as Record<string, unknown>).hosts = 'reviews';
  (vs.spec.http[0] as Record<string, unknown>).timout = '1s';
  (vs.spec.http[0]!.route[1] as Record<string, unknown>).weight = 'ten';
  assert.is(validateCrdObject(vs).length, 3);
});

test.run();
