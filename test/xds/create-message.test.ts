/**
 * The generated `createMessage` (src/xds/create-message.ts) against @bufbuild/protobuf's `create`:
 * for the same init, the same message: the same properties in the same order at every depth, the
 * same values, and the same objects passed through where `create` passes them through.
 */
import { type DescMessage, type MessageInitShape, create } from '@bufbuild/protobuf';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MeshGraph } from '../../src/mesh/graph.js';
import { buildProxyView, proxiesOf } from '../../src/mesh/view/index.js';
import { createMessage } from '../../src/xds/create-message.js';
import { ClusterSchema } from '../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../src/xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import { HeaderValueOptionSchema } from '../../src/xds/gen/envoy/config/core/v3/base_pb.js';
import { FieldRulesSchema } from '../../src/xds/gen/validate/validate_pb.js';
import type { ResourceSet } from '../../src/xds/resources.js';
import { translateProxy } from '../../src/xds/translate/index.js';
import { meshOf } from '../../bench/view/mesh.js';
import { manifests } from '../mesh/_graph.js';
import { appGraph, appNames } from './translate/_apps.js';

/** The first place two values differ in shape or content (key order included), or undefined. */
function difference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b)) ? undefined : `${path}: bytes differ`;
  }
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b) ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: array vs object`;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join(',') !== kb.join(',')) return `${path}: keys [${ka.join(',')}] vs [${kb.join(',')}]`;
  for (const k of ka) {
    const d = difference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

/** A message as a plain init object: `$typeName` dropped at every depth (Struct JSON and bytes kept). */
function initOf(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(initOf);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (k !== '$typeName') out[k] = initOf(x);
  return out;
}

function compare<D extends DescMessage>(schema: D, init: MessageInitShape<D> | undefined): string | undefined {
  return difference(createMessage(schema, init), create(schema, init));
}

const SCHEMAS = [['clusters', ClusterSchema], ['endpoints', ClusterLoadAssignmentSchema], ['listeners', ListenerSchema], ['routes', RouteConfigurationSchema]] as const;

function compareSet(set: ResourceSet, where: string, bad: string[]): number {
  let n = 0;
  for (const [key, schema] of SCHEMAS) {
    for (const r of (set[key] ?? []) as object[]) {
      n++;
      const d = compare(schema as DescMessage, initOf(r) as never);
      if (d) bad.push(`${where} ${key}: ${d}`);
    }
  }
  return n;
}

test('GIVEN every resource of every app and of the bench mesh, as init objects WHEN created by createMessage and by create THEN the messages are the same, key order included', async () => {
  const bad: string[] = [];
  let n = 0;
  for (const app of appNames()) {
    const g = await appGraph(app);
    for (const p of proxiesOf(g)) n += compareSet(translateProxy(buildProxyView(g, p), [], { cache: false }), `${app} ${p.namespace}/${p.name}`, bad);
  }
  const g = MeshGraph.from(manifests(...meshOf(10)));
  const workloads = [{ name: 'w', namespace: 'ns0', address: '10.0.0.1', labels: { app: 'svc0', version: 'v1' }, ports: {} }];
  for (const p of proxiesOf(g)) n += compareSet(translateProxy(buildProxyView(g, p), workloads, { cache: false }), `bench ${p.name}`, bad);
  assert.equal(bad.slice(0, 5), []);
  assert.ok(n > 500, `only ${n} resources compared`);
});

test('GIVEN edge inits (nulls, byte arrays, wrappers, Struct JSON, maps, unknown oneof cases, messages as init) WHEN created THEN createMessage matches create', () => {
  const inner = create(ClusterSchema, { name: 'inner' });
  const cases: [DescMessage, unknown][] = [
    [ClusterSchema, undefined],
    [ClusterSchema, null],
    [ClusterSchema, {}],
    [ClusterSchema, { name: null, connectTimeout: null, clusterDiscoveryType: null, healthChecks: null, typedExtensionProtocolOptions: null }],
    [ClusterSchema, { clusterDiscoveryType: { case: 'nope', value: 1 } }],
    [ClusterSchema, { clusterDiscoveryType: { case: undefined } }],
    [ClusterSchema, { lbConfig: { case: 'ringHashLbConfig', value: { minimumRingSize: 5n } } }],
    [ClusterSchema, { perConnectionBufferLimitBytes: 0, respectDnsTtl: true, dnsRefreshRate: { seconds: 1n } }],
    [ClusterSchema, { metadata: { filterMetadata: { a: { x: [1, { y: null }] }, ['__proto__']: { p: 1 } } } }],
    [ClusterSchema, { typedExtensionProtocolOptions: { k: { typeUrl: 'u', value: [1, 2, 3] }, j: { $typeName: 'google.protobuf.Any', typeUrl: 'v', value: new Uint8Array([9]) } } }],
    [ClusterSchema, { loadAssignment: { clusterName: 'c', endpoints: [{ lbEndpoints: [{}, null] }] }, healthChecks: 'not a list' }],
  ];
  for (const [schema, init] of cases) assert.is(compare(schema, init as never), undefined, JSON.stringify(init, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)));
  // A message of the type itself is returned as is; a nested message is kept, not copied.
  assert.is(createMessage(ClusterSchema, inner), inner);
  const outer = createMessage(ClusterSchema, { name: 'o', loadAssignment: create(ClusterLoadAssignmentSchema, { clusterName: 'c' }) });
  assert.is(outer.loadAssignment?.$typeName, 'envoy.config.endpoint.v3.ClusterLoadAssignment');
  // proto2 types (a prototype chain for defaults) are create's own.
  assert.is(compare(FieldRulesSchema, { type: { case: 'string', value: { prefix: 'a' } } } as never), undefined);
  assert.is(compare(HeaderValueOptionSchema, { header: { key: 'k', rawValue: [104, 105] }, appendAction: 2 } as never), undefined);
});

test('GIVEN the comparison WHEN two messages differ in key order or value THEN it says where (the check can fail)', () => {
  assert.match(difference({ a: 1, b: 2 }, { b: 2, a: 1 }) ?? '', /keys \[a,b\] vs \[b,a\]/);
  assert.match(difference(create(ClusterSchema, { name: 'x' }), create(ClusterSchema, { name: 'y' })) ?? '', /\$\.name: x vs y/);
});

test.run();
