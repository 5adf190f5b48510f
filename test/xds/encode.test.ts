/**
 * The generated encoder (src/xds/encode.ts) against `toBinary`: the same bytes for every resource
 * of every app and of the bench mesh, for every encoding rule (hand-built messages), and the same
 * error (or the same bytes) where toBinary decides.
 */
import { type DescMessage, type MessageShape, create, toBinary } from '@bufbuild/protobuf';
import { AnySchema, anyPack } from '@bufbuild/protobuf/wkt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, proxiesOf } from '../../src/mesh/view/index.js';
import { MeshGraph } from '../../src/mesh/graph.js';
import { encodeMessage, encodedSize, preencode, writeEncoded } from '../../src/xds/encode.js';
import { CircuitBreakersSchema } from '../../src/xds/gen/envoy/config/cluster/v3/circuit_breaker_pb.js';
import { ClusterSchema, Cluster_LbPolicy } from '../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { RouteSchema } from '../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { UpstreamTlsContextSchema } from '../../src/xds/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.js';
import { FieldRulesSchema } from '../../src/xds/gen/validate/validate_pb.js';
import { packOnce } from '../../src/xds/pack-cache.js';
import { type ResourceKind, type ResourceSet, type XdsResource, packResource, resourceName } from '../../src/xds/resources.js';
import { type WorkloadInstance, translateProxy } from '../../src/xds/translate/index.js';
import { meshOf } from '../../bench/view/mesh.js';
import { manifests } from '../mesh/_graph.js';
import { appGraph, appNames } from './translate/_apps.js';

const KINDS: [ResourceKind, keyof ResourceSet][] = [['cluster', 'clusters'], ['endpoint', 'endpoints'], ['listener', 'listeners'], ['route', 'routes']];

/** `toBinary`'s bytes and ours for one message; `undefined` when equal, else a description of the first difference. */
function mismatch<D extends DescMessage>(schema: D, message: MessageShape<D>): string | undefined {
  const want = Buffer.from(toBinary(schema, message));
  const got = Buffer.from(encodeMessage(schema, message));
  if (want.equals(got)) return undefined;
  let at = 0;
  while (at < want.length && want[at] === got[at]) at++;
  return `${schema.typeName}: ${got.length} bytes, toBinary ${want.length}; first difference at byte ${at} (${got.subarray(at, at + 8).toString('hex')} vs ${want.subarray(at, at + 8).toString('hex')})`;
}

/** The old framing packOnce must keep: `<name> NUL <toBinary(Any)> NUL`. */
function expectedFrame(kind: ResourceKind, r: XdsResource): Buffer {
  return Buffer.concat([Buffer.from(resourceName(kind, r)), Buffer.from([0]), Buffer.from(toBinary(AnySchema, packResource(kind, r))), Buffer.from([0])]);
}

/** Every packed resource of every proxy of `graph` compared with toBinary; returns the mismatches and the count. */
function compareGraph(graph: MeshGraph, workloads: readonly WorkloadInstance[]): { count: number; bad: string[] } {
  let count = 0;
  const bad: string[] = [];
  for (const p of proxiesOf(graph)) {
    for (const proxyless of [false, true]) {
      const set = translateProxy(buildProxyView(graph, p), workloads, { cache: false, proxyless });
      for (const [kind, key] of KINDS) {
        for (const r of (set[key] ?? []) as readonly XdsResource[]) {
          count++;
          const packed = packOnce(kind, r);
          const want = packResource(kind, r);
          if (packed.any.typeUrl !== want.typeUrl || !Buffer.from(packed.any.value).equals(Buffer.from(want.value))) bad.push(`${p.namespace}/${p.name} ${kind} ${resourceName(kind, r)}: value differs`);
          else if (!packed.framed.equals(expectedFrame(kind, r))) bad.push(`${p.namespace}/${p.name} ${kind} ${resourceName(kind, r)}: frame differs`);
        }
      }
    }
  }
  return { count, bad };
}

test('GIVEN every app in dist WHEN each proxy\'s resources (sidecar and proxyless) are packed THEN every Any value and frame is toBinary\'s', async () => {
  let total = 0;
  for (const app of appNames()) {
    const { count, bad } = compareGraph(await appGraph(app), []);
    assert.equal(bad.slice(0, 5), [], `${app}: ${bad.length} of ${count} resources differ`);
    total += count;
  }
  assert.ok(total > 500, `only ${total} resources compared`);
});

test('GIVEN the bench mesh of 20 services with workloads WHEN every proxy\'s resources are packed THEN every Any value and frame is toBinary\'s', () => {
  const workloads: WorkloadInstance[] = [];
  for (let i = 0; i < 20; i++) for (const v of ['v1', 'v2']) workloads.push({ name: `svc${i}-${v}`, namespace: `ns${i % 10}`, address: `10.0.${i}.${v === 'v1' ? 1 : 2}`, labels: { app: `svc${i}`, version: v }, ports: {} });
  const { count, bad } = compareGraph(MeshGraph.from(manifests(...meshOf(20))), workloads);
  assert.equal(bad.slice(0, 5), [], `${bad.length} of ${count} differ`);
  assert.ok(count > 3000, `only ${count} resources compared`);
});

test('GIVEN hand-built Clusters covering each encoding rule WHEN encoded THEN the bytes are toBinary\'s', () => {
  const long = 'x'.repeat(200) + 'é'.repeat(9000);
  const cases = [
    create(ClusterSchema),
    // Oneof with its zero value (written: oneofs have explicit presence), enum unknown and negative values.
    create(ClusterSchema, { name: 'a', clusterDiscoveryType: { case: 'type', value: 0 }, lbPolicy: 99 as Cluster_LbPolicy }),
    create(ClusterSchema, { name: 'b', lbPolicy: -3 as Cluster_LbPolicy }),
    // Duration (int64 seconds: small, large, negative), wrappers at zero (present, empty) and set, uint64 wrapper.
    create(ClusterSchema, {
      connectTimeout: { seconds: 5n, nanos: 250 }, perConnectionBufferLimitBytes: 0,
      dnsRefreshRate: { seconds: 2n ** 40n }, cleanupInterval: { seconds: -1n, nanos: -5 },
      lbConfig: { case: 'ringHashLbConfig', value: { minimumRingSize: 2n ** 63n - 1n, maximumRingSize: 0n } },
      circuitBreakers: { thresholds: [{ maxConnections: 0, maxRetries: 4294967295 }, {}] },
    }),
    // Maps (string → Any, string → Struct as JSON: nested objects, lists, null, booleans, numbers, -0, NaN, non-ASCII, long strings).
    create(ClusterSchema, {
      typedExtensionProtocolOptions: { 'x.y': anyPack(ClusterSchema, create(ClusterSchema, { name: 'inner' })), '': create(AnySchema) },
      metadata: { filterMetadata: {
        m: { s: 'ascii', u: 'ünï €𝄞', lone: '\ud800x', n: 1.5, neg: -0, big: 1e300, nan: Number.NaN, t: true, f: false, z: null, l: [1, 'two', [null, { k: [] }], {}], o: { deep: { deeper: long } }, '': '' },
        empty: {},
      } },
      healthChecks: [], outlierDetection: { consecutive5xx: 0, interval: { seconds: 1n } },
      commonLbConfig: { healthyPanicThreshold: { value: -0 } },
    }),
    create(ClusterSchema, { name: long, commonLbConfig: { healthyPanicThreshold: { value: 12.5 } }, respectDnsTtl: true, $unknown: [{ no: 9999, wireType: 2, data: new Uint8Array([3, 1, 2, 3]) }, { no: 5000, wireType: 0, data: new Uint8Array([0x96, 0x01]) }] }),
  ];
  for (const c of cases) assert.is(mismatch(ClusterSchema, c), undefined);
});

test('GIVEN packed repeated scalars, proto2 explicit presence and every scalar type WHEN encoded THEN the bytes are toBinary\'s', () => {
  assert.is(mismatch(RouteSchema, create(RouteSchema, { name: 'r', action: { case: 'route', value: { retryPolicy: { retriableStatusCodes: [503, 0, 70000, 4294967295] } } } })), undefined);
  assert.is(mismatch(RouteSchema, create(RouteSchema, { action: { case: 'route', value: { retryPolicy: { retriableStatusCodes: [] } } } })), undefined);
  // validate.proto is proto2: optional fields on the prototype, unpacked repeated, every scalar type.
  const rules = [
    { case: 'float', value: { const: 1.25, lt: -3.4e38, in: [0, -0, 1.5, Infinity] } },
    { case: 'double', value: { const: 0, gt: -1e-300, notIn: [Number.NaN] } },
    { case: 'int32', value: { const: -1, in: [0, 2147483647, -2147483648] } },
    { case: 'int64', value: { const: -(2n ** 63n), in: [0n, 1n, 2n ** 62n, -5n] } },
    { case: 'uint32', value: { const: 0, in: [4294967295, 128] } },
    { case: 'uint64', value: { const: 2n ** 64n - 1n, in: [0n, 300n] } },
    { case: 'sint32', value: { const: -2147483648, in: [-1, 1, 2147483647, 0] } },
    { case: 'sint64', value: { const: -(2n ** 63n), in: [-1n, 1n, 2n ** 63n - 1n] } },
    { case: 'fixed32', value: { const: 4294967295, in: [0, 7] } },
    { case: 'fixed64', value: { const: 2n ** 64n - 1n, in: [0n] } },
    { case: 'sfixed32', value: { const: -2147483648, in: [-1] } },
    { case: 'sfixed64', value: { const: -(2n ** 63n), in: [1n] } },
    { case: 'bool', value: { const: false } },
    { case: 'string', value: { const: '', prefix: 'ü', in: ['a', ''], wellKnown: { case: 'email', value: false } } },
    { case: 'bytes', value: { const: new Uint8Array(0), in: [new Uint8Array([1, 2]), new Uint8Array(300)] } },
    { case: 'repeated', value: { minItems: 0n, items: { type: { case: 'string', value: { maxLen: 3n } } } } },
  ];
  for (const type of rules) assert.is(mismatch(FieldRulesSchema, create(FieldRulesSchema, { type } as never)), undefined, type.case);
  const bare = create(FieldRulesSchema, { type: { case: 'string', value: {} } });
  assert.is(mismatch(FieldRulesSchema, bare), undefined);
});

test('GIVEN values toBinary decides (wrong JavaScript types, a foreign message) WHEN encoded THEN the result is toBinary\'s: the same bytes or the same error', () => {
  const coerced = create(UpstreamTlsContextSchema, { sni: 7 as unknown as string });
  assert.is(mismatch(UpstreamTlsContextSchema, coerced), undefined);
  const bad = create(ClusterSchema, { name: 'x', perConnectionBufferLimitBytes: -1 });
  assert.throws(() => toBinary(ClusterSchema, bad));
  let want = '';
  try { toBinary(ClusterSchema, bad); } catch (e) { want = (e as Error).message; }
  assert.throws(() => encodeMessage(ClusterSchema, bad), (e: Error) => e.message === want);
  const foreign = create(ClusterSchema, { name: 'y' });
  (foreign as { lbConfig: unknown }).lbConfig = { case: 'ringHashLbConfig', value: create(UpstreamTlsContextSchema, { sni: 's' }) };
  let foreignError = '';
  try { toBinary(ClusterSchema, foreign); } catch (e) { foreignError = (e as Error).message; }
  assert.ok(foreignError !== '', 'toBinary refuses a foreign message in a field');
  assert.throws(() => encodeMessage(ClusterSchema, foreign), (e: Error) => e.message === foreignError);
  const malformed = create(ClusterSchema, { name: 'z' });
  (malformed as { healthChecks: unknown }).healthChecks = undefined;
  let malformedError = '';
  try { toBinary(ClusterSchema, malformed); } catch (e) { malformedError = (e as Error).message; }
  assert.ok(malformedError !== '', 'toBinary refuses a list field that is not a list');
  assert.throws(() => encodeMessage(ClusterSchema, malformed), (e: Error) => e.message === malformedError);
});

test('GIVEN the comparison WHEN the bytes differ THEN it reports where (the check can fail)', () => {
  const a = create(ClusterSchema, { name: 'same' });
  assert.is(mismatch(ClusterSchema, a), undefined);
  const out = Buffer.from(encodeMessage(ClusterSchema, a));
  out[out.length - 1] ^= 1;
  assert.not.equal(out, Buffer.from(toBinary(ClusterSchema, a)));
});

test('GIVEN encodedSize then writeEncoded WHEN another message is written THEN it throws instead of writing bytes sized for the first', () => {
  const a = create(ClusterSchema, { name: 'a' });
  const b = create(ClusterSchema, { name: 'bb' });
  const size = encodedSize(ClusterSchema, a);
  assert.throws(() => writeEncoded(ClusterSchema, b, new Uint8Array(size), 0), /encodedSize/);
  const target = new Uint8Array(size + 4);
  encodedSize(ClusterSchema, a);
  assert.is(writeEncoded(ClusterSchema, a, target, 2), 2 + size);
  assert.equal(Buffer.from(target.subarray(2, 2 + size)), Buffer.from(toBinary(ClusterSchema, a)));
});

test('GIVEN a preencoded part held by two clusters WHEN they are encoded THEN the bytes are toBinary\'s, taken from the part (a part changed afterwards keeps its old bytes: parts must not change)', () => {
  const part = preencode(CircuitBreakersSchema, create(CircuitBreakersSchema, { thresholds: [{ maxConnections: 7, trackRemaining: true }] }));
  assert.equal(Object.keys(part), Object.keys(create(CircuitBreakersSchema)), 'the bytes are not an enumerable property');
  const a = create(ClusterSchema, { name: 'a', circuitBreakers: part });
  const b = create(ClusterSchema, { name: 'b', circuitBreakers: part, connectTimeout: { seconds: 1n } });
  assert.is(mismatch(ClusterSchema, a), undefined);
  assert.is(mismatch(ClusterSchema, b), undefined);
  const before = Buffer.from(encodeMessage(ClusterSchema, a));
  part.thresholds[0]!.maxConnections = 8;
  assert.equal(Buffer.from(encodeMessage(ClusterSchema, a)), before);
  assert.ok(mismatch(ClusterSchema, a), 'toBinary sees the change the preencoded bytes do not');
});

test.run();
