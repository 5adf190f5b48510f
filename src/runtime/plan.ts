/**
 * What the in-cluster runtime runs, computed once from the mesh model of `dist/`: an echo backend
 * per app workload version (its pod labels and container ports), one caller proxy per namespace
 * with sidecars (the first sidecar workload, as verify's embedded runtime picks it), one gateway
 * proxy per gateway workload, the ports each proxy listens on (from the translator's listeners), and
 * the smoke targets: for each proxy, each virtual host of its outbound HTTP route tables that routes
 * to Services backed by echo pods (expected: an answer from a workload those Services select) or
 * answers a redirect (expected: that status and Location).
 */
import type { MeshGraph } from '../mesh/graph.js';
import type { Workload } from '../mesh/workloads.js';
import { buildProxyView, proxyOf } from '../mesh/view/index.js';
import { translateProxy } from '../xds/translate/index.js';

/** One workload version served by an echo backend. */
export interface EchoWorkloadPlan {
  readonly namespace: string;
  /** The app's workload (Deployment) name; the echo answers with it. */
  readonly workload: string;
  /** The pod template labels, copied so the app's Services and subsets select the echo pods. */
  readonly labels: Readonly<Record<string, string>>;
  /** Container ports (sorted, unique), with their names when the app named them. */
  readonly ports: readonly { readonly port: number; readonly name?: string }[];
}

/** One expectation of the traffic smoke test. */
export interface SmokeTarget {
  /** `Host` header sent (the virtual host's first domain, with the port when it is not 80). */
  readonly host: string;
  readonly port: number;
  /** Echo workloads (`<ns>/<name>`) allowed to answer; empty when a redirect is expected. */
  readonly workloads: readonly string[];
  /** The redirect status and Location expected instead of an echo answer. */
  readonly redirect?: { readonly status: number; readonly location: string };
}

/** A virtual host the smoke test leaves out, and why. */
export interface SkippedTarget {
  readonly host: string;
  readonly port: number;
  readonly reason: string;
}

/** A caller sidecar or gateway run as `meshproof proxy`. */
export interface ProxyPlan {
  readonly role: 'sidecar' | 'gateway';
  /** The ADS node id, `<namespace>/<workload>`, the workload whose per-proxy view it is served. */
  readonly nodeId: string;
  /** The workload's namespace (the proxy itself runs in `meshproof-system`). */
  readonly namespace: string;
  readonly workload: string;
  /** Listener ports of its outbound HTTP listeners (`0.0.0.0_<port>`), sorted. */
  readonly ports: readonly number[];
  readonly targets: readonly SmokeTarget[];
  /** Echo-backed virtual hosts left out (their clusters demand upstream mTLS the echo pods cannot answer). */
  readonly skipped: readonly SkippedTarget[];
}

export interface RuntimePlan {
  readonly echoes: readonly EchoWorkloadPlan[];
  readonly proxies: readonly ProxyPlan[];
}

const HCM = 'envoy.filters.network.http_connection_manager';
const CLUSTER = /^outbound\|(\d+)\|([^|]*)\|(.+)$/;

/** The runtime for `graph`, deterministic (sorted by namespace and name). */
export function planRuntime(graph: MeshGraph): RuntimePlan {
  const byName = (a: Workload, b: Workload) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
  const workloads = [...graph.workloads.all].filter((w) => w.kind !== 'WorkloadEntry').sort(byName);
  const echoed = workloads.filter((w) => graph.membershipOf(w).dataplane !== 'gateway' && w.containerPorts.length > 0);
  const echoes = echoed.map((w): EchoWorkloadPlan => {
    const ports = new Map<number, string | undefined>();
    for (const p of w.containerPorts) if (!ports.has(p.containerPort) || p.name) ports.set(p.containerPort, p.name ?? ports.get(p.containerPort));
    return {
      namespace: w.namespace, workload: w.name, labels: { ...w.labels },
      ports: [...ports].sort((a, b) => a[0] - b[0]).map(([port, name]) => (name ? { port, name } : { port })),
    };
  });
  const echoedSet = new Set(echoed);
  const callers = new Map<string, Workload>();
  for (const w of workloads) if (graph.membershipOf(w).dataplane === 'sidecar' && !callers.has(w.namespace)) callers.set(w.namespace, w);
  const gateways = workloads.filter((w) => graph.membershipOf(w).dataplane === 'gateway');
  const proxies = [...[...callers.values()].map((w) => planProxy(graph, w, 'sidecar', echoedSet)), ...gateways.map((w) => planProxy(graph, w, 'gateway', echoedSet))];
  return { echoes, proxies };
}

function planProxy(graph: MeshGraph, w: Workload, role: 'sidecar' | 'gateway', echoed: ReadonlySet<Workload>): ProxyPlan {
  const set = translateProxy(buildProxyView(graph, proxyOf(graph, w)), []);
  const ports = set.listeners
    .filter((l) => l.name.startsWith('0.0.0.0_') && l.filterChains.length > 0 && l.filterChains.every((fc) => fc.filters.some((f) => f.name === HCM) && !fc.transportSocket))
    .map((l) => Number(l.name.slice('0.0.0.0_'.length)))
    .filter((p) => Number.isInteger(p))
    .sort((a, b) => a - b);
  const targets: SmokeTarget[] = [];
  const skipped: SkippedTarget[] = [];
  // Clusters whose upstream is always TLS (ISTIO_MUTUAL toward workloads with sidecars, SIMPLE, MUTUAL):
  // the echo pods have no sidecar to terminate it. AUTO (transport_socket_matches) is plaintext to them.
  const tlsClusters = new Set(set.clusters.filter((c) => c.transportSocket !== undefined && c.transportSocket.name !== 'envoy.transport_sockets.raw_buffer').map((c) => c.name));
  for (const port of ports) {
    const table = set.routes.find((r) => r.name === String(port) || r.name === `http.${port}`);
    for (const vh of table?.virtualHosts ?? []) {
      const domain = vh.domains[0];
      if (!domain || domain.includes('*')) continue;
      // A gateway listens on its pod's port (Service 80 → 8080) and its route configurations ignore the
      // Host port (as istiod's): send the bare host, as a client of the Service's port 80 or 443 does.
      const host = port === 80 || role === 'gateway' ? domain : `${domain}:${port}`;
      const first = vh.routes[0];
      if (first?.action.case === 'redirect' && vh.routes.length === 1) {
        const r = first.action.value;
        const code = ({ 0: 301, 1: 302, 2: 303, 3: 307, 4: 308 } as Record<number, number>)[r.responseCode] ?? 301;
        if (r.schemeRewriteSpecifier.case === 'httpsRedirect' && r.schemeRewriteSpecifier.value) targets.push({ host, port, workloads: [], redirect: { status: code, location: `https://${domain}/` } });
        continue;
      }
      const allowed = allowedWorkloads(graph, vh.routes, echoed);
      if (allowed === null || allowed.length === 0) continue;
      const tls = clustersOf(vh.routes).filter((c) => tlsClusters.has(c));
      if (tls.length > 0) skipped.push({ host, port, reason: `upstream TLS on ${tls[0]}${tls.length > 1 ? ` and ${tls.length - 1} more` : ''} (ISTIO_MUTUAL: the destination has sidecars in dist/); the echo pods have no sidecar to terminate it` });
      else targets.push({ host, port, workloads: allowed });
    }
  }
  return { role, nodeId: `${w.namespace}/${w.name}`, namespace: w.namespace, workload: w.name, ports, targets, skipped };
}

function clustersOf(routes: readonly { action: { case?: string; value?: unknown } }[]): string[] {
  return routes.flatMap((r) => {
    if (r.action.case !== 'route') return [];
    const spec = (r.action.value as { clusterSpecifier: { case?: string; value?: unknown } }).clusterSpecifier;
    return spec.case === 'cluster' ? [spec.value as string] : spec.case === 'weightedClusters' ? (spec.value as { clusters: { name: string }[] }).clusters.map((c) => c.name) : [];
  });
}

/**
 * Echo workloads that may answer a plain `GET /` on the virtual host: those selected by the
 * Services its routes' clusters name (any route: which one a plain request takes is the static
 * judgement's business). Null when a route leaves the mesh's echo pods (a ServiceEntry, a
 * passthrough or a direct response), so no precise expectation can be stated.
 */
function allowedWorkloads(graph: MeshGraph, routes: readonly { action: { case?: string; value?: unknown } }[], echoed: ReadonlySet<Workload>): string[] | null {
  const names = new Set<string>();
  for (const r of routes) {
    if (r.action.case !== 'route') return null;
    const spec = (r.action.value as { clusterSpecifier: { case?: string; value?: unknown } }).clusterSpecifier;
    const clusters = spec.case === 'cluster' ? [spec.value as string] : spec.case === 'weightedClusters' ? (spec.value as { clusters: { name: string }[] }).clusters.map((c) => c.name) : [];
    if (clusters.length === 0) return null;
    for (const c of clusters) {
      const m = CLUSTER.exec(c);
      if (!m) return null;
      const services = graph.services.all.filter((s) => s.host === m[3] && s.kind === 'Service' && s.selector);
      if (services.length === 0) return null;
      for (const s of services) {
        const selected = graph.workloadsSelectedBy(s.namespace, s.selector!).filter((w) => echoed.has(w));
        if (selected.length === 0) return null;
        for (const w of selected) names.add(`${w.namespace}/${w.name}`);
      }
    }
  }
  return [...names].sort();
}
