/** The generated Envoy messages: fresh, exact at compile time, and lossless on the wire and in proto-JSON. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { create, equals, fromBinary, fromJson, toBinary, toJson } from '@bufbuild/protobuf';
import { anyPack, anyUnpack } from '@bufbuild/protobuf/wkt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClusterSchema, Cluster_DiscoveryType } from '../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../src/xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import { HttpConnectionManagerSchema } from '../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { XDS_REGISTRY } from '../../src/xds/resources.js';
import { headerRoute, meshResources, weightedRoute } from './_fixtures.js';

const root = path.resolve(import.meta.dirname, '../..');
const set = meshResources('svc.ns.svc.cluster.local:80', { 'outbound|80|v1|svc.ns.svc.cluster.local': [8080, 8081] }, [
  headerRoute('x-canary', 'always', 'outbound|80|v1|svc.ns.svc.cluster.local'),
  weightedRoute({ 'outbound|80|v1|svc.ns.svc.cluster.local': 100 }),
]);

test('GIVEN each resource type WHEN encoded to protobuf and decoded THEN the message is equal', () => {
  for (const l of set.listeners) assert.ok(equals(ListenerSchema, fromBinary(ListenerSchema, toBinary(ListenerSchema, l)), l));
  for (const r of set.routes) assert.ok(equals(RouteConfigurationSchema, fromBinary(RouteConfigurationSchema, toBinary(RouteConfigurationSchema, r)), r));
  for (const c of set.clusters) assert.ok(equals(ClusterSchema, fromBinary(ClusterSchema, toBinary(ClusterSchema, c)), c));
  for (const e of set.endpoints) assert.ok(equals(ClusterLoadAssignmentSchema, fromBinary(ClusterLoadAssignmentSchema, toBinary(ClusterLoadAssignmentSchema, e)), e));
});

test('GIVEN a listener WHEN printed as proto-JSON with proto field names THEN it reads like Envoy\'s config_dump and parses back equal', () => {
  const l = set.listeners[0];
  const json = toJson(ListenerSchema, l, { registry: XDS_REGISTRY, useProtoFieldName: true }) as Record<string, any>;
  assert.is(json.api_listener.api_listener['@type'], 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
  assert.equal(json.api_listener.api_listener.rds, { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: 'svc.ns.svc.cluster.local:80-routes' });
  assert.ok(equals(ListenerSchema, fromJson(ListenerSchema, json, { registry: XDS_REGISTRY }), l));
  const camel = toJson(ClusterSchema, set.clusters[0], { registry: XDS_REGISTRY }) as Record<string, any>;
  assert.equal(camel.edsClusterConfig, { edsConfig: { ads: {}, resourceApiVersion: 'V3' } });
});

test('GIVEN a type mistake in a resource WHEN the project is type-checked THEN tsc refuses it (each line below must error)', () => {
  // Never called: the point is `tsc --noEmit` (part of npm test), where an @ts-expect-error that no
  // longer errors fails the typecheck.
  const mistakes = () => {
    // @ts-expect-error unknown field (a typo of name)
    create(ClusterSchema, { nmae: 'a' });
    // @ts-expect-error wrong type: connect_timeout is a Duration message, not a string
    create(ClusterSchema, { connectTimeout: '5s' });
    // @ts-expect-error wrong oneof value type: the discovery type is an enum, not a string
    create(ClusterSchema, { clusterDiscoveryType: { case: 'type', value: 'EDS' } });
    // @ts-expect-error a oneof case that does not exist
    create(HttpConnectionManagerSchema, { routeSpecifier: { case: 'rdss', value: {} } });
    // @ts-expect-error a Listener packed as a Cluster
    anyPack(ClusterSchema, create(ListenerSchema));
  };
  assert.type(mistakes, 'function');
  // And at run time, a message of the wrong type is refused rather than encoded.
  assert.throws(() => anyPack(ClusterSchema, create(ListenerSchema) as never), /cannot use field envoy.config.cluster.v3.Cluster.name with message envoy.config.listener.v3.Listener/);
  const ok = create(ClusterSchema, { name: 'a', clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.EDS } });
  assert.is(anyUnpack(anyPack(ClusterSchema, ok), ClusterSchema)?.name, 'a');
});

test('GIVEN the committed src/xds/gen WHEN regenerated from the protos into a temp dir THEN every file is identical (npm run gen:xds refreshes it)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-gen-xds-check-'));
  try {
    execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'gen-xds.ts'), tmp], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    const committed = path.join(root, 'src', 'xds', 'gen');
    const list = (dir: string) => (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
    assert.equal(list(tmp), list(committed), 'the set of generated files differs: run npm run gen:xds and commit src/xds/gen');
    const stale = list(tmp).filter((f) => !fs.readFileSync(path.join(tmp, f)).equals(fs.readFileSync(path.join(committed, f))));
    assert.equal(stale, [], `stale generated files (run npm run gen:xds and commit): ${stale.join(', ')}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
