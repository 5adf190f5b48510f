// What Istio's ValidateEnvoyFilter (pkg/config/validation/envoyfilter/envoyfilter.go) finds in each `configPatches`
// entry without decoding `patch.value`: missing parts, an invalid proxyVersion regex, an applyTo whose match is of
// another class, filter and sub-filter matches it cannot use, and (warnings) deprecated filter names, a filter match
// on LISTENER/FILTER_CHAIN, an over-long proxyVersion.
import { isRecord } from '../../../mesh/object.js';
import { re2 } from '../../../validate/re2.js';
import type { FieldPath } from '../../types.js';

/** One finding: Istio's words plus advice, the field (absolute path), and whether Istio only warns. */
export interface PatchFinding {
  readonly message: string;
  readonly path: FieldPath;
  readonly warning: boolean;
}

const HCM = 'envoy.filters.network.http_connection_manager';
const MAX_PROXY_VERSION = 1024;
const LISTENER_CLASS = ['LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER'];
const ROUTE_CLASS = ['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE'];
const MATCH_KINDS = ['listener', 'routeConfiguration', 'cluster'];

/** Istio's xds.DeprecatedFilterNames, reversed: the retired name → the one to use (envoy.ext_authz is both an HTTP and a network filter). */
const DEPRECATED_FILTER_NAMES: Readonly<Record<string, string>> = {
  'envoy.buffer': 'envoy.filters.http.buffer', 'envoy.cors': 'envoy.filters.http.cors', 'envoy.csrf': 'envoy.filters.http.csrf',
  'envoy.http_dynamo_filter': 'envoy.filters.http.dynamo', 'envoy.ext_authz': 'envoy.filters.http.ext_authz (or envoy.filters.network.ext_authz)',
  'envoy.fault': 'envoy.filters.http.fault', 'envoy.grpc_http1_bridge': 'envoy.filters.http.grpc_http1_bridge',
  'envoy.grpc_json_transcoder': 'envoy.filters.http.grpc_json_transcoder', 'envoy.grpc_web': 'envoy.filters.http.grpc_web', 'envoy.gzip': 'envoy.filters.http.gzip',
  'envoy.health_check': 'envoy.filters.http.health_check', 'envoy.ip_tagging': 'envoy.filters.http.ip_tagging', 'envoy.lua': 'envoy.filters.http.lua',
  'envoy.rate_limit': 'envoy.filters.http.ratelimit', 'envoy.router': 'envoy.filters.http.router', 'envoy.squash': 'envoy.filters.http.squash',
  'envoy.listener.http_inspector': 'envoy.filters.listener.http_inspector', 'envoy.listener.original_dst': 'envoy.filters.listener.original_dst',
  'envoy.listener.original_src': 'envoy.filters.listener.original_src', 'envoy.listener.proxy_protocol': 'envoy.filters.listener.proxy_protocol',
  'envoy.listener.tls_inspector': 'envoy.filters.listener.tls_inspector', 'envoy.client_ssl_auth': 'envoy.filters.network.client_ssl_auth',
  'envoy.http_connection_manager': HCM, 'envoy.mongo_proxy': 'envoy.filters.network.mongo_proxy', 'envoy.ratelimit': 'envoy.filters.network.ratelimit',
  'envoy.redis_proxy': 'envoy.filters.network.redis_proxy', 'envoy.tcp_proxy': 'envoy.filters.network.tcp_proxy',
};

const given = (v: unknown): boolean => v !== undefined && v !== null;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The deprecated-name warning for a filter or sub-filter match name, if any. */
function deprecatedName(name: string, path: FieldPath): PatchFinding[] {
  const instead = DEPRECATED_FILTER_NAMES[name];
  return instead ? [{ message: `Envoy filter: using deprecated filter name ${JSON.stringify(name)}; use ${JSON.stringify(instead)} instead`, path, warning: true }] : [];
}

/**
 * The findings of `spec.configPatches[i]`, in the order ValidateEnvoyFilter makes them; like Istio, a patch stops at
 * its first error (a missing part, a bad regex, a mismatched match class, an unusable filter match). Patches with
 * `match.context: WAYPOINT` are not validated (Istio skips them).
 */
export function patchFindings(cp: Readonly<Record<string, unknown>>, i: number): PatchFinding[] {
  const at: FieldPath = ['spec', 'configPatches', i];
  const where = `spec.configPatches[${i}]`;
  const match = isRecord(cp.match) ? cp.match : undefined;
  if (match?.context === 'WAYPOINT') return [];
  const error = (message: string, path: FieldPath): PatchFinding[] => [{ message, path, warning: false }];
  const applyTo = str(cp.applyTo);
  if (applyTo === '' || applyTo === 'INVALID') {
    return error(`Envoy filter: missing applyTo: ${where} says not what to patch; set applyTo (HTTP_FILTER, NETWORK_FILTER, CLUSTER, …)`, at);
  }
  const patch = isRecord(cp.patch) ? cp.patch : undefined;
  if (!patch) return error(`Envoy filter: missing patch: ${where} has no patch; add patch: {operation: …, value: …}`, at);
  const op = str(patch.operation);
  if (op === '' || op === 'INVALID') return error(`Envoy filter: missing patch operation: ${where}.patch has no operation; set MERGE, ADD, INSERT_BEFORE, REMOVE, …`, [...at, 'patch']);
  if (op !== 'REMOVE' && !given(patch.value)) {
    return error(`Envoy filter: missing patch value for non-remove operation: ${where}.patch is ${op} without value; add the Envoy configuration to ${op === 'MERGE' ? 'merge' : 'insert'}`, [...at, 'patch']);
  }
  const out: PatchFinding[] = [];
  const version = isRecord(match?.proxy) ? str(match.proxy.proxyVersion) : '';
  if (version.length > MAX_PROXY_VERSION) {
    out.push({ message: `Envoy filter: proxyVersion match exceeds ${MAX_PROXY_VERSION} characters and will be ignored: ${where}.match.proxy.proxyVersion; match a version such as ^1\\.2[0-9].*`, path: [...at, 'match', 'proxy', 'proxyVersion'], warning: true });
  } else if (version !== '') {
    try {
      re2(version);
    } catch (e) {
      return [...out, ...error(`Envoy filter: invalid regex for proxy version, [${(e as Error).message}]: ${where}.match.proxy.proxyVersion is ${JSON.stringify(version)}; write an RE2 regex such as ^1\\.2[0-9].*`, [...at, 'match', 'proxy', 'proxyVersion'])];
    }
  }
  // Istio tests `match.ObjectTypes != nil`: one of listener, routeConfiguration, cluster (or waypoint) is set.
  const kind = match ? MATCH_KINDS.find((k) => isRecord(match[k])) ?? (isRecord(match.waypoint) ? 'waypoint' : undefined) : undefined;
  if (!kind) return [...out, ...v2TypeFindings(patch.value, [...at, 'patch', 'value'], where)];
  const wrong = (cls: string, want: string, field: string) => error(`Envoy filter: applyTo for ${cls} class objects cannot have non ${want} match: ${where} applies to ` +
    `${applyTo} but matches a ${kind}; select what it patches with match.${field}`, [...at, 'match', kind]);
  if (LISTENER_CLASS.includes(applyTo)) {
    if (kind !== 'listener') return [...out, ...wrong('listener', 'listener', 'listener')];
    const listener = match!.listener as Record<string, unknown>;
    const chain = isRecord(listener.filterChain) ? listener.filterChain : undefined;
    const filter = chain && isRecord(chain.filter) ? chain.filter : undefined;
    if (!filter) return out;
    const fpath: FieldPath = [...at, 'match', 'listener', 'filterChain', 'filter'];
    if (applyTo === 'LISTENER' || applyTo === 'FILTER_CHAIN') {
      out.push({ message: `Envoy filter: filter match has no effect when used with ${applyTo}: ${where} patches the whole ${applyTo === 'LISTENER' ? 'listener' : 'filter chain'} ` +
        'whatever filter it holds; remove match.listener.filterChain.filter, or apply to NETWORK_FILTER / HTTP_FILTER', path: fpath, warning: true });
    }
    const name = str(filter.name);
    if (name === '') return [...out, ...error(`Envoy filter: filter match has no name to match on: ${where}.match.listener.filterChain.filter; set its name (e.g. ${HCM})`, fpath)];
    const sub = isRecord(filter.subFilter) ? filter.subFilter : undefined;
    if (sub) {
      if (applyTo !== 'HTTP_FILTER') return [...out, ...error(`Envoy filter: subfilter match can be used with applyTo HTTP_FILTER only: ${where} applies to ${applyTo}; remove subFilter, or apply to HTTP_FILTER`, [...fpath, 'subFilter'])];
      if (name !== HCM && name !== 'envoy.http_connection_manager') {
        return [...out, ...error(`Envoy filter: subfilter match requires filter match with ${HCM}: ${where} matches filter ${JSON.stringify(name)}; HTTP filters live in the HTTP connection manager`, [...fpath, 'name'])];
      }
      if (str(sub.name) === '') return [...out, ...error(`Envoy filter: subfilter match has no name to match on: ${where}.match.listener.filterChain.filter.subFilter; set its name (e.g. envoy.filters.http.router)`, [...fpath, 'subFilter'])];
    }
    out.push(...deprecatedName(name, [...fpath, 'name']));
    if (sub) out.push(...deprecatedName(str(sub.name), [...fpath, 'subFilter', 'name']));
    return [...out, ...v2TypeFindings(patch.value, [...at, 'patch', 'value'], where)];
  }
  // The route and cluster class mismatches do not stop Istio: the value is still decoded.
  if (ROUTE_CLASS.includes(applyTo) && kind !== 'routeConfiguration') out.push(...wrong('http route', 'route configuration', 'routeConfiguration'));
  if (applyTo === 'CLUSTER' && kind !== 'cluster') out.push(...wrong('cluster', 'cluster', 'cluster'));
  return [...out, ...v2TypeFindings(patch.value, [...at, 'patch', 'value'], where)];
}

/** An Envoy v2 API type URL (`type.googleapis.com/envoy.config.filter.http.lua.v2.Lua`, `envoy.api.v2.Cluster`): removed from Envoy and istiod. */
const V2_TYPE = /^(?:type\.googleapis\.com\/)?envoy\.(?:[\w]+\.)*v2\.[\w.]+$/;

/**
 * The `@type` URLs of Envoy's retired v2 API in a patch value, which xds.BuildXDSObjectFromStruct cannot resolve:
 * Istio refuses the patch ("referenced type unknown (hint: try using the v3 XDS API)"). Only the first is told.
 */
function v2TypeFindings(value: unknown, at: FieldPath, where: string): PatchFinding[] {
  const found = findV2Type(value, at);
  if (!found) return [];
  const [url, path] = found;
  const v3 = v3TypeOf(url);
  return [{ message: `referenced type unknown (hint: try using the v3 XDS API): could not resolve Any message type: ${url}: ${where}.patch.value uses Envoy's ` +
    `retired v2 API; ${v3 ? `write its v3 type, type.googleapis.com/${v3}` : 'write the v3 type (e.g. type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua for envoy.config.filter.http.lua.v2.Lua)'}`, path, warning: false }];
}

/** The v3 package of each v2 `envoy.api.v2` resource type (Envoy's API migration: `envoy.api.v2.Cluster` → `envoy.config.cluster.v3.Cluster`). */
const V2_RESOURCES: Readonly<Record<string, string>> = {
  Cluster: 'cluster', Listener: 'listener', RouteConfiguration: 'route', ClusterLoadAssignment: 'endpoint', ScopedRouteConfiguration: 'route',
};

/** The v3 type that replaced a v2 type URL, when Envoy's migration maps it by package; undefined otherwise. */
function v3TypeOf(url: string): string | undefined {
  const name = url.replace(/^type\.googleapis\.com\//, '');
  let m = /^envoy\.api\.v2\.(\w+)$/.exec(name);
  if (m && V2_RESOURCES[m[1]!]) return `envoy.config.${V2_RESOURCES[m[1]!]}.v3.${m[1]}`;
  m = /^envoy\.api\.v2\.(route|core|listener|cluster|endpoint)\.(\w+)$/.exec(name);
  if (m) return `envoy.config.${m[1]}.v3.${m[2]}`;
  m = /^envoy\.api\.v2\.auth\.(\w+)$/.exec(name);
  if (m) return `envoy.extensions.transport_sockets.tls.v3.${m[1]}`;
  m = /^envoy\.config\.filter\.(http|network|listener)\.(\w+)\.v2\w*\.(\w+)$/.exec(name);
  if (m) return `envoy.extensions.filters.${m[1]}.${m[2]}.v3.${m[3]}`;
  return undefined;
}

function findV2Type(value: unknown, at: FieldPath): [string, FieldPath] | undefined {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = findV2Type(v, [...at, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const type = value['@type'];
  if (typeof type === 'string' && V2_TYPE.test(type)) return [type, [...at, '@type']];
  for (const [k, v] of Object.entries(value)) {
    const found = findV2Type(v, [...at, k]);
    if (found) return found;
  }
  return undefined;
}

/** Whether ValidateAlphaWorkloadSelector refuses the EnvoyFilter's workloadSelector labels (an empty key or a `*`): Istio then validates no patch. */
export function selectorRefused(spec: Readonly<Record<string, unknown>>): boolean {
  const labels = isRecord(spec.workloadSelector) && isRecord(spec.workloadSelector.labels) ? spec.workloadSelector.labels : {};
  return Object.entries(labels).some(([k, v]) => k === '' || k.includes('*') || (typeof v === 'string' && v.includes('*')));
}
