/**
 * `meshproof xds serve`: the translator behind the ADS server. Each (re)load reads the inputs, runs
 * the check suite (the engine of `meshproof check`, with the repository's config), and only when it
 * finds no error translates every proxy, adds its SDS secrets and publishes; otherwise the last good
 * config keeps serving and the rejection (with its findings) is logged and shown on `/status`.
 * Inputs and the workload file are watched (debounced); endpoints come from the workload file or, with
 * a kubeconfig, from EndpointSlices and Pods watched in the cluster. Placed proxies
 * (`<ns>/<workload>?inbound=<pod ip>`, `?bind=<ip>`, `&as=<ns>/<sa>`: `src/verify/external/placement.ts`)
 * get a snapshot of their own when they first connect, made again on every reload.
 */
import type * as http from 'node:http';
import { resolve } from 'node:path';
import { checkPaths } from '../checks/api.js';
import type { Finding } from '../checks/types.js';
import { MeshGraph } from '../mesh/graph.js';
import { loadInputs } from '../mesh/load.js';
import { buildProxyView, proxiesOf, proxyOf } from '../mesh/view/index.js';
import { type CertificateAuthority, createCa, loadCaFromFiles, workloadSpiffeId } from '../pki/index.js';
import { KubernetesEndpointSource, loadKubeConfig } from '../xds/endpoints/kubernetes-source.js';
import { nodeCacheKey } from '../xds/sds/node-identity.js';
import { ROOT_CA_SECRET, WORKLOAD_CERT_SECRET, buildCredentialSecrets, buildTlsCertificateSecret, buildValidationContextSecret } from '../xds/sds/secrets.js';
import { WorkloadCertificates } from '../xds/sds/workload-certificates.js';
import { type TreeWatcher, watchTree } from './watch-tree.js';
import { AdsServer } from '../xds/server/ads-server.js';
import { listenStatus } from '../xds/server/status-http.js';
import { SnapshotCache, SnapshotInconsistentError } from '../xds/snapshot-cache.js';
import { createSnapshot } from '../xds/snapshot.js';
import { parseWorkloadFile, prepareCarryOver, releaseCarryOver, translateProxy, WorkloadFileError, type WorkloadInstance } from '../xds/translate/index.js';
import { readFileSync } from 'node:fs';
import type { Secret } from '../xds/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import type { NodeKeyFn } from '../xds/server/ads-stream.js';
import { parsePlacement, placeResources, type Placement } from '../verify/external/placement.js';

/** A running `xds serve`. */
export interface XdsServeHandle {
  /** The ADS port. */
  readonly port: number;
  /** The status endpoint's port, when `status` was given. */
  readonly statusPort?: number;
  readonly cache: SnapshotCache;
  readonly ads: AdsServer;
  readonly ca: CertificateAuthority;
  /** The outcome of the last (re)load. */
  readonly publish: () => PublishState;
  /** Re-reads and re-translates the inputs; false when nothing was published (unusable input or check errors). */
  reload(): Promise<boolean>;
  close(): Promise<void>;
}

/** What the last reload did, as `/status` shows it under `publish`. */
export interface PublishState {
  /** `published`, or why not: `unusable` (unreadable input or workload file), `rejected` (check errors). */
  readonly outcome: 'published' | 'unusable' | 'rejected';
  readonly at: string;
  /** Snapshots whose version changed. */
  readonly published: number;
  /** For `unusable`: the reasons; for `rejected`: one line per error finding (`file:line: rule: message`). */
  readonly errors: readonly string[];
  /** When the config that serves now was published. */
  readonly lastGoodAt?: string;
}

export interface XdsServeOptions {
  readonly paths: readonly string[];
  /** Workload file (watched). Ignored when `kubeconfig` or `inCluster` is set. */
  readonly workloads?: string;
  /** Endpoints from the cluster this kubeconfig reaches (EndpointSlices and Pods, watched). */
  readonly kubeconfig?: string;
  /** Endpoints from the cluster the process runs in (service account token). @default false */
  readonly inCluster?: boolean;
  /** ADS `host:port`; port 0 picks one. */
  readonly listen: string;
  /** Status endpoint `host:port` (`GET /status`, `GET /nacks`). @default none */
  readonly status?: string;
  readonly cwd: string;
  /** CA files (`--ca-cert`, `--ca-key`); a throwaway in-memory CA for the mesh's trust domain when absent. */
  readonly caCert?: string;
  readonly caKey?: string;
  /** Run the check suite before publishing. @default true */
  readonly check?: boolean;
  /** Watch the inputs and reload on change, after `debounceMs` of quiet. @default true, 250 */
  readonly watch?: boolean;
  readonly debounceMs?: number;
  /** ADS stream limits (e.g. `drainTimeoutMs` in tests). */
  readonly drainTimeoutMs?: number;
  /**
   * How long a placed proxy (`<ns>/<workload>?inbound=…`) keeps its placement and snapshot after its
   * last stream closed, in ms; it gets them again when it reconnects. Bounds memory when pods come
   * and go with new IPs. @default 60000
   */
  readonly forgetPlacedAfterMs?: number;
  readonly log: (line: string) => void;
}

/** Thrown by {@link startServe} when the first load is unusable or rejected: nothing to serve. */
export class ServeStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServeStartError';
  }
}

/** Starts the ADS server with snapshots translated from the inputs. */
export async function startServe(opts: XdsServeOptions): Promise<XdsServeHandle> {
  const cache = new SnapshotCache();
  // Placed proxies (`<ns>/<workload>?inbound=<ip>` …, see placement.ts) get a snapshot of their own,
  // made when they first connect and again on every reload.
  const placed = new Map<string, Placement>();
  let current: { graph: MeshGraph; workloads: WorkloadInstance[]; workloadsJson: string; rootSecret: Secret } | undefined;
  const publishPlaced = async (p: Placement): Promise<{ published: boolean; spiffeId?: string }> => {
    if (!current || !certs) return { published: false };
    const { graph, workloads, rootSecret } = current;
    const w = graph.workloads.all.find((x) => x.namespace === p.namespace && x.name === p.workload);
    if (!w) {
      const had = cache.getSnapshot(p.nodeId) !== undefined;
      // Its config was built from a workload that is gone: not served any longer (streams keep what they got).
      cache.clearSnapshot(p.nodeId);
      opts.log(`xds serve: node ${p.nodeId}: no workload ${p.namespace}/${p.workload} in ${opts.paths.join(', ')}; nothing is served to it${had ? ' any longer (its last snapshot is dropped; connected streams keep what they were sent)' : ''} (name a Deployment or other workload of the inputs)`);
      return { published: false };
    }
    const proxy = proxyOf(graph, w);
    const identity = p.as ?? { namespace: proxy.namespace, serviceAccount: proxy.serviceAccount };
    const spiffeId = workloadSpiffeId(graph.trustDomain, identity.namespace, identity.serviceAccount);
    const cert = await certs.certificateFor(spiffeId);
    try {
      const set = placeResources(translateProxy(buildProxyView(graph, proxy), workloads), p);
      return { published: cache.setSnapshot(p.nodeId, createSnapshot({ ...set, secrets: [buildTlsCertificateSecret(WORKLOAD_CERT_SECRET, cert.certificateChainPem, cert.privateKeyPem), rootSecret] })), spiffeId };
    } catch (e) {
      opts.log(`xds serve: ${p.nodeId}: ${untranslatable(e)}; keeping its last good config`);
      return { published: false, spiffeId };
    }
  };
  const nodeKey: NodeKeyFn = (node, known) => {
    const id = node?.id ?? '';
    let p: Placement | undefined;
    try {
      p = parsePlacement(id);
    } catch (e) {
      opts.log(`xds serve: ${(e as Error).message}`);
      return id;
    }
    if (!p) {
      const key = nodeCacheKey(node, known);
      if (!known(key) && !unserved.has(key)) {
        // Logged once per node id; the memory of which ids were told is bounded.
        if (unserved.size >= 1024) unserved.clear();
        unserved.add(key);
        opts.log(`xds serve: node ${id === key ? `"${id}"` : `"${id}" (${key})`} has no snapshot and gets nothing: ${whyUnserved(key)}`);
      }
      return key;
    }
    if (!placed.has(p.nodeId)) {
      placed.set(p.nodeId, p);
      void publishPlaced(p).catch((e: unknown) => opts.log(`xds serve: ${p.nodeId}: ${String(e)}`));
    }
    return p.nodeId;
  };
  // Node ids already told they have no snapshot (logged once each).
  const unserved = new Set<string>();
  const whyUnserved = (key: string): string => {
    const m = /^(?:grpc:)?([^/]+)\/([^/]+)$/.exec(key);
    if (!m) return 'node ids are <namespace>/<workload>, grpc:<namespace>/<workload>, or Istio\'s sidecar~<ip>~<pod>.<ns>~<ns>.svc.<domain>';
    const graph = current?.graph;
    const w = graph?.workloads.all.find((x) => x.namespace === m[1] && x.name === m[2]);
    if (!graph || !w) return `no workload ${m[1]}/${m[2]} in ${opts.paths.join(', ')} (name a Deployment or other workload of the inputs)`;
    const membership = graph.membershipOf(w);
    return `workload ${m[1]}/${m[2]} runs no Istio proxy (data plane ${membership.dataplane}: ${membership.reason})`;
  };
  // A placed proxy whose last stream closed is forgotten after forgetPlacedAfterMs (unless it came back).
  const forgetTimers = new Map<string, NodeJS.Timeout>();
  const onNodeGone = (key: string) => {
    if (!placed.has(key)) return;
    clearTimeout(forgetTimers.get(key));
    const timer = setTimeout(() => {
      forgetTimers.delete(key);
      if (ads.hasStream(key)) return;
      placed.delete(key);
      cache.clearSnapshot(key);
      opts.log(`xds serve: ${key}: no stream for ${opts.forgetPlacedAfterMs ?? 60_000} ms; its placement and snapshot are dropped (it gets them again when it reconnects)`);
    }, opts.forgetPlacedAfterMs ?? 60_000);
    timer.unref();
    forgetTimers.set(key, timer);
  };
  const ads = new AdsServer({ cache, nodeKey, onNodeGone, ...(opts.drainTimeoutMs ? { limits: { drainTimeoutMs: opts.drainTimeoutMs } } : {}) });
  let ca: CertificateAuthority | undefined;
  let certs: WorkloadCertificates | undefined;
  let state: PublishState = { outcome: 'unusable', at: new Date().toISOString(), published: 0, errors: ['not loaded yet'] };
  let renewTimer: NodeJS.Timeout | undefined;
  let reloadTimer: NodeJS.Timeout | undefined;
  let kube: KubernetesEndpointSource | undefined;
  // Reloads never overlap: a change that arrives while one runs is picked up by one more run after it.
  let running: Promise<boolean> | undefined;
  let again = false;
  let closed = false;
  const serialReload = async (): Promise<boolean> => {
    if (running) {
      again = true;
      return running;
    }
    try {
      running = reload();
      let ok = await running;
      while (again) {
        again = false;
        running = reload();
        ok = await running;
      }
      return ok;
    } finally {
      running = undefined;
      // A reload that threw leaves the change that arrived while it ran queued: load it now (after
      // the debounce), not at the next file event.
      if (again) {
        again = false;
        scheduleReload();
      }
    }
  };
  const scheduleReload = () => {
    if (closed) return;
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => void serialReload().catch((e: unknown) => opts.log(`xds serve: reload failed: ${String(e)}`)), opts.debounceMs ?? 250);
  };

  const reject = (outcome: 'unusable' | 'rejected', errors: string[], why: string): false => {
    state = { outcome, at: new Date().toISOString(), published: 0, errors, ...(state.lastGoodAt ? { lastGoodAt: state.lastGoodAt } : {}) };
    opts.log(`xds serve: ${why}, ${state.lastGoodAt ? 'keeping the last good config' : 'nothing is served'}:\n  ${errors.join('\n  ')}`);
    return false;
  };

  const reload = async (): Promise<boolean> => {
    const started = performance.now();
    let workloads: WorkloadInstance[];
    try {
      workloads = kube ? kube.workloads() : readWorkloadFile(opts.workloads, opts.cwd);
    } catch (e) {
      if (!(e instanceof WorkloadFileError)) throw e;
      return reject('unusable', [e.message], 'workload file unusable');
    }
    // An unchanged workload list is kept (the very list), so what was built from it (load
    // assignments) is found by identity, as unchanged input objects are (graph-carry.ts).
    const workloadsJson = JSON.stringify(workloads);
    if (current && current.workloadsJson === workloadsJson) workloads = current.workloads;
    // With the check suite, the files it read are the files served: one read, so a save landing
    // between two reads can neither slip unchecked input through nor reject what was checked.
    const run = opts.check !== false ? await checkPaths(opts.paths, { cwd: opts.cwd }) : undefined;
    const loaded = run ?? await loadInputs(opts.paths, { cwd: opts.cwd });
    const unusable = loaded.problems.filter((p) => p.unusable).map((p) => `${p.location.file}:${p.location.line}:${p.location.column}: ${p.message}`);
    if (unusable.length > 0) return reject('unusable', unusable, 'input unusable');
    if (run) {
      const errors = run.result.findings.filter((f) => f.severity === 'error').map(findingLine);
      if (errors.length > 0) return reject('rejected', errors, `input rejected by the check suite (${errors.length} error${errors.length === 1 ? '' : 's'})`);
    }
    // Built on the previous graph: what the change did not touch is carried over (xds/translate/carry-over.ts).
    const graph = MeshGraph.from(loaded.files, { carryOver: true, ...(current ? { previous: current.graph } : {}) });
    ca ??= opts.caCert && opts.caKey
      ? await loadCaFromFiles({ certFile: resolve(opts.cwd, opts.caCert), keyFile: resolve(opts.cwd, opts.caKey), trustDomain: graph.trustDomain })
      : await createCa({ trustDomain: graph.trustDomain });
    certs ??= new WorkloadCertificates(ca);
    const secretObjects = graph.ofKind('Secret');
    const credentials = new Map<string, ReturnType<typeof buildCredentialSecrets>>();
    const rootSecret = buildValidationContextSecret(ROOT_CA_SECRET, ca.rootCertificatePem);
    const identities = new Set<string>();
    let published = 0;
    let served = 0;
    // Node ids this graph has a proxy for; any other snapshot (a workload removed, renamed, moved to a
    // namespace without injection, a sidecar turned gateway) is dropped after publishing.
    const present = new Set<string>();
    for (const proxy of proxiesOf(graph)) {
      const view = buildProxyView(graph, proxy);
      let creds = credentials.get(proxy.namespace);
      if (!creds) {
        credentials.set(proxy.namespace, (creds = buildCredentialSecrets(secretObjects, proxy.namespace)));
        for (const p of creds.problems) opts.log(`xds serve: ${p.message}`);
      }
      const spiffeId = workloadSpiffeId(graph.trustDomain, proxy.namespace, proxy.serviceAccount);
      identities.add(spiffeId);
      const cert = await certs.certificateFor(spiffeId);
      const secrets = [buildTlsCertificateSecret(WORKLOAD_CERT_SECRET, cert.certificateChainPem, cert.privateKeyPem), rootSecret, ...creds.secrets];
      const ids: [string, boolean][] = [[`${proxy.namespace}/${proxy.name}`, false]];
      if (proxy.type === 'sidecar') ids.push([`grpc:${proxy.namespace}/${proxy.name}`, true]);
      for (const [id, proxyless] of ids) {
        present.add(id);
        const make = () => createSnapshot({ ...translateProxy(view, workloads, { proxyless }), secrets });
        const failed = (e: unknown) => opts.log(`xds serve: ${id}: ${untranslatable(e)}; keeping its last good config`);
        if (proxyless) {
          // A proxyless gRPC node's snapshot is made when it connects (or now, while it is connected):
          // most sidecars never have one, and it holds an api_listener per service.
          const r = cache.setSnapshotLazily(id, make, failed);
          if (r === true) published++;
          if (r !== false) served++;
          continue;
        }
        try {
          if (cache.setSnapshot(id, make())) published++;
          served++;
        } catch (e) {
          failed(e);
        }
      }
    }
    current = { graph, workloads, workloadsJson, rootSecret };
    const gone = cache.nodeIds().filter((id) => !present.has(id) && !placed.has(id));
    for (const id of gone) cache.clearSnapshot(id);
    if (gone.length > 0) {
      opts.log(`xds serve: ${gone.length} node${gone.length === 1 ? '' : 's'} no longer in the input, ${gone.length === 1 ? 'its snapshot' : 'their snapshots'} dropped (connected streams keep what they were sent; a new stream gets nothing): ${gone.slice(0, 5).join(', ')}${gone.length > 5 ? `, … (${gone.length - 5} more)` : ''}`);
    }
    for (const p of placed.values()) {
      const r = await publishPlaced(p);
      if (r.spiffeId) identities.add(r.spiffeId);
      if (r.published) published++;
      if (r.spiffeId && cache.getSnapshot(p.nodeId)) served++;
    }
    releaseCarryOver(graph);
    // Keyed while the server waits for the next change, so the next reload finds it at once.
    setImmediate(() => prepareCarryOver(graph)).unref();
    certs.retain(identities);
    await scheduleRenewal();
    const at = new Date().toISOString();
    state = { outcome: 'published', at, published, errors: [], lastGoodAt: at };
    const how = `${Math.round(performance.now() - started)} ms (${howBuilt(graph)})`;
    opts.log(published > 0 ? `xds serve: ${published} snapshot(s) published in ${how}` : `xds serve: unchanged: ${served} snapshot${served === 1 ? '' : 's'} still served; reloaded in ${how}`);
    return true;
  };

  // Certificates are renewed at half their life: reload then, which re-issues what is due.
  const scheduleRenewal = async () => {
    clearTimeout(renewTimer);
    const next = await certs?.nextRenewal();
    if (next === undefined) return;
    renewTimer = setTimeout(scheduleReload, Math.min(Math.max(next - Date.now(), 1000), 2 ** 31 - 1));
    renewTimer.unref();
  };

  if (opts.kubeconfig !== undefined || opts.inCluster) {
    kube = new KubernetesEndpointSource({ kubeConfig: loadKubeConfig(opts.kubeconfig && resolve(opts.cwd, opts.kubeconfig)), onChange: scheduleReload, log: opts.log });
    try {
      await kube.start();
    } catch (e) {
      throw new ServeStartError(`xds serve: ${(e as Error).message}`);
    }
  }
  try {
    if (!(await reload())) throw new ServeStartError(`xds serve: nothing to serve: the inputs ${opts.paths.join(', ')} are ${state.outcome === 'rejected' ? 'rejected by the check suite' : 'unusable'} (see above); fix them and start again`);
  } catch (e) {
    await kube?.stop();
    throw e;
  }
  // A failure to listen stops everything started so far and names the flag: exit 2, not a stack trace.
  const stopStarted = async () => {
    clearTimeout(reloadTimer);
    clearTimeout(renewTimer);
    await kube?.stop();
    await ads.close(0);
  };
  let port: number;
  try {
    port = await ads.listen(opts.listen);
  } catch (e) {
    await stopStarted();
    throw new ServeStartError(`xds serve: --listen ${opts.listen}: cannot listen there (${listenReason(e)}); choose a free address (port 0 picks one) or stop the process that holds it`);
  }
  let statusServer: http.Server | undefined;
  if (opts.status) {
    try {
      const [host, p] = splitHostPort(opts.status);
      statusServer = await listenStatus(ads.status, cache, host, p, () => ({ publish: state }));
    } catch (e) {
      await stopStarted();
      if (e instanceof ServeStartError) throw new ServeStartError(`xds serve: --status ${e.message}`);
      throw new ServeStartError(`xds serve: --status ${opts.status}: cannot listen there (${listenReason(e)}); choose a free address (port 0 picks one) or stop the process that holds it`);
    }
  }
  const watchers: TreeWatcher[] = [];
  if (opts.watch !== false) {
    // Per-directory watches, re-armed on each event: edits saved by rename (sed -i, vim) stay visible.
    for (const p of [...opts.paths, ...(opts.workloads && !kube ? [opts.workloads] : [])]) {
      watchers.push(watchTree(resolve(opts.cwd, p), scheduleReload, (m) => opts.log(`xds serve: ${m}`)));
    }
  }
  return {
    port, cache, ads, ca: ca!, reload: serialReload,
    publish: () => state,
    ...(statusServer ? { statusPort: (statusServer.address() as { port: number }).port } : {}),
    close: async () => {
      closed = true;
      clearTimeout(reloadTimer);
      clearTimeout(renewTimer);
      for (const t of forgetTimers.values()) clearTimeout(t);
      for (const w of watchers) w.close();
      await kube?.stop();
      statusServer?.closeAllConnections();
      await new Promise<void>((r) => (statusServer ? statusServer.close(() => r()) : r()));
      await ads.close(500);
    },
  };
}

/** The errno of a failed listen (EADDRINUSE, EACCES, EADDRNOTAVAIL…), else the error's first line. */
function listenReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && code.startsWith('E')) return code === 'EADDRINUSE' ? 'EADDRINUSE: the address is in use' : code;
  const msg = String((e as Error)?.message ?? e);
  const errno = /\b(EADDRINUSE|EACCES|EADDRNOTAVAIL|ENOTFOUND|EINVAL)\b/.exec(msg)?.[1];
  if (errno) return errno === 'EADDRINUSE' ? 'EADDRINUSE: the address is in use' : errno;
  return msg.split('\n')[0]!;
}

/** `file:line: rule (IST code): message`, one line per finding. */
export function findingLine(f: Finding): string {
  return `${f.location.file}:${f.location.line}: ${f.ruleId}${f.istioCode && f.istioCode !== f.ruleId ? ` (${f.istioCode})` : ''}: ${f.message}`;
}

function readWorkloadFile(file: string | undefined, cwd: string): WorkloadInstance[] {
  if (file === undefined) return [];
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (e) {
    throw new WorkloadFileError(file, `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseWorkloadFile(text, file);
}

/** `host:port` → [host, port]; IPv6 in brackets. Throws on a bad port. */
export function splitHostPort(value: string): [string, number] {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ServeStartError(`"${value}" is not host:port, e.g. 127.0.0.1:15014 (port 0 picks a free one)`);
  return [m[1] ?? (m[2] || '127.0.0.1'), port];
}

/** How a reload's graph was built, for the publish log line: first load, or on the previous graph and what it reused. */
function howBuilt(graph: MeshGraph): string {
  if (!graph.carried) return 'first load';
  const { kept, changed } = graph.carried;
  const reuse = graph.viewBase() ? 'views shared: only VirtualServices and DestinationRules changed' : 'translations carried over by content';
  return `${changed} object version${changed === 1 ? '' : 's'} changed, ${kept} kept; ${reuse}`;
}

/**
 * The log text for a proxy whose config could not be published: the consistency check's message,
 * or why translating or encoding failed (with `--no-check`, input the API server refuses, e.g. a
 * `.nan` weight, reaches the translator and cannot be encoded as Envoy config).
 */
function untranslatable(e: unknown): string {
  if (e instanceof SnapshotInconsistentError) return e.message;
  return `cannot translate its config (${e instanceof Error ? e.message : String(e)}); the input holds a value no Envoy config can carry, which the check suite refuses: run \`meshproof check\` on the inputs and fix its errors`;
}
