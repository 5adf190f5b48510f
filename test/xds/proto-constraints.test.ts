/**
 * Envoy's proto constraints (`(validate.rules)` of protoc-gen-validate), read from the generated
 * descriptors: each refused value is paired with an accepted neighbour, so every check is shown to
 * discriminate; then the same through `checkSnapshot` (never published), `xds compile --no-check`
 * (refused, with the way out) and the reference proxy (NACKed as Envoy NACKs).
 */
import { create } from '@bufbuild/protobuf';
import { anyPack, DurationSchema } from '@bufbuild/protobuf/wkt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { ConfigStore } from '../../src/proxy/config/config-store.js';
import { createExtensions } from '../../src/proxy/extensions.js';
import { packAny } from '../../src/xds/encode.js';
import { ClusterSchema, Cluster_LbPolicy } from '../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { OutlierDetectionSchema } from '../../src/xds/gen/envoy/config/cluster/v3/outlier_detection_pb.js';
import { ClusterLoadAssignmentSchema } from '../../src/xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { HeaderMatcherSchema, RouteMatchSchema, WeightedClusterSchema } from '../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { HttpConnectionManagerSchema } from '../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { RouteConfigurationSchema } from '../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import { PercentSchema } from '../../src/xds/gen/envoy/type/v3/percent_pb.js';
import { constraintViolations } from '../../src/xds/proto-constraints.js';
import { XDS_REGISTRY } from '../../src/xds/resources.js';
import { createSnapshot } from '../../src/xds/snapshot.js';
import { checkSnapshot } from '../../src/xds/snapshot-check.js';
import { captureIO } from '../cli/_io.js';
import { assignment, edsCluster } from './_fixtures.js';

const errors = (schema: Parameters<typeof constraintViolations>[0], message: object) => constraintViolations(schema, message as never, XDS_REGISTRY).map((v) => `${v.path}: ${v.error}`);

test('GIVEN outlier detection max_ejection_percent 250 (a UInt32Value with lte 100) WHEN checked THEN refused at its path in PGV\'s words; 100 and unset pass', () => {
  const c = edsCluster('c');
  c.outlierDetection = create(OutlierDetectionSchema, { maxEjectionPercent: 250 });
  assert.equal(errors(ClusterSchema, c), ['outlier_detection.max_ejection_percent: OutlierDetectionValidationError.MaxEjectionPercent: value must be less than or equal to 100']);
  c.outlierDetection = create(OutlierDetectionSchema, { maxEjectionPercent: 100 });
  assert.equal(errors(ClusterSchema, c), []);
  c.outlierDetection = create(OutlierDetectionSchema, {});
  assert.equal(errors(ClusterSchema, c), []);
});

test('GIVEN a Duration rule gt 0 (Cluster.connect_timeout) WHEN 0s THEN refused; 1 ms passes', () => {
  const c = edsCluster('c');
  c.connectTimeout = create(DurationSchema, { seconds: 0n, nanos: 0 });
  assert.equal(errors(ClusterSchema, c), ['connect_timeout: ClusterValidationError.ConnectTimeout: value must be greater than 0s']);
  c.connectTimeout = create(DurationSchema, { seconds: 0n, nanos: 1_000_000 });
  assert.equal(errors(ClusterSchema, c), []);
});

test('GIVEN an enum with defined_only (Cluster.lb_policy) WHEN a number Envoy does not define THEN refused', () => {
  const c = edsCluster('c');
  c.lbPolicy = 99 as Cluster_LbPolicy;
  assert.equal(errors(ClusterSchema, c), ['lb_policy: ClusterValidationError.LbPolicy: value must be one of the defined enum values']);
  c.lbPolicy = Cluster_LbPolicy.RING_HASH;
  assert.equal(errors(ClusterSchema, c), []);
});

test('GIVEN a string min_len 1 on an implicit-presence field (ClusterLoadAssignment.cluster_name) WHEN empty THEN refused; a name passes', () => {
  assert.equal(errors(ClusterLoadAssignmentSchema, assignment('', [8080])), ['cluster_name: ClusterLoadAssignmentValidationError.ClusterName: value length must be at least 1 runes']);
  assert.equal(errors(ClusterLoadAssignmentSchema, assignment('c', [8080])), []);
});

test('GIVEN a required oneof (RouteMatch.path_specifier) WHEN no member is set THEN refused; a prefix passes, and only the set member\'s rules apply', () => {
  assert.equal(errors(RouteMatchSchema, create(RouteMatchSchema, {})), ['path_specifier: RouteMatchValidationError.PathSpecifier: value is required']);
  assert.equal(errors(RouteMatchSchema, create(RouteMatchSchema, { pathSpecifier: { case: 'prefix', value: '/' } })), []);
});

test('GIVEN repeated min_items 1 (WeightedCluster.clusters) WHEN empty THEN refused; one cluster passes', () => {
  assert.equal(errors(WeightedClusterSchema, create(WeightedClusterSchema, {})), ['clusters: WeightedClusterValidationError.Clusters: value must contain at least 1 item(s)']);
  assert.equal(errors(WeightedClusterSchema, create(WeightedClusterSchema, { clusters: [{ name: 'a', weight: 1 }] })), []);
});

test('GIVEN a two-sided range (envoy.type.v3.Percent: [0, 100]) WHEN outside THEN refused in PGV\'s range wording', () => {
  assert.equal(errors(PercentSchema, create(PercentSchema, { value: 100.5 })), ['value: PercentValidationError.Value: value must be inside range [0, 100]']);
  assert.equal(errors(PercentSchema, create(PercentSchema, { value: -1 })), ['value: PercentValidationError.Value: value must be inside range [0, 100]']);
  assert.equal(errors(PercentSchema, create(PercentSchema, { value: 0 })), []);
});

test('GIVEN a header matcher name (HTTP_HEADER_NAME, strict false) WHEN it holds a newline THEN refused; a hyphenated name passes', () => {
  const bad = create(HeaderMatcherSchema, { name: 'x-a\nb', headerMatchSpecifier: { case: 'presentMatch', value: true } });
  assert.is(errors(HeaderMatcherSchema, bad).length, 1);
  assert.match(errors(HeaderMatcherSchema, bad)[0]!, /^name: HeaderMatcherValidationError\.Name: value does not match regex pattern/);
  assert.equal(errors(HeaderMatcherSchema, create(HeaderMatcherSchema, { name: 'x-user', headerMatchSpecifier: { case: 'presentMatch', value: true } })), []);
});

test('GIVEN a typed config in an Any WHEN its message breaks a constraint THEN the path runs through the Any: decoded from the registry, or as noted when packAny packed it (no registry needed)', () => {
  const hcm = create(HttpConnectionManagerSchema, { statPrefix: '', routeSpecifier: { case: 'rds', value: { routeConfigName: 'r', configSource: { configSourceSpecifier: { case: 'ads', value: {} } } } } });
  const decoded = create(ListenerSchema, { name: 'l', apiListener: { apiListener: anyPack(HttpConnectionManagerSchema, hcm) } });
  const expected = ['api_listener.api_listener.stat_prefix: HttpConnectionManagerValidationError.StatPrefix: value length must be at least 1 runes'];
  assert.equal(errors(ListenerSchema, decoded), expected);
  assert.equal(constraintViolations(ListenerSchema, decoded), [], 'without a registry an Any packed elsewhere is not looked into');
  const noted = create(ListenerSchema, { name: 'l', apiListener: { apiListener: packAny(HttpConnectionManagerSchema, hcm) } });
  assert.equal(constraintViolations(ListenerSchema, noted).map((v) => `${v.path}: ${v.error}`), expected);
  hcm.statPrefix = 'l';
  assert.equal(errors(ListenerSchema, create(ListenerSchema, { name: 'l', apiListener: { apiListener: anyPack(HttpConnectionManagerSchema, hcm) } })), []);
});

test('GIVEN a snapshot holding a value Envoy refuses WHEN checked THEN XDS_PROTO_CONSTRAINT names the resource and field', () => {
  const c = edsCluster('c');
  c.outlierDetection = create(OutlierDetectionSchema, { maxEjectionPercent: 250 });
  const problems = checkSnapshot(createSnapshot({ clusters: [c], endpoints: [assignment('c', [8080])], listeners: [], routes: [] }));
  assert.equal(problems.map((p) => [p.code, p.where, p.name]), [['XDS_PROTO_CONSTRAINT', 'Cluster "c" outlier_detection.max_ejection_percent', 'c']]);
  assert.match(problems[0]!.message, /Proto constraint validation failed \(OutlierDetectionValidationError\.MaxEjectionPercent: value must be less than or equal to 100\)/);
  const fixed = edsCluster('c');
  fixed.outlierDetection = create(OutlierDetectionSchema, { maxEjectionPercent: 10 });
  assert.equal(checkSnapshot(createSnapshot({ clusters: [fixed], endpoints: [assignment('c', [8080])], listeners: [], routes: [] })), []);
});

test('GIVEN a message a caller edits between two snapshots WHEN each is checked THEN each is judged on what it holds then (only the translation cache\'s shared messages are remembered)', () => {
  const c = edsCluster('c');
  c.outlierDetection = create(OutlierDetectionSchema, { maxEjectionPercent: 10 });
  const endpoints = [assignment('c', [8080])];
  assert.equal(checkSnapshot(createSnapshot({ clusters: [c], endpoints, listeners: [], routes: [] })), []);
  // A snapshot freezes the message itself, not its nested fields.
  c.outlierDetection.maxEjectionPercent = 300;
  assert.equal(checkSnapshot(createSnapshot({ clusters: [c], endpoints, listeners: [], routes: [] })).map((p) => p.where), ['Cluster "c" outlier_detection.max_ejection_percent']);
});

test('GIVEN a cluster breaking a constraint WHEN the reference proxy receives it THEN the response is NACKed as Envoy NACKs it, and the valid neighbour applies', () => {
  const store = new ConfigStore(createExtensions(), { hosts: () => undefined, cluster: () => undefined, choose: () => undefined });
  const bad = edsCluster('bad');
  bad.outlierDetection = create(OutlierDetectionSchema, { maxEjectionPercent: 101 });
  const { change, error } = store.apply('cluster', 'v1', [anyPack(ClusterSchema, bad), anyPack(ClusterSchema, edsCluster('good'))]);
  assert.is(error, 'Cluster "bad": outlier_detection.max_ejection_percent: Proto constraint validation failed (OutlierDetectionValidationError.MaxEjectionPercent: value must be less than or equal to 100)');
  assert.equal(change.updated, ['good']);
});

test('GIVEN a DestinationRule with maxEjectionPercent 250 WHEN "xds compile --no-check" THEN exit 2, nothing written, and the way out is meshproof check', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-pgv-'));
  writeFileSync(join(dir, 'mesh.yaml'), [
    'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}',
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: app, image: web}]}',
    'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: web, namespace: shop}\nspec:\n  host: web\n  trafficPolicy:\n    outlierDetection: {consecutive5xxErrors: 3, maxEjectionPercent: 250}',
  ].join('\n---\n'));
  const cap = captureIO(dir);
  const code = await main(['xds', 'compile', 'mesh.yaml', '--out', 'out', '--no-check'], cap.io);
  assert.is(code, 2);
  assert.match(cap.stderr(), /shop\/web: holds values Envoy refuses .*run `meshproof check`/);
  assert.match(cap.stderr(), /Cluster "outbound\|80\|\|web\.shop\.svc\.cluster\.local" outlier_detection\.max_ejection_percent/);
  assert.match(cap.stderr(), /nothing written to out/);
});

test('GIVEN a violation below a list item WHEN reported THEN the path reads as Envoy prints it: virtual_hosts[0].routes[0].route.weighted_clusters.clusters', () => {
  const rc = create(RouteConfigurationSchema, { name: 'r', virtualHosts: [{ name: 'v', domains: ['*'], routes: [
    { match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'weightedClusters', value: {} } } } },
  ] }] });
  assert.equal(errors(RouteConfigurationSchema, rc), ['virtual_hosts[0].routes[0].route.weighted_clusters.clusters: WeightedClusterValidationError.Clusters: value must contain at least 1 item(s)']);
});

test.run();
