/**
 * What the config store refuses, and the NACK line it writes: resource, field path, bad value, fix.
 * Each case is paired with a close variant that is accepted, so the check is shown to discriminate.
 */
import { create } from '@bufbuild/protobuf';
import { type Any, AnySchema, anyPack } from '@bufbuild/protobuf/wkt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClusterSchema, Cluster_DiscoveryType } from '../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { RouteActionSchema } from '../../src/xds/gen/envoy/config/route/v3/route_components_pb.js';
import { ListenerSchema } from '../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import { RouterSchema } from '../../src/xds/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import { HttpConnectionManagerSchema } from '../../src/xds/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { ConfigStore, type Kind } from '../../src/proxy/config/config-store.js';
import { createExtensions } from '../../src/proxy/extensions.js';
import { edsCluster, httpListener } from './_harness.js';

const store = () => new ConfigStore(createExtensions(), { hosts: () => undefined, cluster: () => undefined, choose: () => undefined });
const apply = (kind: Kind, resources: Any[]) => store().apply(kind, 'v1', resources).error;
const ROUTER = { name: 'envoy.filters.http.router', configType: { case: 'typedConfig' as const, value: anyPack(RouterSchema, create(RouterSchema)) } };

test('GIVEN a cluster with a custom cluster_type WHEN applied THEN NACKed naming the type and the supported ones', () => {
  const bad = create(ClusterSchema, { name: 'c', clusterDiscoveryType: { case: 'clusterType', value: { name: 'envoy.clusters.aggregate' } } });
  assert.is(apply('cluster', [anyPack(ClusterSchema, bad)]), 'Cluster "c": cluster_type: custom cluster type "envoy.clusters.aggregate" is not supported; use type STATIC, STRICT_DNS, LOGICAL_DNS, EDS or ORIGINAL_DST');
  const good = create(ClusterSchema, { name: 'c', clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.STRICT_DNS } });
  assert.is(apply('cluster', [anyPack(ClusterSchema, good)]), undefined);
});

test('GIVEN a route with a cluster specifier plugin WHEN applied THEN NACKed at the route', () => {
  const rc = create(RouteConfigurationSchema, { name: 'r', virtualHosts: [{ name: 'v', domains: ['*'], routes: [
    { match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'clusterSpecifierPlugin', value: 'lookup' } } } },
  ] }] });
  assert.is(apply('route', [anyPack(RouteConfigurationSchema, rc)]), 'RouteConfiguration "r": virtual_hosts[0].routes[0].route.cluster_specifier: clusterSpecifierPlugin is not supported; use cluster, weighted_clusters or cluster_header');
  rc.virtualHosts[0]!.routes[0]!.action = { case: 'route', value: create(RouteActionSchema, { clusterSpecifier: { case: 'clusterHeader', value: 'x-cluster' } }) };
  assert.is(apply('route', [anyPack(RouteConfigurationSchema, rc)]), undefined);
});

test('GIVEN an HTTP filter chain whose router is not last WHEN applied THEN NACKed naming the position', () => {
  const l = httpListener('l', '127.0.0.1', 'r', { httpFilters: [ROUTER, { name: 'envoy.filters.http.cors', configType: { case: 'typedConfig', value: create(AnySchema, { typeUrl: 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' }) } }] });
  assert.is(apply('listener', [anyPack(ListenerSchema, l)]), 'Listener "l": filter_chains[0].filters[0].http_filters[0].name: the terminal filter envoy.filters.http.router must be the last filter in the HTTP filter chain (it is 1 of 2)');
  assert.is(apply('listener', [anyPack(ListenerSchema, httpListener('l', '127.0.0.1', 'r'))]), undefined);
});

test('GIVEN RDS from a non-ADS config source WHEN applied THEN NACKed with the fix', () => {
  const l = httpListener('l', '127.0.0.1', 'r');
  const hcm = create(HttpConnectionManagerSchema, {
    statPrefix: 'x', routeSpecifier: { case: 'rds', value: { routeConfigName: 'r', configSource: { configSourceSpecifier: { case: 'path', value: '/etc/routes.yaml' } } } }, httpFilters: [ROUTER],
  });
  l.filterChains[0]!.filters[0]!.configType = { case: 'typedConfig', value: anyPack(HttpConnectionManagerSchema, hcm) };
  assert.is(apply('listener', [anyPack(ListenerSchema, l)]), 'Listener "l": filter_chains[0].filters[0].rds.config_source: path: this proxy fetches RDS over ADS only; use config_source { ads: {} }');
});

test('GIVEN a response with a duplicate name and a resource of the wrong type WHEN applied THEN both are listed and the valid one applies', () => {
  const s = store();
  const c = anyPack(ClusterSchema, edsCluster('a'));
  const r = s.apply('cluster', 'v2', [c, c, anyPack(ListenerSchema, httpListener('l', '127.0.0.1', 'r'))]);
  assert.is(r.error, 'Cluster "a": listed twice in one response\nresources[2]: type type.googleapis.com/envoy.config.listener.v3.Listener in a Cluster response; expected type.googleapis.com/envoy.config.cluster.v3.Cluster');
  assert.ok(s.clusters.has('a'));
  assert.is(s.versions.get('cluster'), undefined, 'a NACKed response does not become the accepted version');
});

test.run();
