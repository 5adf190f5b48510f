/**
 * Envoy's admin interface, the parts users reach for: `/config_dump` (Envoy's shape: Bootstrap,
 * Clusters, Listeners, Routes config dumps; Endpoints with `?include_eds`; `?resource=<repeated
 * field>` for one kind, one entry per resource), `/stats/prometheus`,
 * `/ready` (LIVE / PRE_INITIALIZING / DRAINING), `/listeners` (bound addresses, `?format=json`),
 * `/clusters` (hosts and counters), `/access_log` (the latest access-log entries as JSON, for
 * callers that judge response flags from outside the process: `meshproof verify --runtime`), and `POST /quitquitquit` (graceful drain and exit, as Istio's
 * pilot-agent uses it). Istio's separate ports are served too: Prometheus on 15090
 * (`/stats/prometheus`) and readiness on 15021 (`/healthz/ready`).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRegistry, type JsonObject, toJson } from '@bufbuild/protobuf';
import { ClusterSchema } from '../../xds/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../xds/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../xds/gen/envoy/config/listener/v3/listener_pb.js';
import { CorsPolicySchema } from '../../xds/gen/envoy/extensions/filters/http/cors/v3/cors_pb.js';
import { RouteConfigurationSchema } from '../../xds/gen/envoy/config/route/v3/route_pb.js';
import { XDS_REGISTRY } from '../../xds/resources.js';
import type { ConfigStore } from '../config/config-store.js';
import type { StatsStore } from './stats.js';
import type { AccessLogEntry } from '../access-log.js';

const REGISTRY = createRegistry(XDS_REGISTRY, CorsPolicySchema);
const JSON_OPTS = { registry: REGISTRY, useProtoFieldName: true } as const;
const ADMIN = 'type.googleapis.com/envoy.admin.v3';

/** What the admin server reads from the running proxy. */
export interface AdminSource {
  readonly nodeId: string;
  readonly store: ConfigStore;
  readonly stats: StatsStore;
  /** LIVE, PRE_INITIALIZING or DRAINING. */
  state(): 'LIVE' | 'PRE_INITIALIZING' | 'DRAINING';
  /** Bound listeners: name → address. */
  listenerAddresses(): { name: string; host: string; port: number }[];
  /** Hosts per cluster with their active request counts. */
  clusterHosts(): { cluster: string; hosts: { key: string; active: number; healthy: boolean; weight: number }[] }[];
  /** Starts a graceful drain and exit. */
  quit(): void;
  /** The latest access-log entries, oldest first; absent when the access log is off. */
  recentAccessLog?(): readonly AccessLogEntry[];
}

/** `/config_dump` in Envoy's shape. */
export function configDump(src: AdminSource, includeEds: boolean): JsonObject {
  const ts = (d: Date) => d.toISOString();
  const s = src.store;
  const configs: JsonObject[] = [
    { '@type': `${ADMIN}.BootstrapConfigDump`, bootstrap: { node: { id: src.nodeId, user_agent_name: 'meshproof-proxy' } } },
    { '@type': `${ADMIN}.ClustersConfigDump`, version_info: s.versions.get('cluster') ?? '', dynamic_active_clusters: [...s.clusters.values()].map((a) => ({ version_info: a.version, cluster: { '@type': `type.googleapis.com/${ClusterSchema.typeName}`, ...(toJson(ClusterSchema, a.resource, JSON_OPTS) as JsonObject) }, last_updated: ts(a.lastUpdated) })) },
    { '@type': `${ADMIN}.ListenersConfigDump`, version_info: s.versions.get('listener') ?? '', dynamic_listeners: [...s.listeners.values()].map((a) => ({ name: a.resource.name, active_state: { version_info: a.version, listener: { '@type': `type.googleapis.com/${ListenerSchema.typeName}`, ...(toJson(ListenerSchema, a.resource, JSON_OPTS) as JsonObject) }, last_updated: ts(a.lastUpdated) } })) },
    { '@type': `${ADMIN}.RoutesConfigDump`, dynamic_route_configs: [...s.routes.values()].map((a) => ({ version_info: a.version, route_config: { '@type': `type.googleapis.com/${RouteConfigurationSchema.typeName}`, ...(toJson(RouteConfigurationSchema, a.resource, JSON_OPTS) as JsonObject) }, last_updated: ts(a.lastUpdated) })) },
  ];
  if (includeEds) {
    configs.push({ '@type': `${ADMIN}.EndpointsConfigDump`, dynamic_endpoint_configs: [...s.endpoints.values()].map((a) => ({ version_info: a.version, endpoint_config: { '@type': `type.googleapis.com/${ClusterLoadAssignmentSchema.typeName}`, ...(toJson(ClusterLoadAssignmentSchema, a.resource, JSON_OPTS) as JsonObject) }, last_updated: ts(a.lastUpdated) })) });
  }
  return { configs };
}

/** The element message of each repeated field of the dumps above (`?resource=` names one of these fields). */
const RESOURCE_TYPES: Readonly<Record<string, string>> = {
  dynamic_active_clusters: 'ClustersConfigDump.DynamicCluster',
  dynamic_listeners: 'ListenersConfigDump.DynamicListener',
  dynamic_route_configs: 'RoutesConfigDump.DynamicRouteConfig',
  dynamic_endpoint_configs: 'EndpointsConfigDump.DynamicEndpointConfig',
};

/**
 * `/config_dump?resource=<field>` as Envoy's admin (`ConfigDumpHandler::addResourceToDump`): every
 * element of the repeated field `<field>` of the config dumps, each its own entry typed
 * `envoy.admin.v3.<Dump>.<Element>`. An unknown field → 404 `<field> not found in config dump`
 * (the known ones listed here); a field that is not repeated (`version_info`, `bootstrap`) → 400.
 */
export function resourceDump(dump: JsonObject, resource: string): { status: number; body: JsonObject | string } {
  const elementType = RESOURCE_TYPES[resource];
  if (!elementType) {
    const scalar = (dump.configs as JsonObject[]).some((c) => resource in c);
    if (scalar) return { status: 400, body: `${resource} is not a repeated field. Use ?mask=${resource} to get only this field (not supported here; repeated fields: ${Object.keys(RESOURCE_TYPES).join(', ')})\n` };
    return { status: 404, body: `${resource} not found in config dump; repeated fields: ${Object.keys(RESOURCE_TYPES).join(', ')} (dynamic_endpoint_configs with &include_eds)\n` };
  }
  const configs: JsonObject[] = [];
  for (const c of dump.configs as JsonObject[]) {
    const items = c[resource];
    if (Array.isArray(items)) for (const item of items) configs.push({ '@type': `${ADMIN}.${elementType}`, ...(item as JsonObject) });
  }
  return { status: 200, body: { configs } };
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache, max-age=0' });
  res.end(body);
}

function ready(src: AdminSource, res: http.ServerResponse): void {
  const st = src.state();
  send(res, st === 'LIVE' ? 200 : 503, 'text/plain', `${st}\n`);
}

/** Routes one admin request. Unknown paths are 404 with the list of endpoints. */
export function adminHandler(src: AdminSource): http.RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    switch (url.pathname) {
      case '/config_dump': {
        const dump = configDump(src, url.searchParams.has('include_eds'));
        const resource = url.searchParams.get('resource');
        if (resource === null) return send(res, 200, 'application/json', `${JSON.stringify(dump, null, 2)}\n`);
        const r = resourceDump(dump, resource);
        return typeof r.body === 'string' ? send(res, r.status, 'text/plain', r.body) : send(res, r.status, 'application/json', `${JSON.stringify(r.body, null, 2)}\n`);
      }
      case '/stats/prometheus':
        return send(res, 200, 'text/plain; version=0.0.4', src.stats.prometheus());
      case '/ready':
      case '/healthz/ready':
        return ready(src, res);
      case '/listeners': {
        const ls = src.listenerAddresses();
        if (url.searchParams.get('format') === 'json') {
          return send(res, 200, 'application/json', JSON.stringify({ listener_statuses: ls.map((l) => ({ name: l.name, local_address: { socket_address: { address: l.host, port_value: l.port } } })) }));
        }
        return send(res, 200, 'text/plain', ls.map((l) => `${l.name}::${l.host}:${l.port}\n`).join(''));
      }
      case '/clusters':
        return send(res, 200, 'text/plain', src.clusterHosts().flatMap((c) => c.hosts.map((h) => `${c.cluster}::${h.key}::rq_active::${h.active}\n${c.cluster}::${h.key}::health_flags::${h.healthy ? 'healthy' : '/failed_eds_health'}\n${c.cluster}::${h.key}::weight::${h.weight}\n`)).join(''));
      case '/access_log': {
        // `?request_id=a,b` narrows to those x-request-ids; 404 when the proxy keeps no access log.
        if (!src.recentAccessLog) return send(res, 404, 'text/plain', 'the access log is off (--access-log off)\n');
        const ids = url.searchParams.get('request_id');
        const wanted = ids ? new Set(ids.split(',')) : undefined;
        const entries = src.recentAccessLog().filter((e) => !wanted || (e.requestId !== undefined && wanted.has(e.requestId)));
        return send(res, 200, 'application/json', JSON.stringify({ entries }));
      }
      case '/quitquitquit':
        if (req.method !== 'POST') return send(res, 405, 'text/plain', 'use POST\n');
        send(res, 200, 'text/plain', 'OK\n');
        return src.quit();
      default:
        return send(res, 404, 'text/plain', 'admin endpoints: /config_dump[?include_eds][&resource=dynamic_active_clusters|dynamic_listeners|dynamic_route_configs|dynamic_endpoint_configs] /stats/prometheus /ready /listeners[?format=json] /clusters /access_log[?request_id=a,b] POST /quitquitquit\n');
    }
  };
}

/** Binds a small HTTP server on `host:port` (port 0 picks one); resolves with it and its port. */
export function startAdminServer(handler: http.RequestListener, host: string, port: number): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
}
