import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromBinary, fromJson, toBinary, toJson, type DescMessage, type Message } from '@bufbuild/protobuf';
import { ClusterSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../../src/xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import { createSnapshot } from '../../../src/xds/snapshot.js';
import { checkSnapshot } from '../../../src/xds/snapshot-check.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { TRANSLATE_REGISTRY } from '../../../src/xds/translate/dump.js';
import { appNames, appViews } from './_apps.js';

function roundTrip<T extends Message>(schema: DescMessage, m: T, where: string): void {
  const bin = toBinary(schema, m);
  assert.equal(fromBinary(schema, bin), m, `${where}: binary round trip`);
  const json = toJson(schema, m, { registry: TRANSLATE_REGISTRY });
  assert.equal(toBinary(schema, fromJson(schema, json, { registry: TRANSLATE_REGISTRY })), bin, `${where}: proto-JSON round trip`);
}

test('GIVEN every proxy of every app in dist/ WHEN translated (sidecar and proxyless) THEN every resource survives protobuf and proto-JSON, and the snapshot is consistent', async () => {
  const apps = appNames();
  assert.ok(apps.length >= 4, `expected the apps in dist/, found ${apps.join(', ')}`);
  let resources = 0;
  for (const app of apps) {
    for (const view of await appViews(app)) {
      for (const proxyless of [false, true]) {
        const set = translateProxy(view, [{ name: 'w', namespace: view.proxy.namespace, address: '10.1.2.3', labels: view.proxy.labels, ports: {} }], { proxyless });
        const at = `${app} ${view.proxy.namespace}/${view.proxy.name}${proxyless ? ' (proxyless)' : ''}`;
        set.clusters.forEach((r) => roundTrip(ClusterSchema, r, `${at} Cluster ${r.name}`));
        set.endpoints.forEach((r) => roundTrip(ClusterLoadAssignmentSchema, r, `${at} ClusterLoadAssignment ${r.clusterName}`));
        set.listeners.forEach((r) => roundTrip(ListenerSchema, r, `${at} Listener ${r.name}`));
        set.routes.forEach((r) => roundTrip(RouteConfigurationSchema, r, `${at} RouteConfiguration ${r.name}`));
        resources += set.clusters.length + set.endpoints.length + set.listeners.length + set.routes.length;
        assert.equal(checkSnapshot(createSnapshot(set)), [], at);
      }
    }
  }
  assert.ok(resources > 100, `only ${resources} resources translated`);
});

test('GIVEN a translated app WHEN a cluster a route names is removed THEN the consistency check reports it (the check above can fail)', async () => {
  const view = (await appViews('bookinfo'))[0]!;
  const set = translateProxy(view, []);
  const named = set.routes[0]!.virtualHosts[0]!.routes[0]!.action.value as { clusterSpecifier: { value: string } };
  const broken = { ...set, clusters: set.clusters.filter((c) => c.name !== named.clusterSpecifier.value) };
  const problems = checkSnapshot(createSnapshot(broken));
  assert.ok(problems.some((p) => p.code === 'XDS_MISSING_CLUSTER' && p.name === named.clusterSpecifier.value), JSON.stringify(problems));
});

test('GIVEN every sidecar and gateway of every app WHEN translated THEN each virtual host but block_all asks Envoy for x-envoy-attempt-count, as Istio sets on every virtual host it builds', async () => {
  let vhosts = 0;
  for (const app of appNames()) {
    for (const view of await appViews(app)) {
      for (const rc of translateProxy(view, []).routes) {
        for (const vh of rc.virtualHosts) {
          if (vh.name.startsWith('block_all')) continue;
          assert.ok(vh.includeRequestAttemptCount, `${app} ${rc.name} ${vh.name}`);
          vhosts++;
        }
      }
    }
  }
  assert.ok(vhosts > 20, `${vhosts} virtual hosts`);
});

test.run();
