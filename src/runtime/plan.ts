/**
 * What the in-cluster runtime runs, computed once from the mesh model of `dist/` and the promises:
 * an echo backend per app workload version (its pod labels, service account and container ports;
 * with a sidecar, an inbound sidecar proxy beside it), one caller proxy per caller the promises need
 * (`pickCaller`: the view of a sidecar workload and the identity it holds, as verify's embedded
 * runtime sends them; without promises, the first sidecar workload of each namespace), one gateway
 * proxy per gateway workload, the ports each proxy listens on (from the translator's listeners), and
 * the smoke targets of the gateways: each virtual host of their HTTP route tables that routes in
 * plaintext to Services backed by echo pods (expected: an answer from a workload those Services
 * select) or answers a redirect (expected: that status and Location).
 */
import type { MeshGraph } from '../mesh/graph.js';
import type { Workload } from '../mesh/workloads.js';
import { buildProxyView, proxyOf } from '../mesh/view/index.js';
import { translateProxy } from '../xds/translate/index.js';
import type { Expectation } from '../verify/expectations/types.js';
import { portOf } from '../verify/runtime/index.js';
import { pickCaller, type PickedCaller } from '../verify/runtime/pick-caller.js';

/** One workload version served by an echo backend. */
export interface EchoWorkloadPlan {
  readonly namespace: string;
  /** The app's workload (Deployment) name; the echo answers with it. */
  readonly workload: string;
  /** The pod template labels, copied so the app's Services and subsets select the echo pods. */
  readonly labels: Readonly<Record<string, string>>;
  /** The pod's service account: its SPIFFE identity, `spiffe://<trust domain>/ns/<namespace>/sa/<serviceAccount>`. */
  readonly serviceAccount: string;
  /** Whether the workload has a sidecar in dist/ (an inbound sidecar proxy stands in front of the echo). */
  readonly sidecar: boolean;
  /** Container ports (sorted, unique), with their names when the app named them. */
  readonly ports: readonly { readonly port: number; readonly name?: string }[];
  /**
   * `spec.ports` of the first app Service (by name) that selects the workload, as written: the echo's
   * headless Service repeats them, so the two never disagree on a port's protocol (Istio keeps one per
   * workload port). Empty when no Service selects it.
   */
  readonly servicePorts: readonly Readonly<Record<string, unknown>>[];
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
  /**
   * The ADS node id, `<namespace>/<workload>`, the workload whose per-proxy view it is served; with
   * `?as=<namespace>/<service account>` when it holds another identity (see `src/verify/external/placement.ts`).
   */
  readonly nodeId: string;
  /** The workload's namespace (the proxy itself runs in `meshproof-system`). */
  readonly namespace: string;
  readonly workload: string;
  /** The identity it holds when not the workload's own (a borrowed caller identity). */
  readonly as?: { readonly namespace: string; readonly serviceAccount: string };
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

/**
 * The callers the promises send from (`pickCaller` for each mesh request and circuit breaker, as
 * verify's runtimes pick them), sorted; without such promises, the first sidecar workload of each
 * namespace holding its own identity.
 */
function callersFor(graph: MeshGraph, workloads: readonly Workload[], expectations: readonly Expectation[]): PickedCaller[] {
  const picked = new Map<string, PickedCaller>();
  for (const e of expectations) {
    let p: PickedCaller | undefined;
    if (e.outcome.kind === 'circuit-breaker') {
      const host = e.outcome.destination.host;
      const namespace = /^[^.]+\.([^.]+)\.svc\./.exec(host)?.[1];
      if (namespace !== undefined) p = pickCaller(graph, namespace, host, portOf(graph, { host, path: '/', method: 'GET', headers: {}, via: { kind: 'mesh', namespace } }));
    } else if (e.request?.via.kind === 'mesh' && e.wantMatch !== false) {
      p = pickCaller(graph, e.request.via.namespace, e.request.host, portOf(graph, e.request));
    }
    if (p) picked.set(`${p.workload.namespace}/${p.workload.name} ${p.namespace}/${p.serviceAccount}`, p);
  }
  if (picked.size === 0) {
    for (const w of workloads) {
      if (graph.membershipOf(w).dataplane === 'sidecar' && ![...picked.values()].some((p) => p.workload.namespace === w.namespace)) picked.set(w.namespace, { workload: w, namespace: w.namespace, serviceAccount: w.serviceAccount });
    }
  }
  return [...picked.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, p]) => p);
}

/** The runtime for `graph` and its promises, deterministic (sorted by namespace and name). */
export function planRuntime(graph: MeshGraph, expectations: readonly Expectation[] = []): RuntimePlan {
  const byName = (a: Workload, b: Workload) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
  const workloads = [...graph.workloads.all].filter((w) => w.kind !== 'WorkloadEntry').sort(byName);
  const echoed = workloads.filter((w) => graph.membershipOf(w).dataplane !== 'gateway' && w.containerPorts.length > 0);
  const echoes = echoed.map((w): EchoWorkloadPlan => {
    const ports = new Map<number, string | undefined>();
    for (const p of w.containerPorts) if (!ports.has(p.containerPort) || p.name) ports.set(p.containerPort, p.name ?? ports.get(p.containerPort));
    return {
      namespace: w.namespace, workload: w.name, labels: { ...w.labels }, serviceAccount: w.serviceAccount, sidecar: graph.membershipOf(w).dataplane === 'sidecar',
      ports: [...ports].sort((a, b) => a[0] - b[0]).map(([port, name]) => (name ? { port, name } : { port })),
      servicePorts: servicePortsOf(graph, w),
    };
  });
  const echoedSet = new Set(echoed);
  const gateways = workloads.filter((w) => graph.membershipOf(w).dataplane === 'gateway');
  const proxies = [...callersFor(graph, workloads, expectations).map((p) => planProxy(graph, p.workload, 'sidecar', echoedSet, p)), ...gateways.map((w) => planProxy(graph, w, 'gateway', echoedSet))];
  return { echoes, proxies };
}

function planProxy(graph: MeshGraph, w: Workload, role: 'sidecar' | 'gateway', echoed: ReadonlySet<Workload>, picked?: PickedCaller): ProxyPlan {
  const borrowed = picked && (picked.namespace !== w.namespace || picked.serviceAccount !== w.serviceAccount) ? { namespace: picked.namespace, serviceAccount: picked.serviceAccount } : undefined;
  const set = translateProxy(buildProxyView(graph, proxyOf(graph, w)), []);
  const ports = set.listeners
    .filter((l) => l.name.startsWith('0.0.0.0_') && l.filterChains.length > 0 && l.filterChains.every((fc) => fc.filters.some((f) => f.name === HCM) && !fc.transportSocket))
    .map((l) => Number(l.name.slice('0.0.0.0_'.length)))
    .filter((p) => Number.isInteger(p))
    .sort((a, b) => a - b);
  const targets: SmokeTarget[] = [];
  const skipped: SkippedTarget[] = [];
  const nodeId = `${w.namespace}/${w.name}${borrowed ? `?as=${borrowed.namespace}/${borrowed.serviceAccount}` : ''}`;
  // Sidecar callers are proven by `verify --runtime` (the promises); the smoke test sends through gateways only.
  if (role === 'sidecar') return { role, nodeId, namespace: w.namespace, workload: w.name, ...(borrowed ? { as: borrowed } : {}), ports, targets, skipped };
  // Clusters whose upstream is always TLS (ISTIO_MUTUAL, SIMPLE, MUTUAL) or auto mTLS toward echo pods
  // with inbound sidecars: the gateway's requests there meet the destinations' RBAC, which admits the
  // gateway for their own paths only, so a plain `GET /` states no precise expectation; those routes
  // are proven by verify (embedded), and the smoke test keeps to redirects and plaintext upstreams.
  const tlsClusters = new Set(set.clusters.filter((c) => (c.transportSocket !== undefined && c.transportSocket.name !== 'envoy.transport_sockets.raw_buffer') || c.transportSocketMatches.length > 0).map((c) => c.name));
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
      if (tls.length > 0) skipped.push({ host, port, reason: `upstream mTLS on ${tls[0]}${tls.length > 1 ? ` and ${tls.length - 1} more` : ''} (the destination's inbound sidecar and its AuthorizationPolicies decide; gateway routes are proven by verify, embedded)` });
      else targets.push({ host, port, workloads: allowed });
    }
  }
  return { role, nodeId, namespace: w.namespace, workload: w.name, ports, targets, skipped };
}

function servicePortsOf(graph: MeshGraph, w: Workload): Readonly<Record<string, unknown>>[] {
  const selects = (sel: Readonly<Record<string, string>>) => Object.entries(sel).every(([k, v]) => w.labels[k] === v);
  const s = graph.services.all.filter((x) => x.kind === 'Service' && x.namespace === w.namespace && x.selector && selects(x.selector))
    .sort((a, b) => a.object.name.localeCompare(b.object.name))[0];
  const ports = (s?.object.body.spec as { ports?: unknown } | undefined)?.ports;
  return Array.isArray(ports) ? ports.filter((p): p is Record<string, unknown> => typeof p === 'object' && p !== null).map((p) => ({ ...p })) : [];
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
