import { DEFAULT_MESH_CONFIG, editDistance } from '../../../mesh/mesh-config.js';
import { extensionProvidersOf, isExtAuthzProvider } from '../../../mesh/extension-providers.js';
import { isDryRun } from '../../../mesh/policy.js';
import type { MeshObject } from '../../../mesh/object.js';
import { buildProxyView, proxyOf, resolveCustomProvider } from '../../../mesh/view/index.js';
import type { Rule } from '../../rule.js';
import { otherDomainHint } from '../references/_helpers.js';

const providerOf = (ap: MeshObject): string | null => {
  const p = ap.spec.provider;
  return typeof p === 'object' && p !== null && typeof (p as { name?: unknown }).name === 'string' ? (p as { name: string }).name : null;
};

/**
 * `security/custom-provider-unusable`: a CUSTOM AuthorizationPolicy whose extension provider istiod
 * cannot use, so the requests its rules match are denied instead of being checked by the authorizer.
 */
const customProviderUnusable: Rule = {
  id: 'security/custom-provider-unusable',
  severity: 'error',
  summary: 'A CUSTOM AuthorizationPolicy names an extension provider istiod cannot use (not in the MeshConfig, invalid, its service not found, or a second provider on the same workload), so every request its rules match is denied instead of checked; a dry-run CUSTOM policy denies too; a proxy without the provider\'s cluster cannot ask it.',
  docs: [
    'istiod enforces `action: CUSTOM` through the MeshConfig `extensionProviders` entry the policy names',
    '(`envoyExtAuthzHttp` or `envoyExtAuthzGrpc`): per provider, an RBAC filter in shadow mode marks the',
    'requests the rules match and Envoy\'s ext_authz filter asks the authorizer about them. When istiod cannot',
    'build the provider (`pilot/pkg/security/authz/builder`: `processExtensionProvider`, `getExtAuthz`) it logs',
    '"will generate deny configs" and puts the rules into an RBAC DENY filter (`-deny-due-to-bad-CUSTOM-action`):',
    'the name is not in `extensionProviders` or names another kind of provider; the entry is invalid (port,',
    'service, `statusOnError`, `pathPrefix`, a lone `*` header, a duplicate or non-DNS-label name); its service',
    '(`<namespace>/<hostname>`, or a hostname of exactly one namespace, as `LookupCluster` reads it) is in no',
    'Service or ServiceEntry; or the workload is selected by CUSTOM policies naming two providers (one per',
    'workload unless PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS; only workloads with a sidecar or gateway Envoy count). Users then see `403 RBAC: access denied` on',
    'exactly the requests that should have gone to the authorizer. A dry-run (`istio.io/dry-run`) CUSTOM policy',
    'is reported as a warning: istiod puts its rules into the RBAC filter\'s enforced DENY rules, so it denies',
    'what it matches instead of only logging; with an unusable provider it denies nothing until it is enforced, and',
    'its provider still counts toward the one provider per workload. Judged only when the MeshConfig is known (the `istio` ConfigMap in',
    'the input, or `--mesh-config`); policies binding through `targetRef(s)` are skipped. A usable provider whose',
    'service a sidecar or gateway does not import (its `exportTo`, or a Sidecar\'s egress hosts: `LookupCluster` ignores both,',
    'the proxy\'s clusters do not) leaves the ext_authz filter without a cluster: the requests the rules match are',
    'answered `statusOnError` (403), or let through unchecked with `failOpen`; that is reported too. A provider',
    'service in a namespace with no object in the input (another repository\'s) is an info finding, not an error.',
  ].join(' '),
  kinds: ['AuthorizationPolicy', 'ConfigMap', 'Service', 'ServiceEntry', 'Sidecar', 'Namespace', 'Deployment', 'Rollout', 'StatefulSet', 'DaemonSet', 'Pod', 'WorkloadEntry'],
  check(graph, ctx) {
    if (graph.meshConfigSource === null && graph.meshConfig === DEFAULT_MESH_CONFIG) return;
    const customs = graph.ofKind('AuthorizationPolicy').filter((ap) => ap.spec.action === 'CUSTOM' && ap.spec.targetRef === undefined && ap.spec.targetRefs === undefined);
    if (customs.length === 0) return;
    const known = [...extensionProvidersOf(graph.meshConfig).byName.values()].filter(isExtAuthzProvider).map((p) => p.name);
    const reported = new Set<MeshObject>();
    for (const ap of customs) {
      const name = providerOf(ap);
      if (name === null) continue; // validation/authorization-policy-structure reports a CUSTOM policy without provider.name
      const r = resolveCustomProvider(graph, name);
      if (r.error === null) continue;
      reported.add(ap);
      const near = known.find((k) => editDistance(k, name) <= 2);
      const fix = /available providers|not envoyExtAuthz/.test(r.error)
        ? (near ? `write "${near}"` : `add an envoyExtAuthzHttp or envoyExtAuthzGrpc entry named "${name}" to extensionProviders in the istio ConfigMap's MeshConfig${known.length > 0 ? `, or name one of ${known.map((k) => `"${k}"`).join(', ')}` : ''}`)
        : /could not find service/.test(r.error) && providerDomainHint(graph, name)
          ? providerDomainHint(graph, name)!
        : /could not find service|multiple namespaces/.test(r.error)
          ? `give the provider's service as <namespace>/<hostname> of a Service or ServiceEntry in the mesh (e.g. "auth/oauth2-proxy.auth.svc.${graph.clusterDomain}"), and deploy it`
          : 'correct the extensionProviders entry in the istio ConfigMap\'s MeshConfig';
      // istiod denies only what the ENFORCED rules of an unusable provider match (getBadCustomDenyRules
      // reads the provider's enforced rules): a dry-run policy's rules deny nothing then.
      const effect = isDryRun(ap)
        ? 'While the policy is dry-run this denies nothing (istiod builds the DENY rules of an unusable provider from enforced policies only), but once istio.io/dry-run is removed istiod denies every request its rules match (403 RBAC: access denied) instead of asking an authorizer'
        : 'istiod then denies every request this policy\'s rules match (403 RBAC: access denied) instead of asking an authorizer';
      // A service whose namespace has nothing in the input may live in another repository: say so, without failing the run.
      const elsewhere = /could not find service/.test(r.error) ? serviceNamespaceOutsideInput(graph, name) : null;
      if (elsewhere !== null) {
        ctx.report(ap, `CUSTOM policy names extension provider "${name}", whose service is not in the input (namespace ${elsewhere} has no object here): if it exists in the cluster, istiod asks it; if not, istiod denies every request this policy's rules match (403 RBAC: access denied). Fix: give its Service with --context (or the input) so the provider can be judged`,
          { path: ['spec', 'provider', 'name'], severity: 'info' });
        continue;
      }
      ctx.report(ap, `CUSTOM policy names extension provider "${name}", which istiod cannot use: ${r.error}. ${effect}. Fix: ${fix}`,
        { path: ['spec', 'provider', 'name'], ...(isDryRun(ap) ? { severity: 'warning' as const } : {}) });
    }
    // One provider per workload: CUSTOM policies of several providers on a workload all deny.
    for (const w of graph.workloads.all) {
      // Only an Envoy (sidecar or gateway) gets istiod's CUSTOM filters; ztunnel ignores selector CUSTOM policies.
      const { dataplane } = graph.membershipOf(w);
      if (dataplane === 'none' || dataplane === 'ambient') continue;
      const policies = graph.authorizationPoliciesFor(w).filter((ap) => customs.includes(ap));
      const names = [...new Set(policies.map(providerOf).filter((n): n is string => n !== null))].sort();
      if (names.length < 2) continue;
      for (const ap of policies) {
        if (reported.has(ap)) continue;
        reported.add(ap);
        const where = `workload ${w.namespace}/${w.name} is selected by CUSTOM policies naming ${names.length} providers (${names.map((n) => `"${n}"`).join(', ')}); istiod allows one provider per workload (unless PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS is set)`;
        const fix = 'Fix: use one provider for this workload\'s CUSTOM policies, or narrow the policies\' selectors so no workload gets two';
        // A dry-run policy's provider counts, but istiod's deny rules hold only the enforced policies' rules.
        if (isDryRun(ap)) {
          ctx.report(ap, `dry-run CUSTOM policy, and its provider still counts: ${where} and denies every request the workload's enforced CUSTOM policies match instead of asking an authorizer (the rules of this dry-run policy deny nothing). ${fix}`,
            { path: ['spec', 'provider', 'name'], severity: 'warning' });
        } else {
          ctx.report(ap, `${where} and denies every request their rules match instead of asking an authorizer. ${fix}`, { path: ['spec', 'provider', 'name'] });
        }
      }
    }
    // istiod's LookupCluster ignores exportTo, but a sidecar's clusters follow exportTo and its Sidecar's
    // egress hosts: the ext_authz filter then names a cluster its proxy does not have.
    for (const w of graph.workloads.all) {
      const { dataplane } = graph.membershipOf(w);
      if (dataplane !== 'sidecar' && dataplane !== 'gateway' && dataplane !== 'unknown') continue;
      const policies = graph.authorizationPoliciesFor(w).filter((ap) => customs.includes(ap) && !reported.has(ap) && !isDryRun(ap));
      if (policies.length === 0) continue;
      const view = buildProxyView(graph, proxyOf(graph, w));
      const clusters = new Set(view.clusters.map((c) => c.name));
      for (const custom of view.inbound?.customAuthz ?? []) {
        const p = custom.extAuthz;
        if (p === null || clusters.has(p.cluster)) continue;
        // Gateways ignore Sidecar resources; their clusters follow exportTo only.
        const hiddenBy = view.sidecar ? `the Sidecar's egress hosts or the service's exportTo` : 'the service\'s exportTo';
        const effect = p.failOpen ? 'let through unchecked (failOpen)' : `answered ${p.statusOnError ?? 403} (the ext_authz filter cannot reach the authorizer)`;
        for (const ap of policies.filter((x) => providerOf(x) === custom.provider)) {
          reported.add(ap);
          ctx.report(ap, `the ${dataplane === 'gateway' ? 'gateway' : 'sidecar'} proxy of workload ${w.namespace}/${w.name} has no cluster ${p.cluster} for extension provider "${custom.provider}": istiod finds ${p.service} whatever its exportTo (LookupCluster) and points the ext_authz filter at that cluster, but ${hiddenBy} keep${view.sidecar ? '' : 's'} it out of this proxy's clusters, so every request this policy's rules match is ${effect}. Fix: export the provider's service to namespace ${w.namespace} and, with a Sidecar, add ${p.host.includes('*') ? p.service : `${p.service.includes('/') ? p.service.split('/')[0] : '*'}/${p.host}`} to its egress hosts`,
            { path: ['spec', 'provider', 'name'] });
        }
      }
    }
    for (const ap of customs) {
      if (reported.has(ap) || !isDryRun(ap)) continue;
      ctx.report(ap, `dry-run CUSTOM policy: istiod puts the rules of a dry-run CUSTOM policy into the RBAC filter's enforced DENY rules (pilot authz builder since multiple CUSTOM providers per workload were introduced), so requests they match are denied (403) instead of only logged, and never reach the authorizer. Fix: remove the istio.io/dry-run annotation to enforce the policy through its provider, or delete the policy while it is being tried`,
        { path: ['metadata', 'annotations', 'istio.io/dry-run'], severity: 'warning' });
    }
  },
};

/**
 * For a provider service `<name>.<ns>.svc.<domain>` of an input Service under another domain than the cluster
 * domain: which domain was assumed and how to tell meshproof (`otherDomainHint`); for `<name>.svc.<domain>`, the
 * namespace left out, when one Service of the input has that name: its FQDN; else undefined.
 */
function providerDomainHint(graph: Parameters<Rule['check']>[0], name: string): string | undefined {
  const p = extensionProvidersOf(graph.meshConfig).byName.get(name);
  if (!isExtAuthzProvider(p)) return undefined;
  const host = p.service.includes('/') ? p.service.slice(p.service.indexOf('/') + 1) : p.service;
  const domainHint = otherDomainHint(graph, host);
  if (domainHint) return domainHint;
  // `<name>.svc.<domain>` (or `<name>.svc`): the namespace is missing; name the one Service of that name.
  const m = /^([^.]+)\.svc(?:\.(.+))?$/.exec(host);
  if (!m || (m[2] !== undefined && m[2] !== graph.clusterDomain)) return undefined;
  const named = graph.ofKind('Service').filter((s) => s.name === m[1]);
  if (named.length !== 1) return undefined;
  return `"${host}" has no namespace, and Istio does not expand it: write "${named[0]!.namespace}/${m[1]}.${named[0]!.namespace}.svc.${graph.clusterDomain}" for Service ${named[0]!.namespace}/${m[1]}`;
}

/**
 * The namespace of provider `name`'s service when no object of the input lives there (the input is
 * then partial: the service may exist in the cluster); null when the namespace is in the input or
 * cannot be told (a bare host outside the cluster domain).
 */
function serviceNamespaceOutsideInput(graph: Parameters<Rule['check']>[0], name: string): string | null {
  const p = extensionProvidersOf(graph.meshConfig).byName.get(name);
  if (!isExtAuthzProvider(p)) return null;
  const [nsPart, host] = p.service.includes('/') ? p.service.split('/', 2) as [string, string] : [null, p.service];
  const suffix = `.svc.${graph.clusterDomain}`;
  const namespace = nsPart ?? (host.endsWith(suffix) ? host.slice(0, -suffix.length).split('.')[1] ?? null : null);
  if (namespace === null || namespace === '') return null;
  return graph.namespaces().includes(namespace) ? null : namespace;
}

export default customProviderUnusable;
