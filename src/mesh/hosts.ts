/**
 * Host names the way Istio reads them (pilot `host.Name`, `ResolveShortnameToFQDN`, exportTo).
 * All functions are pure.
 */

/** Kubernetes cluster domain suffix. @default 'cluster.local' */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/** How a host was written. */
export type HostForm = 'short' | 'partial' | 'fqdn' | 'wildcard';

export interface ResolvedHost {
  /**
   * The host Istio matches on (`ResolveShortnameToFQDN`): short names expanded, everything else as written,
   * letter case included. istiod keys services, DestinationRules and VirtualServices by this string and
   * compares it case-sensitively (`host.Name.Matches`); it lower-cases only where it builds Envoy virtual
   * hosts (their domains, and a sidecar's binding of VirtualService hosts to services: see `routeHostKey`).
   */
  readonly fqdn: string;
  readonly form: HostForm;
  /**
   * For `name.ns` / `name.ns.svc`: the Kubernetes service FQDN it looks like; for
   * `name.svc.<domain>` (namespace left out), that name in the resource's namespace. Istio does NOT
   * expand these in VirtualService or DestinationRule hosts; rules use this for "did you mean".
   */
  readonly likely?: string;
}

/**
 * Resolves a host as written in a resource in namespace `namespace`: `reviews` →
 * `reviews.<namespace>.svc.<domain>`; anything with a dot, and wildcards, as written.
 */
export function resolveHost(host: string, namespace: string, domain = DEFAULT_CLUSTER_DOMAIN): ResolvedHost {
  const h = host.trim();
  if (h.includes('*')) return { fqdn: h, form: 'wildcard' };
  if (!h.includes('.')) return { fqdn: `${h}.${namespace}.svc.${domain}`, form: 'short' };
  const labels = h.split('.');
  if (labels.length === 2) return { fqdn: h, form: 'partial', likely: `${h}.svc.${domain}` };
  if (labels.length === 3 && labels[2] === 'svc') return { fqdn: h, form: 'partial', likely: `${h}.${domain}` };
  // `name.svc.<domain>`: a service FQDN with the namespace left out; it names no Kubernetes Service.
  if (h === `${labels[0]}.svc.${domain}`) return { fqdn: h, form: 'fqdn', likely: `${labels[0]}.${namespace}.svc.${domain}` };
  return { fqdn: h, form: 'fqdn' };
}

/**
 * A host as `istioctl analyze` keys it (util.ConvertHostToFQDN): a short name (no dot, no `*`) expanded
 * in `namespace`, anything else exactly as written, case included. The analyzers compare these strings,
 * so `API.example.com` and `api.example.com` are two hosts to them.
 */
export function analyzerHostKey(host: string, namespace: string, domain = DEFAULT_CLUSTER_DOMAIN): string {
  return host.startsWith('*') || host.includes('.') ? host : `${host}.${namespace}.svc.${domain}`;
}

/**
 * A host as an Envoy virtual host keys it: lower case. istiod lower-cases a gateway's virtual host hosts
 * and domains (gateway.go buildGatewayRoutes) and, in a sidecar's outbound route configurations, both the
 * VirtualService hosts and the service hosts it binds them to (httproute.go selectVirtualServices,
 * BuildSidecarOutboundVirtualHosts; route.go separateVSHostsAndServices). Envoy matches the Host header
 * against domains case-insensitively at request time.
 */
export function routeHostKey(host: string): string {
  return host.toLowerCase();
}

/** The FQDN of a Kubernetes Service. */
export function serviceFqdn(name: string, namespace: string, domain = DEFAULT_CLUSTER_DOMAIN): string {
  return `${name}.${namespace}.svc.${domain}`.toLowerCase();
}

export function isWildcard(host: string): boolean {
  return host.startsWith('*');
}

/**
 * Whether `host` (concrete or wildcard) is covered by `pattern` (Istio `Name.Matches` when
 * `host` is concrete): `*` covers everything; `*.example.com` covers `a.example.com` and
 * `a.b.example.com` but not `example.com`; a wildcard host is covered by a wider or equal one.
 */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host || pattern === '*') return true;
  if (!isWildcard(pattern)) return false;
  const suffix = pattern.slice(1); // ".example.com"
  if (isWildcard(host)) return host !== '*' && host.slice(1).endsWith(suffix);
  return host.endsWith(suffix) && host.length > suffix.length;
}

/** Whether two hosts (either may be a wildcard) can name the same host (Istio `Name.Matches` both ways). */
export function hostsIntersect(a: string, b: string): boolean {
  return hostMatches(a, b) || hostMatches(b, a);
}

/**
 * Istio `exportTo` visibility: is a resource in `ownerNamespace` with this `exportTo` visible
 * to configuration and proxies in `fromNamespace`? `*` everywhere, `.` own namespace,
 * `~` nowhere, else namespace names. Absent or empty means the mesh default, `*`.
 */
export function isExportedTo(exportTo: readonly string[] | undefined, ownerNamespace: string, fromNamespace: string): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  for (const e of exportTo) {
    if (e === '*') return true;
    if (e === '.' ? ownerNamespace === fromNamespace : e === fromNamespace) return true;
  }
  return false;
}

/**
 * The suffixes a concrete host could be matched by as a wildcard, most specific first:
 * `a.b.example.com` → `*.b.example.com`, `*.example.com`, `*.com`, `*`.
 */
export function wildcardsCovering(host: string): string[] {
  const out: string[] = [];
  let i = host.indexOf('.');
  while (i !== -1) {
    out.push(`*${host.slice(i)}`);
    i = host.indexOf('.', i + 1);
  }
  out.push('*');
  return out;
}

/**
 * A Gateway server host as istiod's `model.CheckDuplicates` compares it when it merges the servers of a gateway proxy,
 * after `sanitizeServerHostNamespace` (pilot/pkg/model/gateway.go): the namespace `.` becomes the Gateway's own
 * (`./host` is `<namespace>/host`), the namespace `*` is dropped (`host`; a lone `*` host for any namespace and
 * host); anything else, letter case included, stays as written. So `./api.example.com` in `istio-ingress` and
 * `istio-ingress/api.example.com` repeat each other, as do `api.example.com` and the same host under namespace `*`,
 * while `shop/api.example.com` and `api.example.com` do not, though both serve SNI `api.example.com`.
 */
export function gatewayServerHostKey(entry: string, gatewayNamespace: string): string {
  const slash = entry.indexOf('/');
  if (slash < 0) return entry;
  const ns = entry.slice(0, slash);
  const rest = entry.slice(slash + 1);
  if (ns === '.') return `${gatewayNamespace}/${rest}`;
  if (ns === '*') return rest;
  return entry;
}

/**
 * A Gateway server host `[namespace/]host`: which namespaces' VirtualServices may bind
 * (`*` any, `.` the gateway's own, or a name) and the host pattern, letter case kept (istiod's
 * `NamesForNamespace` then `Intersection` compare server and VirtualService hosts case-sensitively).
 */
export function parseGatewayHost(entry: string, gatewayNamespace: string): { namespace: string; host: string } {
  const slash = entry.indexOf('/');
  if (slash < 0) return { namespace: '*', host: entry };
  const ns = entry.slice(0, slash);
  return { namespace: ns === '.' ? gatewayNamespace : ns, host: entry.slice(slash + 1) };
}
