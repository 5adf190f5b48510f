/**
 * Consistency check run before a snapshot is published (go-control-plane's `Snapshot.Consistent`,
 * extended to the references meshproof can get wrong): a client must never be handed a name it cannot
 * resolve inside the same snapshot.
 */
import { anyIs, anyUnpack, type Any } from '@bufbuild/protobuf/wkt';
import type { Cluster } from './gen/envoy/config/cluster/v3/cluster_pb.js';
import { Cluster_DiscoveryType } from './gen/envoy/config/cluster/v3/cluster_pb.js';
import type { Filter } from './gen/envoy/config/listener/v3/listener_components_pb.js';
import type { Listener } from './gen/envoy/config/listener/v3/listener_pb.js';
import type { RouteConfiguration } from './gen/envoy/config/route/v3/route_pb.js';
import { type HttpConnectionManager, HttpConnectionManagerSchema } from './gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { TcpProxySchema } from './gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { envoySyntaxMessage, syntaxViolations, type SyntaxViolation } from './config-syntax.js';
import { isReusable } from './pack-cache.js';
import { constraintViolations, envoyConstraintMessage, type ConstraintViolation } from './proto-constraints.js';
import { PUSH_ORDER, RESOURCE_SCHEMA, XDS_REGISTRY, resourceName, type ResourceKind, type XdsResource } from './resources.js';
import type { Snapshot } from './snapshot.js';

/** Stable codes of consistency problems. */
export type SnapshotProblemCode = 'XDS_MISSING_ROUTE_CONFIG' | 'XDS_MISSING_ASSIGNMENT' | 'XDS_MISSING_CLUSTER' | 'XDS_PROTO_CONSTRAINT' | 'XDS_INVALID_REGEX' | 'XDS_INVALID_HEADER_VALUE';

/** Codes of a value Envoy refuses (the input's, unless meshproof mistranslated it), as opposed to a broken reference (a meshproof bug). */
export const REFUSED_VALUE_CODES: ReadonlySet<SnapshotProblemCode> = new Set(['XDS_PROTO_CONSTRAINT', 'XDS_INVALID_REGEX', 'XDS_INVALID_HEADER_VALUE']);

/** One broken reference or refused value: where (resource and field path), what it names (the resource for a refused value), and how to fix it. */
export interface SnapshotProblem {
  readonly code: SnapshotProblemCode;
  /** e.g. `Listener "reviews:9080" api_listener.rds.route_config_name`. */
  readonly where: string;
  /** The name that does not resolve. */
  readonly name: string;
  readonly message: string;
}

/**
 * Every reference in the snapshot, checked:
 * - each HttpConnectionManager `rds.route_config_name` (in `api_listener` or any filter chain) names a
 *   RouteConfiguration (`XDS_MISSING_ROUTE_CONFIG`);
 * - each EDS Cluster has a ClusterLoadAssignment named `eds_cluster_config.service_name` or, when
 *   empty, the cluster's name (`XDS_MISSING_ASSIGNMENT`);
 * - each route action `cluster` / `weighted_clusters.clusters[].name` (in RDS or inline
 *   `route_config`) and each tcp_proxy `cluster` names a Cluster (`XDS_MISSING_CLUSTER`);
 * - every resource keeps Envoy's proto constraints (`(validate.rules)`, `proto-constraints.ts`), which
 *   Envoy checks on receipt and NACKs the response for (`XDS_PROTO_CONSTRAINT`): e.g. an outlier
 *   detection `max_ejection_percent` above 100;
 * - every regex Envoy compiles and header value to add it parses on receipt does (`config-syntax.ts`), which Envoy
 *   also NACKs: a `safe_regex` RE2 refuses (`XDS_INVALID_REGEX`), a header value like `100%`
 *   (`XDS_INVALID_HEADER_VALUE`).
 * Returns `[]` when consistent.
 */
export function checkSnapshot(snapshot: Snapshot): SnapshotProblem[] {
  const { clusters, endpoints, listeners, routes, secrets } = snapshot.resources;
  const clusterNames = new Set(clusters.map((c) => c.name));
  const routeNames = new Set(routes.map((r) => r.name));
  const assignmentNames = new Set(endpoints.map((e) => e.clusterName));
  const problems: SnapshotProblem[] = [];
  for (const kind of PUSH_ORDER) {
    const list = kind === 'cluster' ? clusters : kind === 'endpoint' ? endpoints : kind === 'listener' ? listeners : kind === 'route' ? routes : secrets;
    for (const r of list as readonly XdsResource[]) {
      checkConstraints(kind, r, problems);
      checkSyntax(kind, r, problems);
    }
  }
  for (const l of listeners) checkListener(l, routeNames, clusterNames, problems);
  for (const r of routes) checkRouteConfig(`RouteConfiguration "${r.name}"`, r, clusterNames, problems);
  for (const c of clusters) checkCluster(c, assignmentNames, problems);
  return problems;
}

/** Summarises problems as one multi-line message (first 20), for errors and logs. */
export function formatProblems(problems: readonly SnapshotProblem[]): string {
  const shown = problems.slice(0, 20).map((p) => `  ${p.code} ${p.message}`);
  if (problems.length > 20) shown.push(`  … and ${problems.length - 20} more`);
  return shown.join('\n');
}

function checkListener(l: Listener, routeNames: Set<string>, clusterNames: Set<string>, out: SnapshotProblem[]): void {
  const at = `Listener "${l.name}"`;
  if (l.apiListener?.apiListener) checkHcmAny(`${at} api_listener.api_listener`, l.apiListener.apiListener, routeNames, clusterNames, out);
  const chains: Array<readonly [string, NonNullable<Listener['defaultFilterChain']>]> = l.filterChains.map((fc, i) => [`filter_chains[${i}]`, fc] as const);
  if (l.defaultFilterChain) chains.push(['default_filter_chain', l.defaultFilterChain]);
  for (const [chainPath, chain] of chains) {
    chain.filters.forEach((f: Filter, j: number) => {
      if (f.configType.case !== 'typedConfig') return;
      const path = `${at} ${chainPath}.filters[${j}].typed_config`;
      checkHcmAny(path, f.configType.value, routeNames, clusterNames, out);
      if (anyIs(f.configType.value, TcpProxySchema)) {
        const tcp = unpacked(TCP_PROXIES, f.configType.value, () => anyUnpack(f.configType.value as Any, TcpProxySchema));
        const spec = tcp?.clusterSpecifier;
        if (spec?.case === 'cluster') requireCluster(`${path} (TcpProxy).cluster`, spec.value, clusterNames, out);
        if (spec?.case === 'weightedClusters') {
          spec.value.clusters.forEach((wc, k) => requireCluster(`${path} (TcpProxy).weighted_clusters.clusters[${k}].name`, wc.name, clusterNames, out));
        }
      }
    });
  }
}

// Decoded once per Any: a listener the translation shares between snapshots (a proxyless
// `api_listener`, the same for every proxy) holds the same Any, which is read-only once packed.
const HCMS = new WeakMap<Any, HttpConnectionManager | undefined>();
const TCP_PROXIES = new WeakMap<Any, ReturnType<typeof anyUnpack<typeof TcpProxySchema>>>();

function unpacked<T>(memo: WeakMap<Any, T>, any: Any, decode: () => T): T {
  if (memo.has(any)) return memo.get(any) as T;
  const value = decode();
  memo.set(any, value);
  return value;
}

function checkHcmAny(path: string, any: Any, routeNames: Set<string>, clusterNames: Set<string>, out: SnapshotProblem[]): void {
  if (!anyIs(any, HttpConnectionManagerSchema)) return;
  const hcm: HttpConnectionManager | undefined = unpacked(HCMS, any, () => anyUnpack(any, HttpConnectionManagerSchema));
  const spec = hcm?.routeSpecifier;
  if (spec?.case === 'rds' && !routeNames.has(spec.value.routeConfigName)) {
    out.push({
      code: 'XDS_MISSING_ROUTE_CONFIG', where: `${path} (HttpConnectionManager).rds.route_config_name`, name: spec.value.routeConfigName,
      message: `${path} (HttpConnectionManager).rds.route_config_name is "${spec.value.routeConfigName}", but the snapshot has no RouteConfiguration of that name; add it or fix the name`,
    });
  }
  if (spec?.case === 'routeConfig') checkRouteConfig(`${path} (HttpConnectionManager).route_config`, spec.value, clusterNames, out);
}

function checkRouteConfig(at: string, rc: RouteConfiguration, clusterNames: Set<string>, out: SnapshotProblem[]): void {
  rc.virtualHosts.forEach((vh, i) => vh.routes.forEach((route, j) => {
    if (route.action.case !== 'route') return;
    const spec = route.action.value.clusterSpecifier;
    const path = `${at} virtual_hosts[${i}].routes[${j}].route`;
    if (spec.case === 'cluster') requireCluster(`${path}.cluster`, spec.value, clusterNames, out);
    if (spec.case === 'weightedClusters') {
      spec.value.clusters.forEach((wc, k) => requireCluster(`${path}.weighted_clusters.clusters[${k}].name`, wc.name, clusterNames, out));
    }
  }));
}

function checkCluster(c: Cluster, assignmentNames: Set<string>, out: SnapshotProblem[]): void {
  if (c.clusterDiscoveryType.case !== 'type' || c.clusterDiscoveryType.value !== Cluster_DiscoveryType.EDS) return;
  const serviceName = c.edsClusterConfig?.serviceName || c.name;
  if (assignmentNames.has(serviceName)) return;
  out.push({
    code: 'XDS_MISSING_ASSIGNMENT', where: `Cluster "${c.name}" eds_cluster_config.service_name`, name: serviceName,
    message: `Cluster "${c.name}" is type EDS and needs a ClusterLoadAssignment with cluster_name "${serviceName}" (eds_cluster_config.service_name, else the cluster name); the snapshot has none — add one (it may list no endpoints)`,
  });
}

function requireCluster(where: string, name: string, clusterNames: Set<string>, out: SnapshotProblem[]): void {
  if (clusterNames.has(name)) return;
  out.push({ code: 'XDS_MISSING_CLUSTER', where, name, message: `${where} is "${name}", but the snapshot has no Cluster of that name; add the Cluster or route elsewhere` });
}

const RESOURCE_TYPE: Record<ResourceKind, string> = { cluster: 'Cluster', endpoint: 'ClusterLoadAssignment', listener: 'Listener', route: 'RouteConfiguration', secret: 'Secret' };

/**
 * Violations per shared resource message: one the translation cache hands to many snapshots (marked reusable,
 * read-only by contract, as `pack-cache.ts` remembers its packing) is checked once. Any other message is checked
 * afresh, so a caller that edits a message between snapshots is judged on what it holds now.
 */
const VIOLATIONS = new WeakMap<object, readonly ConstraintViolation[]>();

function checkConstraints(kind: ResourceKind, r: XdsResource, out: SnapshotProblem[]): void {
  let found = VIOLATIONS.get(r);
  if (!found) {
    found = constraintViolations(RESOURCE_SCHEMA[kind], r as never, XDS_REGISTRY, 5);
    if (isReusable(r)) VIOLATIONS.set(r, found);
  }
  const name = resourceName(kind, r);
  for (const v of found) {
    const where = `${RESOURCE_TYPE[kind]} "${name}" ${v.path}`;
    out.push({
      code: 'XDS_PROTO_CONSTRAINT', where, name,
      message: `${where}: Envoy refuses this resource (NACK): ${envoyConstraintMessage(v)}; the value came from the input (run \`meshproof check\`: it names the field to fix) or from a meshproof bug`,
    });
  }
}

/** Unparsable values per shared resource message, as {@link VIOLATIONS}. */
const SYNTAX = new WeakMap<object, readonly SyntaxViolation[]>();

function checkSyntax(kind: ResourceKind, r: XdsResource, out: SnapshotProblem[]): void {
  if (kind === 'endpoint' || kind === 'secret') return;
  let found = SYNTAX.get(r);
  if (!found) {
    found = syntaxViolations(RESOURCE_SCHEMA[kind], r as never, undefined, 5);
    if (isReusable(r)) SYNTAX.set(r, found);
  }
  const name = resourceName(kind, r);
  for (const v of found) {
    const where = `${RESOURCE_TYPE[kind]} "${name}" ${v.path}`;
    const fix = v.kind === 'regex'
      ? 'write the pattern in RE2 syntax (no look-around, no back-references)'
      : 'write a literal percent sign as %% and a command as %NAME% or %NAME(arg)%';
    out.push({
      code: v.kind === 'regex' ? 'XDS_INVALID_REGEX' : 'XDS_INVALID_HEADER_VALUE', where, name,
      message: `${where}: Envoy refuses this resource (NACK): ${envoySyntaxMessage(v)}; ${fix}. The value came from the input (run \`meshproof check\`: it names the field to fix) or from a meshproof bug`,
    });
  }
}
