/**
 * The extension providers a proxy's CUSTOM AuthorizationPolicies name, resolved as istiod resolves
 * them (`pilot/pkg/security/authz/builder/extauthz.go`: `processExtensionProvider`, `getExtAuthz`;
 * `pilot/pkg/model/telemetry_logging.go` `LookupCluster`; `builder.go` `buildHTTP`). Pure.
 */
import type { MeshGraph } from '../graph.js';
import { extensionProvidersOf, isExtAuthzProvider } from '../extension-providers.js';
import { outboundClusterName } from './traffic-policy.js';
import type { AuthzPolicyView, CustomAuthzView, ExtAuthzView } from './types.js';

/**
 * One entry per provider named by the CUSTOM policies in `policies`, sorted by name. More than one
 * provider on a workload makes every one unusable (istiod without
 * `PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS`, its default; released versions refuse it too).
 */
export function customAuthzOf(graph: MeshGraph, policies: readonly AuthzPolicyView[]): CustomAuthzView[] {
  const names = [...new Set(policies.filter((p) => p.action === 'CUSTOM').map((p) => p.provider ?? ''))].sort();
  if (names.length === 0) return [];
  if (names.length > 1) {
    const error = `multiple CUSTOM authorization providers per workload requires the PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS feature flag, found ${names.length} providers: [${names.join(' ')}]`;
    return names.map((provider) => ({ provider, extAuthz: null, error }));
  }
  return names.map((provider) => resolveCustomProvider(graph, provider));
}

/**
 * One provider name as istiod resolves it for CUSTOM policies (`processExtensionProvider`,
 * `getExtAuthz`, `LookupCluster`): usable, or the reason istiod denies what its rules match.
 */
export function resolveCustomProvider(graph: MeshGraph, provider: string): CustomAuthzView {
  const all = extensionProvidersOf(graph.meshConfig);
  const p = all.byName.get(provider);
  if (!p || !isExtAuthzProvider(p)) {
    const available = [...all.byName.values()].filter(isExtAuthzProvider).map((x) => x.name);
    const why = p ? `"${provider}" is a ${p.kind} provider, not envoyExtAuthzHttp or envoyExtAuthzGrpc` : `available providers are [${available.join(' ')}] but found "${provider}"`;
    return { provider, extAuthz: null, error: why };
  }
  const problems = [...p.problems];
  const found = problems.length > 0 ? null : lookupCluster(graph, p.service, p.port);
  if (found && 'error' in found) problems.push(found.error);
  if (problems.length > 0 || !found || 'error' in found) {
    return { provider, extAuthz: null, error: `found errors in provider ${provider}: ${problems.join('; ')}` };
  }
  const view: ExtAuthzView = { ...p, host: found.host, cluster: found.cluster };
  return { provider, extAuthz: view, error: null };
}

/**
 * istiod `LookupCluster`: `<namespace>/<hostname>` finds that namespace's service of the host;
 * a bare hostname must name a host of exactly one namespace. Exact hostnames only (no short names,
 * no wildcard match), whatever `exportTo` says.
 */
function lookupCluster(graph: MeshGraph, service: string, port: number): { host: string; cluster: string } | { error: string } {
  const parts = service.split('/');
  const [namespace, host] = parts.length === 2 ? [parts[0]!, parts[1]!] : [null, service];
  const exact = graph.services.forHost(host, null).filter((s) => s.host === host);
  if (namespace !== null) {
    if (exact.some((s) => s.namespace === namespace)) return { host, cluster: outboundClusterName(port, undefined, host) };
  } else {
    const namespaces = [...new Set(exact.map((s) => s.namespace))];
    if (namespaces.length === 1) return { host, cluster: outboundClusterName(port, undefined, host) };
    if (namespaces.length > 1) return { error: `found ${service} in multiple namespaces [${namespaces.sort().join(' ')}], specify the namespace explicitly in the format of <Namespace>/<Hostname>` };
  }
  return { error: `could not find service ${service} in Istio service registry` };
}
