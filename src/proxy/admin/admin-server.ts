/**
 * Envoy's admin interface, the parts users reach for: `/config_dump` (Envoy's shape and query:
 * `include_eds`, `resource`, `mask`, `name_regex`; see config-dump.ts), `/stats/prometheus`,
 * `/ready` (LIVE / PRE_INITIALIZING / DRAINING), `/listeners` (bound addresses, `?format=json`),
 * `/clusters` (hosts and counters; `?format=json` as Envoy's `envoy.admin.v3.Clusters`), `/access_log` (the latest access-log entries as JSON, for
 * callers that judge response flags from outside the process: `meshproof verify --runtime`), and `POST /quitquitquit` (graceful drain and exit, as Istio's
 * pilot-agent uses it). Istio's separate ports are served too: Prometheus on 15090
 * (`/stats/prometheus`) and readiness on 15021 (`/healthz/ready`).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonObject } from '@bufbuild/protobuf';
import { answerConfigDump, type DumpSource } from './config-dump.js';
import type { StatsStore } from './stats.js';
import type { AccessLogEntry } from '../access-log.js';

/** What the admin server reads from the running proxy. */
export interface AdminSource extends DumpSource {
  readonly stats: StatsStore;
  /** LIVE, PRE_INITIALIZING or DRAINING. */
  state(): 'LIVE' | 'PRE_INITIALIZING' | 'DRAINING';
  /** Bound listeners: name → address. */
  listenerAddresses(): { name: string; host: string; port: number }[];
  /** Hosts per cluster with their active request counts. */
  clusterHosts(): { cluster: string; hosts: AdminHost[] }[];
  /** Starts a graceful drain and exit. */
  quit(): void;
  /** The latest access-log entries, oldest first; absent when the access log is off. */
  recentAccessLog?(): readonly AccessLogEntry[];
}

/** One upstream host as `/clusters` shows it. */
export interface AdminHost {
  /** `ip:port`. */
  readonly key: string;
  readonly address: string;
  readonly port: number;
  /** Requests in flight (`rq_active`). */
  readonly active: number;
  /** EDS health: HEALTHY or UNKNOWN count as healthy. */
  readonly healthy: boolean;
  /** Ejected by the cluster's outlier detector now (Envoy `FAILED_OUTLIER_CHECK`). */
  readonly ejected: boolean;
  readonly weight: number;
  /** `Endpoint.hostname`, may be empty. */
  readonly hostname: string;
  /** `region/zone/sub_zone`, parts may be empty. */
  readonly locality: string;
  /** `LocalityLbEndpoints.priority` (0 by default). */
  readonly priority: number;
}

/** Envoy's `health_flags` text (`HostUtility::healthFlagsToString`, in its order): `healthy`, else each failing flag. */
function healthFlags(h: AdminHost): string {
  const flags = `${h.ejected ? '/failed_outlier_check' : ''}${h.healthy ? '' : '/failed_eds_health'}`;
  return flags === '' ? 'healthy' : flags;
}

/**
 * `/clusters?format=json` in Envoy's shape (`envoy.admin.v3.Clusters`, proto JSON as Envoy prints it:
 * field names in snake_case, defaults left out, uint64 values as strings): one `cluster_statuses`
 * entry per cluster with its `host_statuses` (address, stats, health status, weight, hostname,
 * priority, locality). Of the per-host stats only the `rq_active` gauge is kept here.
 */
export function clustersJson(clusters: ReturnType<AdminSource['clusterHosts']>): JsonObject {
  return {
    cluster_statuses: clusters.map((c) => ({
      name: c.cluster,
      added_via_api: true,
      host_statuses: c.hosts.map((h) => {
        const [region = '', zone = '', subZone = ''] = h.locality.split('/');
        return {
          address: { socket_address: { address: h.address, port_value: h.port } },
          stats: [{ type: 'GAUGE', ...(h.active !== 0 ? { value: String(h.active) } : {}), name: 'rq_active' }],
          health_status: { ...(h.ejected ? { failed_outlier_check: true } : {}), eds_health_status: h.healthy ? 'HEALTHY' : 'UNHEALTHY' },
          weight: h.weight,
          ...(h.hostname !== '' ? { hostname: h.hostname } : {}),
          ...(h.priority !== 0 ? { priority: h.priority } : {}),
          locality: { ...(region ? { region } : {}), ...(zone ? { zone } : {}), ...(subZone ? { sub_zone: subZone } : {}) },
        };
      }),
      observability_name: c.cluster,
    })),
  };
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
        const q = url.searchParams;
        const r = answerConfigDump(src, { includeEds: q.has('include_eds'), resource: q.get('resource'), mask: q.get('mask'), nameRegex: q.get('name_regex') });
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
        if (url.searchParams.get('format') === 'json') return send(res, 200, 'application/json', `${JSON.stringify(clustersJson(src.clusterHosts()), null, 1)}\n`);
        return send(res, 200, 'text/plain', src.clusterHosts().flatMap((c) => c.hosts.map((h) => `${c.cluster}::${h.key}::rq_active::${h.active}\n${c.cluster}::${h.key}::health_flags::${healthFlags(h)}\n${c.cluster}::${h.key}::weight::${h.weight}\n`)).join(''));
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
        return send(res, 404, 'text/plain', 'admin endpoints: /config_dump[?include_eds][&resource=dynamic_active_clusters|dynamic_listeners|dynamic_route_configs|dynamic_endpoint_configs][&mask=<field paths>][&name_regex=<RE2>] /stats/prometheus /ready /listeners[?format=json] /clusters[?format=json] /access_log[?request_id=a,b] POST /quitquitquit\n');
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
