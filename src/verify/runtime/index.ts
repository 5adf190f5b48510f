/**
 * The traffic runtime of `meshproof verify`: the embedded mesh (`mesh.ts`: echo backends behind
 * inbound sidecars with mTLS and RBAC, our ADS server with SDS in-process, caller sidecars) and the
 * proofs (`judge.ts` routing and resilience through a caller or the ingress gateway, with
 * `judge-router.ts` for the route timeout and retries past the route's fault, `judge-security.ts`
 * mTLS and authorization at the inbound sidecars, `judge-resilience.ts` circuit breaking,
 * `judge-outlier.ts` outlier detection, `judge-gateway.ts` the gateway's HTTPS redirect and client
 * certificates). Gateway proxies (`gateway.ts`) start on first use. Everything it starts is
 * registered and stopped when the run ends, fails, or gets Ctrl-C.
 *
 * Reported as not run, with the reason: long timeouts and rare delays, timeout and retry promises
 * of a route whose fault aborts every request (none reaches the router), proofs whose request the
 * destination's RBAC refuses, and gateway promises when dist/ has no gateway workload. A routing
 * proof refused by the destination's sidecar is placed by the caller's access log, and counts as
 * reaching it only where the config foresees that refusal as the probe's own or a promised one
 * (`static/refusal.ts`).
 */
import type { MeshGraph } from '../../mesh/graph.js';
import { hostWorkloadsOf } from './host-workloads.js';
import { inboundRetriesOfStatus } from '../../mesh/view/index.js';
import type { Expectation, RequestSpec } from '../expectations/types.js';
import type { TrafficVerdict } from '../report/types.js';
import { type TrafficRunner, VerifyInterrupted } from '../run.js';
import { foreseenRefusal } from '../static/routing.js';
import { viewFor } from '../static/select.js';
import { judgeWithTraffic } from './judge.js';
import { judgeCircuitBreakerWithTraffic } from './judge-resilience.js';
import { judgeAuthorizationWithTraffic, judgeStrictMtlsWithTraffic } from './judge-security.js';
import { gatewayWorkload, GatewayPool, type IngressGateway } from './gateway.js';
import { GatewayClient } from './gateway-client.js';
import { clientTlsFor, judgeClientCertificateWithTraffic, judgeHttpsRedirectWithTraffic, judgeRedirectWithTraffic } from './judge-gateway.js';
import { judgeOutlierWithTraffic } from './judge-outlier.js';
import { startMesh, type Caller, type EmbeddedMesh } from './mesh.js';
import { netnsUnavailable, NetnsNetwork } from './netns.js';
import { ProcessRegistry } from './registry.js';
import { closeAgents, type Sent } from './send.js';

/**
 * 16 requests in flight, or 1 when a cluster of the host (or of a mirror) limits connections or
 * pending requests below that: concurrent proof traffic would trip the circuit breakers, which
 * are a promise of their own.
 */
export function concurrencyFor(graph: MeshGraph, e: Expectation): number {
  const view = e.request ? viewFor(graph, e.request.via) : undefined;
  if (!view || typeof view === 'string') return 1;
  const hosts = new Set([e.request!.host, ...('destination' in e.outcome ? [e.outcome.destination.host] : [])]);
  const limits = view.clusters.filter((c) => hosts.has(c.host)).map((c) => Math.min(c.policy.connectionPool.maxConnections, c.policy.connectionPool.http1MaxPendingRequests, c.policy.connectionPool.http2MaxRequests));
  return limits.every((l) => l >= 64) ? 16 : 1;
}

export function portOf(graph: MeshGraph, request: RequestSpec): number | undefined {
  if (request.port !== undefined) return request.port;
  const service = graph.services.forHost(request.host, request.via.kind === 'mesh' ? request.via.namespace : 'default')[0];
  const http = service?.ports.filter((p) => /^(http|grpc)/i.test(p.name) || p.protocol === 'HTTP') ?? [];
  return (http[0] ?? service?.ports[0])?.number;
}

/**
 * Retries the inbound sidecars of `request`'s host add to a try their application answers 503
 * (MeshConfig `defaultInboundHttpRetryPolicy` on the port's inbound route; 0 under Istio's built-in
 * policy, for a gRPC port, or when no workload of the host has a sidecar).
 */
export function inboundRetriesFor(graph: MeshGraph, request: RequestSpec, port: number): number {
  const service = graph.services.forHost(request.host, request.via.kind === 'mesh' ? request.via.namespace : 'default')[0];
  const sp = service?.ports.find((p) => p.number === port);
  if (!service?.selector || !sp) return 0;
  const sidecars = graph.workloadsSelectedBy(service.namespace, service.selector).some((w) => graph.membershipOf(w).dataplane === 'sidecar');
  return sidecars ? inboundRetriesOfStatus(graph.meshConfig, sp.protocol, 503) : 0;
}

/**
 * Requests an inbound sidecar answered 403 `RBAC: access denied` never reached an echo backend: the
 * caller's access log (by `x-request-id`) names the upstream host routing picked, which names the workload.
 */
async function attributeDenied(sent: Sent[], caller: Pick<Caller, 'log'>, mesh: EmbeddedMesh): Promise<Sent[]> {
  const denied = sent.filter((s) => s.status === 403 && s.workload === '');
  if (denied.length === 0) return sent;
  const hostOf = new Map<string, string>();
  for (let i = 0; i < 5 && hostOf.size < denied.length; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 20 * i));
    for (const entry of caller.log()) if (entry.requestId && entry.upstreamHost) hostOf.set(entry.requestId, entry.upstreamHost);
  }
  const byAddress = new Map(mesh.workloads.map((w) => [w.address, w]));
  return sent.map((s) => {
    if (s.status !== 403 || s.workload !== '') return s;
    const host = hostOf.get(s.requestId);
    const w = host ? byAddress.get(host.slice(0, host.lastIndexOf(':'))) : undefined;
    return w ? { ...s, workload: `${w.workload.namespace}/${w.workload.name}`, version: w.workload.labels.version ?? '', deniedBy: host! } : s;
  });
}

/** The response flags the caller's access log gave each sent request (waits up to ~200 ms for entries still buffered). */
async function accessLogFlags(sent: readonly Sent[], caller: Pick<Caller, 'log'>): Promise<Map<string, readonly string[]>> {
  const flags = new Map<string, readonly string[]>();
  const wanted = new Set(sent.map((s) => s.requestId));
  for (let i = 0; i < 5; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 20 * i));
    for (const entry of caller.log()) if (entry.requestId && wanted.has(entry.requestId)) flags.set(entry.requestId, entry.flags);
    if (flags.size >= wanted.size) break;
  }
  return flags;
}

/** Options of the embedded runtime. */
export interface RuntimeOptions {
  /**
   * Each workload in its own network namespace (`--netns`, Linux, root, `ip`), as a child process,
   * instead of in-process on its own 127.x.y.z. @default false
   */
  readonly netns?: boolean;
}

export function createRuntime(runtimeOptions: RuntimeOptions = {}): TrafficRunner {
  return {
    unavailable: () => (runtimeOptions.netns ? netnsUnavailable() : null),
    async run(graph: MeshGraph, expectations: readonly Expectation[], progress, options) {
      const registry = new ProcessRegistry();
      const out = new Map<string, TrafficVerdict>();
      const hostWorkloads = hostWorkloadsOf(graph);
      try {
        // Registered first, so it is torn down last: after every process running in it.
        const netns = runtimeOptions.netns ? registry.add(await NetnsNetwork.create()) : undefined;
        const mesh = await startMesh(graph, registry, netns ? { netns } : {});
        const gateways = new GatewayPool(graph, mesh);
        const clients = new Map<string, GatewayClient>();
        let gatewayStartupMs = 0;
        /** A plain HTTP client of a caller sidecar that reads redirects' `Location` (send.ts does not). */
        const callerClient = (address: string): GatewayClient => {
          let c = clients.get(address);
          if (!c) clients.set(address, (c = registry.add(new GatewayClient(address))));
          return c;
        };
        /** The running gateway of Gateway `ref` and a client for it; a string (not run) when dist/ has no gateway workload for it or its proxy did not start. */
        const gatewayOf = async (ref: string): Promise<{ gw: IngressGateway; client: GatewayClient } | string> => {
          const w = gatewayWorkload(graph, ref);
          if (typeof w === 'string') return w;
          const t = performance.now();
          const gw = await gateways.forGateway(ref);
          // A gateway the runtime cannot serve (certificate files it does not have, say) leaves its promises to the config, not the whole run.
          if (typeof gw === 'string') return `the gateway proxy could not start: ${gw}`;
          let client = clients.get(gw.address);
          if (!client) {
            gatewayStartupMs += performance.now() - t;
            clients.set(gw.address, (client = registry.add(new GatewayClient(gw.address))));
          }
          return { gw, client };
        };
        let done = 0;
        // Proofs that leave a proxy changed (failing or slow backends) run last, each on a fresh caller.
        const destructive = (e: Expectation) => e.outcome.kind === 'retries' || e.outcome.kind === 'timeout' || e.outcome.kind === 'circuit-breaker' || e.outcome.kind === 'outlier-detection';
        const ordered = [...expectations.filter((e) => !destructive(e)), ...expectations.filter(destructive)];
        /** A route promise sent through the ingress gateway: TLS with SNI (and a client certificate on MUTUAL servers) or plain HTTP, as its server asks. */
        const judgeThroughGateway = async (e: Expectation, r: RequestSpec & { via: { kind: 'gateway' } }): Promise<TrafficVerdict> => {
          const at = await gatewayOf(r.via.gateway);
          if (typeof at === 'string') return { status: 'not-run', detail: at, requests: 0 };
          const port = at.gw.listenerPort(r.via.port);
          if (port === undefined) return { status: 'broken', detail: `the gateway ${at.gw.workload} has no listener for port ${r.via.port}`, requests: 0 };
          const tls = await clientTlsFor(at.gw, mesh.identities, r.via.gateway, r.via.port, r.host);
          if (typeof tls === 'string') return { status: 'not-run', detail: tls, requests: 0 };
          const sendOne = (spec: RequestSpec, extra: Record<string, string> = {}) => at.client.send(port, spec, extra, tls ? { tls } : {});
          if (e.outcome.kind === 'redirect') return judgeRedirectWithTraffic(e.outcome, r, sendOne);
          const log = { log: at.gw.log as () => ReturnType<Caller['log']> };
          return judgeWithTraffic(e, { ...r, port: r.via.port }, {
            address: at.gw.address, port, backends: mesh.backends, confidence: options.confidence, tolerance: options.tolerance,
            concurrency: concurrencyFor(graph, e), attribute: (sent) => attributeDenied(sent, log, mesh), flagsOf: (sent) => accessLogFlags(sent, log), send: sendOne, hostWorkloads,
            refusal: foreseenRefusal(graph, e, expectations),
          });
        };
        for (const e of ordered) {
          progress(done++, expectations.length);
          if (e.outcome.kind === 'mtls-strict') {
            out.set(e.id, await judgeStrictMtlsWithTraffic(e.outcome, mesh, graph));
            continue;
          }
          if (e.outcome.kind === 'authorization') {
            out.set(e.id, await judgeAuthorizationWithTraffic(e.outcome, mesh, graph));
            continue;
          }
          if (e.outcome.kind === 'https-redirect' || e.outcome.kind === 'client-certificate-required') {
            const at = await gatewayOf(e.outcome.gateway);
            if (typeof at === 'string') out.set(e.id, { status: 'not-run', detail: at, requests: 0 });
            else if (e.outcome.kind === 'https-redirect') out.set(e.id, await judgeHttpsRedirectWithTraffic(e.outcome, at.gw, at.client));
            else out.set(e.id, await judgeClientCertificateWithTraffic(e.outcome, at.gw, at.client, mesh.identities));
            continue;
          }
          if (e.outcome.kind === 'outlier-detection') {
            const o = e.outcome;
            const namespace = /^[^.]+\.([^.]+)\.svc\./.exec(o.destination.host)?.[1];
            const port = namespace === undefined ? undefined : portOf(graph, { host: o.destination.host, path: '/', method: 'GET', headers: {}, via: { kind: 'mesh', namespace } });
            if (namespace === undefined || port === undefined) out.set(e.id, { status: 'not-run', detail: `${o.destination.host} is not a Kubernetes Service host with a known port`, requests: 0 });
            else out.set(e.id, await judgeOutlierWithTraffic(o, { graph, mesh, registry, port, namespace, confidence: options.confidence }));
            continue;
          }
          if (e.outcome.kind === 'circuit-breaker') {
            const o = e.outcome;
            const namespace = /^[^.]+\.([^.]+)\.svc\./.exec(o.destination.host)?.[1];
            const port = namespace === undefined ? undefined : portOf(graph, { host: o.destination.host, path: '/', method: 'GET', headers: {}, via: { kind: 'mesh', namespace } });
            if (namespace === undefined || port === undefined) {
              out.set(e.id, { status: 'not-run', detail: `${o.destination.host} is not a Kubernetes Service host with a known port`, requests: 0 });
              continue;
            }
            // Envoy's limits are per cluster: each cluster of the host gets its own burst, whatever the routes' split.
            const fresh = await mesh.freshCaller(namespace, o.destination.host, port, [], { pinClusters: true });
            if (typeof fresh === 'string') throw new Error(fresh);
            try {
              out.set(e.id, await judgeCircuitBreakerWithTraffic(o, fresh, port, { pinned: fresh.pinned }));
            } finally {
              await fresh.release();
            }
            continue;
          }
          const r = e.request;
          if (!r || e.wantMatch === false) continue;
          if (r.via.kind === 'gateway') {
            out.set(e.id, await judgeThroughGateway(e, r as RequestSpec & { via: { kind: 'gateway' } }));
            continue;
          }
          const port = portOf(graph, r);
          if (port === undefined) {
            out.set(e.id, { status: 'not-run', detail: `no port known for ${r.host}`, requests: 0 });
            continue;
          }
          const fresh = destructive(e) ? await mesh.freshCaller(r.via.namespace, r.host, port) : undefined;
          const caller = fresh ?? await mesh.caller(r.via.namespace, r.host, port);
          if (typeof caller === 'string') throw new Error(caller);
          try {
            const attribute = (sent: Sent[]) => attributeDenied(sent, caller, mesh);
            const flagsOf = (sent: readonly Sent[]) => accessLogFlags(sent, caller);
            if (e.outcome.kind === 'redirect') {
              const o = e.outcome;
              out.set(e.id, await judgeRedirectWithTraffic(o, { ...r, port }, (spec) => callerClient(caller.address).send(port, spec)));
              continue;
            }
            out.set(e.id, await judgeWithTraffic(e, { ...r, port }, { address: caller.address, port, backends: mesh.backends, confidence: options.confidence, tolerance: options.tolerance, concurrency: concurrencyFor(graph, e), attribute, flagsOf, hostWorkloads, refusal: foreseenRefusal(graph, e, expectations), inboundRetries: inboundRetriesFor(graph, r, port), meshRetry: graph.meshConfig.defaultHttpRetryPolicy }));
          } finally {
            if (fresh !== undefined && typeof fresh !== 'string') await fresh.release();
          }
        }
        progress(expectations.length, expectations.length);
        return { verdicts: out, startupMs: mesh.startupMs() + gatewayStartupMs };
      } finally {
        closeAgents();
        const errors = await registry.closeAll();
        if (errors.length > 0) process.stderr.write(`verify: could not stop cleanly: ${errors.join('; ')}\n`);
        // Verdicts or errors of proofs whose proxies a signal stopped mid-run say nothing about the config.
        if (registry.interrupted) throw new VerifyInterrupted(registry.interrupted);
      }
    },
  };
}
