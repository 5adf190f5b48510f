/**
 * The traffic runner of `meshproof verify --runtime <targets.json>`: the same proofs and the same
 * judgement code as the embedded runtime (`judgeWithTraffic`, `judgeStrictMtlsWithTraffic`,
 * `judgeAuthorizationWithTraffic`, `judgeCircuitBreakerWithTraffic`), sent to proxies and
 * workloads someone else started: the in-cluster runtime of `meshproof runtime synth`, or
 * `meshproof xds serve` + `meshproof proxy` + `meshproof echo` processes. Each routing proof goes
 * through the caller `pickCaller` names (the embedded runtime's choice of view and identity); a
 * caller the targets do not list makes that proof not run, naming the missing entry.
 *
 * Reported as not run, with the reason: retries and mirrors (the echo backends' attempt and copy
 * counts are read in-process, embedded only), requests through the ingress gateway, outlier
 * detection, HTTPS redirect and client-certificate promises (embedded only), and security proofs
 * when the targets give no mesh CA. Nothing is started here, so nothing needs stopping but sockets.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { MeshGraph } from '../../mesh/graph.js';
import { hostWorkloadsOf } from '../runtime/host-workloads.js';
import { loadCaFromFiles } from '../../pki/index.js';
import type { Expectation, RequestSpec } from '../expectations/types.js';
import type { TrafficVerdict } from '../report/types.js';
import type { TrafficRunner } from '../run.js';
import { MeshIdentities } from '../runtime/identities.js';
import { concurrencyFor, portOf } from '../runtime/index.js';
import { judgeWithTraffic } from '../runtime/judge.js';
import { judgeCircuitBreakerWithTraffic } from '../runtime/judge-resilience.js';
import { judgeAuthorizationWithTraffic, judgeStrictMtlsWithTraffic, type SecurityMesh } from '../runtime/judge-security.js';
import type { RuntimeWorkload } from '../runtime/mesh.js';
import { pickCaller, type PickedCaller } from '../runtime/pick-caller.js';
import { closeAgents, send, type Sent } from '../runtime/send.js';
import { foreseenRefusal, largestRouteShare } from '../static/routing.js';
import { remoteAccessLog, waitCallerReady, waitPortOpen } from './remote.js';
import { namespacesNeeded } from './needed.js';
import type { CallerTarget, RuntimeTargets } from './targets.js';

const notRun = (detail: string): TrafficVerdict => ({ status: 'not-run', detail, requests: 0 });

/** Kinds the external runtime leaves to the embedded one, and why. */
const EMBEDDED_ONLY: Partial<Record<Expectation['outcome']['kind'], string>> = {
  retries: 'embedded only: the attempts a failing backend saw are counted inside the echo backend, which verify --runtime does not run',
  mirror: 'embedded only: the copies a mirror backend received are counted inside the echo backend, which verify --runtime does not run',
  'outlier-detection': 'embedded only: the proof makes one endpoint fail and watches it ejected, which needs echo backends verify starts itself',
  'https-redirect': 'embedded only: verify --runtime sends no traffic through the ingress gateway yet',
  'client-certificate-required': 'embedded only: verify --runtime sends no traffic through the ingress gateway yet',
};

const keyOf = (workload: string, as: string) => `${workload} as ${as}`;

/** The caller target for a pick, or a line saying which entry the targets file lacks. */
function callerFor(targets: RuntimeTargets, graph: MeshGraph, picked: PickedCaller): CallerTarget | string {
  const workload = `${picked.workload.namespace}/${picked.workload.name}`;
  const as = `${picked.namespace}/${picked.serviceAccount}`;
  const found = targets.callers.find((c) => keyOf(c.workload, c.as ?? ownIdentity(graph, c.workload)) === keyOf(workload, as));
  return found ?? `the targets list no caller for ${workload} holding ${as} (add {"workload":"${workload}","as":"${as}","address":…} to callers; meshproof runtime synth writes one per caller the promises need)`;
}

function ownIdentity(graph: MeshGraph, ref: string): string {
  const w = graph.workloads.all.find((x) => `${x.namespace}/${x.name}` === ref);
  return w ? `${w.namespace}/${w.serviceAccount}` : '';
}

/** Response flags by x-request-id from the caller's admin `/access_log` (a few reads while entries are still buffered). */
async function remoteFlags(admin: string, sent: readonly Sent[]): Promise<Map<string, readonly string[]>> {
  const flags = new Map<string, readonly string[]>();
  const wanted = new Set(sent.map((s) => s.requestId));
  for (let i = 0; i < 5 && flags.size < wanted.size; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 50 * i));
    for (const e of await remoteAccessLog(admin)) if (e.requestId && wanted.has(e.requestId)) flags.set(e.requestId, e.flags);
  }
  return flags;
}

/**
 * Requests an inbound sidecar refused (403, no echo answer) are placed by the caller's access log:
 * its upstream host (`<pod ip>:<port>`) names the workload whose address resolves to that IP (the
 * embedded runtime's `attributeDenied`, with addresses that may be host names: in the cluster,
 * headless Services whose names resolve to the pod IPs).
 */
async function attributeDenied(sent: Sent[], admin: string, byIp: ReadonlyMap<string, RuntimeWorkload>): Promise<Sent[]> {
  const denied = sent.filter((s) => s.status === 403 && s.workload === '');
  if (denied.length === 0) return sent;
  const hostOf = new Map<string, string>();
  for (let i = 0; i < 5 && hostOf.size < denied.length; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 50 * i));
    for (const e of await remoteAccessLog(admin)) if (e.requestId && e.upstreamHost) hostOf.set(e.requestId, e.upstreamHost);
  }
  return sent.map((s) => {
    if (s.status !== 403 || s.workload !== '') return s;
    const host = hostOf.get(s.requestId);
    const w = host ? byIp.get(host.slice(0, host.lastIndexOf(':')).replace(/^\[|\]$/g, '')) : undefined;
    return w ? { ...s, workload: `${w.workload.namespace}/${w.workload.name}`, version: w.workload.labels.version ?? '', deniedBy: host! } : s;
  });
}

/** Workloads by every IP their target address resolves to. */
async function byAddress(workloads: readonly RuntimeWorkload[]): Promise<Map<string, RuntimeWorkload>> {
  const out = new Map<string, RuntimeWorkload>();
  for (const w of workloads) {
    const ips = isIP(w.address) ? [w.address] : (await lookup(w.address, { all: true }).catch(() => [])).map((a) => a.address);
    for (const ip of ips) out.set(ip, w);
  }
  return out;
}

/**
 * Waits until the caller routes `host:port` to a live endpoint: a fresh proxy may be ready before
 * its endpoints arrive (a 503 without a backend). Gives up at `deadline` and lets the proof judge.
 */
async function warmUp(address: string, port: number, request: RequestSpec, deadline: number): Promise<void> {
  for (;;) {
    const s = await send(address, port, { ...request, method: 'GET', headers: {} }, {}, 5000);
    if ((s.status !== 0 && s.status !== 503) || s.workload !== '' || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Checks the targets against the mesh model; a line per problem. */
function checkTargets(targets: RuntimeTargets, graph: MeshGraph): string[] {
  const known = new Set(graph.workloads.all.map((w) => `${w.namespace}/${w.name}`));
  return [
    ...targets.callers.filter((c) => !known.has(c.workload)).map((c) => `caller ${c.workload}: no such workload in dist/`),
    ...targets.workloads.filter((w) => !known.has(w.workload)).map((w) => `workload ${w.workload}: no such workload in dist/`),
  ];
}

/** A {@link TrafficRunner} over the runtime the targets describe. */
export function createExternalRuntime(targets: RuntimeTargets): TrafficRunner {
  return {
    unavailable: () => null,
    async run(graph, expectations, progress, options) {
      const t0 = performance.now();
      const hostWorkloads = hostWorkloadsOf(graph);
      const problems = checkTargets(targets, graph);
      if (problems.length > 0) throw new Error(`the targets do not match dist/: ${problems.join('; ')}`);
      const deadline = Date.now() + targets.waitSeconds * 1000;
      const workloads: RuntimeWorkload[] = targets.workloads.map((t) => {
        const w = graph.workloads.all.find((x) => `${x.namespace}/${x.name}` === t.workload)!;
        return { workload: w, address: t.address, sidecar: graph.membershipOf(w).dataplane === 'sidecar' };
      });
      // Only what these promises need (verify --app narrows them): a proxy of another app never delays or fails the run.
      const needed = new Set(namespacesNeeded(expectations));
      const inNeeded = (ref: string) => needed.has(ref.split('/')[0]!);
      const waits = [
        ...targets.callers.filter((c) => c.admin && inNeeded(c.workload)).map((c) => waitCallerReady(c.admin!, deadline).then((r) => (r === true ? r : `caller ${c.workload}: ${r}`))),
        ...workloads.filter((w) => needed.has(w.workload.namespace)).flatMap((w) => [...new Set(w.workload.containerPorts.map((p) => p.containerPort))].map((p) => waitPortOpen(w.address, p, deadline).then((r) => (r === true ? r : `workload ${w.workload.namespace}/${w.workload.name}: ${r}`)))),
      ];
      const notReady = (await Promise.all(waits)).filter((r): r is string => r !== true);
      if (notReady.length > 0) throw new Error(`not ready within ${targets.waitSeconds} s: ${notReady.join('; ')}`);
      // Flags and RBAC placement come from the callers' access logs: a caller without one is a setup error, said now.
      const noLog = (await Promise.all(targets.callers.filter((c) => c.admin && inNeeded(c.workload)).map((c) => remoteAccessLog(c.admin!).then(() => null, (e: Error) => `caller ${c.workload}: ${e.message}`)))).filter((x): x is string => x !== null);
      if (noLog.length > 0) throw new Error(`${noLog.join('; ')} (start the caller's proxy with --access-log on, e.g. --access-log -)`);
      const identities = targets.ca ? MeshIdentities.fromCa(await loadCaFromFiles({ certFile: targets.ca.cert, keyFile: targets.ca.key, trustDomain: graph.trustDomain })) : undefined;
      const security: SecurityMesh | undefined = identities ? { workloads, identities } : undefined;
      const ips = await byAddress(workloads);
      const startupMs = performance.now() - t0;
      const warm = new Set<string>();
      const out = new Map<string, TrafficVerdict>();
      const destructive = (e: Expectation) => e.outcome.kind === 'timeout' || e.outcome.kind === 'circuit-breaker';
      const ordered = [...expectations.filter((e) => !destructive(e)), ...expectations.filter(destructive)];
      let done = 0;
      try {
        for (const e of ordered) {
          progress(done++, expectations.length);
          const o = e.outcome;
          const why = EMBEDDED_ONLY[o.kind];
          if (why) {
            out.set(e.id, notRun(why));
            continue;
          }
          if (o.kind === 'mtls-strict' || o.kind === 'authorization') {
            if (!security) out.set(e.id, notRun('the targets give no mesh CA (ca.cert, ca.key), so no client holds a mesh certificate'));
            else out.set(e.id, o.kind === 'mtls-strict' ? await judgeStrictMtlsWithTraffic(o, security, graph) : await judgeAuthorizationWithTraffic(o, security, graph));
            continue;
          }
          if (o.kind === 'circuit-breaker') {
            const namespace = /^[^.]+\.([^.]+)\.svc\./.exec(o.destination.host)?.[1];
            const port = namespace === undefined ? undefined : portOf(graph, { host: o.destination.host, path: '/', method: 'GET', headers: {}, via: { kind: 'mesh', namespace } });
            const picked = namespace === undefined ? undefined : pickCaller(graph, namespace, o.destination.host, port);
            const caller = picked ? callerFor(targets, graph, picked) : `${o.destination.host} is not a Kubernetes Service host of a namespace with sidecars`;
            if (port === undefined || typeof caller === 'string') out.set(e.id, notRun(typeof caller === 'string' ? caller : `no port known for ${o.destination.host}`));
            else if (!caller.admin) out.set(e.id, notRun(`caller ${caller.workload} has no admin address in the targets, so its UO flags cannot be read`));
            else {
              // Your processes' routes cannot be changed: the burst goes through them, sized for the split's largest cluster.
              const largestShare = largestRouteShare(graph, { host: o.destination.host, port, path: '/', method: 'GET', headers: {}, via: { kind: 'mesh', namespace: namespace! } });
              out.set(e.id, await judgeCircuitBreakerWithTraffic(o, { namespace: namespace!, address: caller.address, log: () => remoteAccessLog(caller.admin!) }, port, { largestShare }));
            }
            continue;
          }
          const r = e.request;
          if (!r || e.wantMatch === false) continue;
          if (r.via.kind !== 'mesh') {
            out.set(e.id, notRun(`requests through gateway ${r.via.gateway} are not sent by verify --runtime yet (embedded only)`));
            continue;
          }
          const port = portOf(graph, r);
          if (port === undefined) {
            out.set(e.id, notRun(`no port known for ${r.host}`));
            continue;
          }
          const picked = pickCaller(graph, r.via.namespace, r.host, port);
          const caller = picked ? callerFor(targets, graph, picked) : `namespace ${r.via.namespace} has no workload with a sidecar to send from`;
          if (typeof caller === 'string') {
            out.set(e.id, notRun(caller));
            continue;
          }
          const warmKey = `${caller.address} ${r.host}:${port}`;
          if (!warm.has(warmKey)) {
            warm.add(warmKey);
            await warmUp(caller.address, port, { ...r, port }, Math.min(deadline, Date.now() + 30_000));
          }
          out.set(e.id, await judgeWithTraffic(e, { ...r, port }, {
            address: caller.address, port, backends: [], confidence: options.confidence, tolerance: options.tolerance,
            concurrency: concurrencyFor(graph, e), hostWorkloads, refusal: foreseenRefusal(graph, e, expectations), meshRetry: graph.meshConfig.defaultHttpRetryPolicy,
            ...(caller.admin ? { flagsOf: (sent: readonly Sent[]) => remoteFlags(caller.admin!, sent), attribute: (sent: Sent[]) => attributeDenied(sent, caller.admin!, ips) } : {}),
          }));
        }
        progress(expectations.length, expectations.length);
        return { verdicts: out, startupMs };
      } finally {
        closeAgents();
      }
    },
  };
}
