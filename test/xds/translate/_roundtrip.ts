/** Every resource of a translated set survives protobuf binary and proto-JSON (with the Any types the translator packs). */
import * as assert from 'uvu/assert';
import { fromBinary, fromJson, toBinary, toJson, type DescMessage, type Message } from '@bufbuild/protobuf';
import { ClusterSchema } from '../../../src/xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../../src/xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../../src/xds/gen/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../../src/xds/gen/envoy/config/route/v3/route_pb.js';
import type { ResourceSet } from '../../../src/xds/resources.js';
import { TRANSLATE_REGISTRY } from '../../../src/xds/translate/dump.js';

function roundTrip<T extends Message>(schema: DescMessage, m: T, where: string): void {
  const bin = toBinary(schema, m);
  assert.equal(fromBinary(schema, bin), m, `${where}: binary round trip`);
  const json = toJson(schema, m, { registry: TRANSLATE_REGISTRY });
  assert.equal(toBinary(schema, fromJson(schema, json, { registry: TRANSLATE_REGISTRY })), bin, `${where}: proto-JSON round trip`);
}

export function assertRoundTrip(set: ResourceSet): void {
  set.clusters.forEach((r) => roundTrip(ClusterSchema, r, `Cluster ${r.name}`));
  set.endpoints.forEach((r) => roundTrip(ClusterLoadAssignmentSchema, r, `ClusterLoadAssignment ${r.clusterName}`));
  set.listeners.forEach((r) => roundTrip(ListenerSchema, r, `Listener ${r.name}`));
  set.routes.forEach((r) => roundTrip(RouteConfigurationSchema, r, `RouteConfiguration ${r.name}`));
}
