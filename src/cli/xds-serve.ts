/**
 * `meshproof xds serve`: the translator behind the ADS server. Each (re)load reads the inputs, runs
 * the check suite (the engine of `meshproof check`, with the repository's config), and only when it
 * finds no error translates every proxy, adds its SDS secrets and publishes; otherwise the last good
 * config keeps serving and the rejection (with its findings) is logged and shown on `/status`.
 * The mesh is the one `meshproof check` judges (meshproof.config.yaml's context paths, MeshConfig and
 * cluster domain), with or without the check suite. Inputs, the workload file, the config file and
 * the files it names are watched (debounced, then read once they have stopped changing: `settle.ts`;
 * symbolic links under the inputs are followed: `watch-tree.ts`); endpoints come from the workload file or, with
 * a kubeconfig, from EndpointSlices and Pods watched in the cluster. Placed proxies
 * (`<ns>/<workload>?inbound=<pod ip>`, `?bind=<ip>`, `&as=<ns>/<sa>`: `src/verify/external/placement.ts`)
 * get a snapshot of their own when they first connect. With `tls`, ADS is mutual TLS with the SDS CA
 * and each client gets only its own identity's secrets (`src/xds/sds/secret-access.ts`).
 *
 * A node's snapshot is made when the node has a stream, else deferred until it connects
 * (`xds-serve-nodes.ts`): a reload costs reading, checking and building the graph, plus one snapshot
 * per connected node. An input whose objects are all the previous graph's, in order, keeps that
 * graph, so a reload that changed nothing (or only the workload list) makes nothing it need not.
 */
import type * as http from 'node:http';
import * as net from 'node:net';
import { resolve } from 'node:path';
import { checkPaths, loadMesh, type MeshModel } from '../checks/api.js';
import { CONFIG_FILE_NAMES, findConfigFile } from '../checks/config/index.js';
import { isConfigError } from './usage.js';
import type { Finding } from '../checks/types.js';
import { MeshGraph } from '../mesh/graph.js';
import { sameObjects } from '../mesh/graph-carry.js';
import { buildProxyView, proxiesOf, proxyIdCollisions, proxyOf, type ProxyIdentity } from '../mesh/view/index.js';
import { type CertificateAuthority, createCa, type IssuedCertificate, issueServerCertificate, loadCaFromFiles, PkiError, workloadSpiffeId } from '../pki/index.js';
import { secretRefusal } from '../xds/sds/secret-access.js';
import { CLIENT_CERT_FILES, writeClientCertificate } from './xds-client-cert.js';
import { KubeConfigError, KubernetesEndpointSource, loadKubeConfig } from '../xds/endpoints/kubernetes-source.js';
import { DEFAULT_TOKEN_AUDIENCES, kubeTokenReviewer, type TokenAuthenticator } from '../xds/server/token-review.js';
import { cachedTokenReviewer } from '../xds/server/token-review-cache.js';
import { nodeCacheKey } from '../xds/sds/node-identity.js';
import { ROOT_CA_SECRET, WORKLOAD_CERT_SECRET, buildCredentialSecrets, buildTlsCertificateSecret, buildValidationContextSecret } from '../xds/sds/secrets.js';
import { WorkloadCertificates } from '../xds/sds/workload-certificates.js';
import { type TreeWatcher, watchTree } from './watch-tree.js';
import { awaitSettled } from './settle.js';
import { changesText, objectChanges } from './reload-changes.js';
import { AdsServer, type AdsServerTls } from '../xds/server/ads-server.js';
import { listenStatus } from '../xds/server/status-http.js';
import { SnapshotCache } from '../xds/snapshot-cache.js';
import { createSnapshot } from '../xds/snapshot.js';
import { boundedNotes, carryOverStoreOf, moreMissingTargetPorts, parseWorkloadFile, prepareCarryOver, releaseCarryOver, translateProxy, WorkloadFileError, workloadsBackingNothing, workloadsMissingTargetPorts, type WorkloadInstance } from '../xds/translate/index.js';
import { howBuilt, NodePublisher, noCounts, type PublishCounts, reloadLine } from './xds-serve-nodes.js';
import { readWorkloadFileText } from './workload-file-read.js';
import type { Secret } from '../xds/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import type { NodeKeyFn } from '../xds/server/ads-stream.js';
import { parsePlacement, placeResources, type Placement } from '../verify/external/placement.js';
import { quote } from '../quote.js';
import { logBudget } from './log-budget.js';
import { meshFlagFiles, type MeshFlags } from './mesh-flags.js';
import { fileLineColumn } from '../mesh/lines.js';

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
  /**
   * For `published`: snapshots made by the reload (nodes with a stream, every Envoy node when eager;
   * `published` of them changed version), failed (the node keeps its last good config), deferred
   * until their node connects, left untouched (made from the very same input), and older deferred
   * snapshots made because a newer deferral pushed them out of their node's fallback chain
   * (`fallbacksMade`, see `MAX_DEFERRED_FALLBACKS`).
   */
  readonly made?: number;
  readonly failed?: number;
  readonly deferred?: number;
  readonly untouched?: number;
  readonly fallbacksMade?: number;
  /**
   * Now, not at the reload (read from the cache on each call): every node served (a snapshot made or
   * deferred), and how many of those still wait for their node (connecting makes theirs).
   */
  readonly served?: number;
  readonly servedDeferred?: number;
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
  /**
   * What shapes the mesh besides the inputs, as `meshproof check`'s flags give it (`--config`,
   * `--exclude`, `--max-*`, `--mesh-config`, `--cluster-domain`, `--context`: `mesh-flags.ts`); the
   * files it names are watched. @default the config found upward from `cwd`, nothing over it
   */
  readonly mesh?: MeshFlags;
  /**
   * Make every Envoy node's snapshot on every (re)load, connected or not, and build every reload on
   * a new graph, as before snapshots were deferred (proxyless `grpc:` nodes are deferred either way):
   * the baseline bench/xds/reload.ts compares with, and what tests compare deferred snapshots to.
   * @default false
   */
  readonly eager?: boolean;
  /**
   * The workload certificates to serve (SDS `default`), with the CA that issues them (`--ca-cert`
   * and `--ca-key` are then ignored). @default certificates of 24 h, renewed at half their life, from
   * the CA files or a throwaway CA
   */
  readonly certificates?: WorkloadCertificates;
  /** Watch the inputs and reload on change, after `debounceMs` of quiet. @default true, 250 */
  readonly watch?: boolean;
  readonly debounceMs?: number;
  /**
   * After the debounce, a watched change is read only once every watched file has been unchanged
   * this long (no `mtime` younger, or the same size, `mtime` and inode seen for this long:
   * `settle.ts`), waiting at most `maxSettleMs`, then reading the files as they are. 0 reads on
   * the debounce alone. Reloads asked for in process (`reload()`) do not wait. @default 1000, 10000
   */
  readonly settleMs?: number;
  readonly maxSettleMs?: number;
  /** ADS stream limits (e.g. `drainTimeoutMs` in tests). */
  readonly drainTimeoutMs?: number;
  /**
   * How long a placed proxy (`<ns>/<workload>?inbound=…`) keeps its placement and snapshot after its
   * last stream closed, in ms; it gets them again when it reconnects. Bounds memory when pods come
   * and go with new IPs. @default 60000
   */
  readonly forgetPlacedAfterMs?: number;
  /**
   * Serve ADS over mutual TLS: the server certificate is issued by the SDS CA (`caCert`/`caKey`, the
   * throwaway CA, or `certificates.ca`) for `names` and the `listen` host (unless it is a wildcard
   * address), and every client must present a certificate chained to that CA's root; SDS secrets go
   * only to the identity they belong to (`src/xds/sds/secret-access.ts`). @default plaintext, no client authentication
   */
  readonly tls?: { readonly names?: readonly string[] };
  /**
   * With `tls`: authenticate clients by Kubernetes service-account token instead of client
   * certificate, as istiod's KubeJWTAuthenticator: each stream sends `authorization: Bearer <token>`,
   * reviewed by a TokenReview with `audiences` through the cluster `kubeconfig`/`inCluster` reaches
   * (required); the stream's identity is the token's service account. @default client certificates
   */
  readonly tokenReview?: { readonly audiences?: readonly string[] };
  /**
   * Bootstrap client certificates issued at start from the serving CA and written to `dir`
   * (`cert-chain.pem`, `key.pem`, `root-cert.pem`: `xds-client-cert.ts`), one per identity. @default none
   */
  readonly clientCertificates?: readonly { readonly namespace: string; readonly serviceAccount: string; readonly dir: string }[];
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
  // A busy address is found before the input is read and checked (seconds on a large mesh), and
  // before grpc-js tries it (it logs its own "No address added…" line ahead of this message).
  // Both are held while the other is tried, so --status on --listen's address (or one that overlaps
  // it: 0.0.0.0 and 127.0.0.1 on one port) fails here too, not after the first load.
  const held: net.Server[] = [];
  try {
    for (const [flag, address] of [['--listen', opts.listen], ['--status', opts.status]] as const) {
      if (address === undefined) continue;
      const probe = await holdAddress(address);
      if (typeof probe !== 'string') {
        if (probe) held.push(probe);
        continue;
      }
      const taken = flag === '--status' && held.length > 0 && /^EADDRINUSE/.test(probe) && samePort(opts.listen, address);
      if (taken) throw new ServeStartError(`xds serve: --status ${address}: cannot listen there (EADDRINUSE: --listen ${opts.listen} takes that port); give --status a port of its own (port 0 picks one)`);
      throw new ServeStartError(`xds serve: ${flag} ${address}: cannot listen there (${probe}); choose a free address (port 0 picks one) or stop the process that holds it`);
    }
  } finally {
    await Promise.all(held.map((h) => new Promise<void>((r) => h.close(() => r()))));
  }
  const tlsNames = opts.tls ? serverNames(opts.listen, opts.tls.names ?? []) : undefined;
  if (opts.tokenReview && (!opts.tls || (opts.kubeconfig === undefined && !opts.inCluster))) {
    throw new ServeStartError(`xds serve: --token-review needs ${!opts.tls ? '--tls (a token is never sent in plaintext)' : 'a cluster to review tokens with: --kubeconfig <file> or --in-cluster'}`);
  }
  const cache = new SnapshotCache();
  // The eager build is the one before snapshots were deferred: every node made on every reload.
  const nodes = new NodePublisher(cache, opts.log, opts.eager !== true, opts.check !== false);
  // Placed proxies (`<ns>/<workload>?inbound=<ip>` …, see placement.ts) get a snapshot of their own,
  // published when they first connect and again on every reload that changes what it is made from.
  const placed = new Map<string, Placement>();
  // Lines a client can cause at will (any node id it sends): at most 20 a minute, then a count.
  const clientLog = logBudget(opts.log, 'xds serve: ');
  // Placed node ids already told that their as= identity is no ServiceAccount of the input.
  const strangers = new Set<string>();
  let current: Current | undefined;
  const publishPlaced = async (p: Placement, counts: PublishCounts = noCounts()): Promise<string | undefined> => {
    const loaded = current;
    if (!loaded || !certs) return undefined;
    const { graph, workloads, rootSecret } = loaded;
    const w = graph.workloads.all.find((x) => x.namespace === p.namespace && x.name === p.workload);
    if (!w) {
      const had = cache.has(p.nodeId);
      // Its config was built from a workload that is gone: not served any longer (streams keep what they got).
      cache.clearSnapshot(p.nodeId);
      nodes.forget(p.nodeId);
      clientLog.log(`xds serve: node ${quote(p.nodeId)}: no workload ${p.namespace}/${p.workload} in ${opts.paths.join(', ')}; nothing is served to it${had ? ' any longer (its last snapshot is dropped; connected streams keep what they were sent)' : ''} (name a Deployment or other workload of the inputs)`);
      return undefined;
    }
    const proxy = proxyOf(graph, w);
    const identity = p.as ?? { namespace: proxy.namespace, serviceAccount: proxy.serviceAccount };
    const spiffeId = workloadSpiffeId(graph.trustDomain, identity.namespace, identity.serviceAccount);
    if (p.as && !knownAccounts(graph).has(`${p.as.namespace}/${p.as.serviceAccount}`)) {
      // Node ids are trusted, so the certificate is issued; a typo in as= is said once per node (again after a reload that fixed it).
      if (!strangers.has(p.nodeId)) {
        if (strangers.size >= 1024) strangers.clear();
        strangers.add(p.nodeId);
        clientLog.log(`xds serve: node ${quote(p.nodeId)}: its identity as=${p.as.namespace}/${p.as.serviceAccount} (${spiffeId}) matches no ServiceAccount of ${opts.paths.join(', ')} (no ServiceAccount object, no workload runs as it); it gets that certificate, but no policy naming a real service account admits it`);
      }
    } else {
      strangers.delete(p.nodeId);
    }
    const cert = await certs.certificateFor(spiffeId);
    // A reload may have come while the certificate was issued: that one publishes it.
    if (current !== loaded) return spiffeId;
    const make = () => createSnapshot({ ...placeResources(translateProxy(buildProxyView(graph, proxy), workloads), p), secrets: [buildTlsCertificateSecret(WORKLOAD_CERT_SECRET, cert.certificateChainPem, cert.privateKeyPem), rootSecret] });
    nodes.publish(p.nodeId, { graph, workloads, cert }, make, opts.eager === true, counts);
    return spiffeId;
  };
  const nodeKey: NodeKeyFn = (node, known) => {
    const id = node?.id ?? '';
    let p: Placement | undefined;
    try {
      p = parsePlacement(id);
    } catch (e) {
      clientLog.log(`xds serve: ${(e as Error).message}`);
      throw e;
    }
    if (!p) {
      const key = nodeCacheKey(node, known);
      if (!NODE_KEY.test(key)) {
        const message = `node.id ${quote(id.slice(0, 200))} names no node: expected "<namespace>/<workload>" or "grpc:<namespace>/<workload>" (namespace a DNS-1123 label, workload a DNS-1123 subdomain), an Istio id "sidecar~<ip>~<pod>.<namespace>~<namespace>.svc.<domain>", or a placement id`;
        clientLog.log(`xds serve: ${message}`);
        throw new Error(message);
      }
      if (!known(key) && !unserved.has(key)) {
        // Logged once per node id; the memory of which ids were told is bounded.
        if (unserved.size >= 1024) unserved.clear();
        unserved.add(key);
        clientLog.log(`xds serve: node ${id === key ? quote(id) : `${quote(id)} (${key})`} has no snapshot and gets nothing: ${whyUnserved(key)}`);
      }
      return key;
    }
    if (!placed.has(p.nodeId)) {
      placed.set(p.nodeId, p);
      void publishPlaced(p).catch((e: unknown) => opts.log(`xds serve: ${p.nodeId}: ${String(e)}`));
    }
    return p.nodeId;
  };
  // What a node key can look like: `[grpc:]<namespace>/<workload>`.
  const NODE_KEY = /^(grpc:)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\/[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
  // Node ids already told they have no snapshot (logged once each).
  const unserved = new Set<string>();
  const whyUnserved = (key: string): string => {
    const failure = cache.info(key)?.failure;
    if (failure) return `its config could not be made (${failure.message.split('\n')[0]}); see /status`;
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
      strangers.delete(key);
      cache.clearSnapshot(key);
      nodes.forget(key);
      opts.log(`xds serve: ${key}: no stream for ${opts.forgetPlacedAfterMs ?? 60_000} ms; its placement and snapshot are dropped (it gets them again when it reconnects)`);
    }, opts.forgetPlacedAfterMs ?? 60_000);
    timer.unref();
    forgetTimers.set(key, timer);
  };
  // A proxy whose node has no snapshot is told why (it logs it), not left waiting in silence.
  const ads = new AdsServer({
    cache, nodeKey, onNodeGone, whyUnserved: (key) => (placed.has(key) ? undefined : whyUnserved(key)), ...(opts.drainTimeoutMs ? { limits: { drainTimeoutMs: opts.drainTimeoutMs } } : {}),
    // Only over mTLS (the server asks nothing of plaintext clients): a node's secrets go to its own identity.
    secretAccess: (peer, key, name, resource) => secretRefusal({ peerIdentity: peer, nodeNamespace: key.replace(/^grpc:/, '').split('/')[0]!, name, resource }),
    // Over mTLS a client names only nodes of its own namespace (nodeClaim's default reads placement ids too).
    // Set once the cluster is reached (tokenReview needs one): streams come only after listen, later still.
    tokenAuthenticator: (token) => (reviewer ? reviewer(token) : Promise.reject(new Error('the token review is not set up'))),
    trustDomain: () => ca?.trustDomain ?? 'cluster.local',
    onUnauthenticated: (peer, message) => clientLog.log(`xds serve: stream from ${peer} refused (UNAUTHENTICATED): ${message}`),
    onNodeRefused: (r) => clientLog.log(`xds serve: node ${quote(r.nodeId)} refused (PERMISSION_DENIED): ${r.reason} (see /status, refusedNodes)`),
    onSecretRefused: (r) => clientLog.log(`xds serve: node ${quote(r.nodeId)}: SDS secret ${quote(r.name)} withheld from the client authenticated as ${r.peerIdentity || '(no SPIFFE ID)'}: ${r.reason} (see /status, refusedSecrets)`),
  });
  let ca: CertificateAuthority | undefined;
  let reviewer: TokenAuthenticator | undefined;
  let certs: WorkloadCertificates | undefined;
  let state: PublishState = { outcome: 'unusable', at: new Date().toISOString(), published: 0, errors: ['not loaded yet'] };
  // What the last reload did, with what is served now: nodes connect (and `?node=…&make=1` makes
  // theirs) between reloads, so the served counts are read from the cache on each call.
  const live = (): PublishState => (state.outcome === 'published' ? { ...state, served: cache.nodeIds().length, servedDeferred: cache.deferredCount() } : state);
  let renewTimer: NodeJS.Timeout | undefined;
  let reloadTimer: NodeJS.Timeout | undefined;
  let kube: KubernetesEndpointSource | undefined;
  // Reloads never overlap: a call that arrives while one runs (a file change, or an in-process
  // caller) is answered by one more run after it, which reads what changed meanwhile; every call
  // made during the same run shares that follow-up and gets its result, not the running one's.
  let running: Promise<boolean> | undefined;
  let queued: Promise<boolean> | undefined;
  let closed = false;
  const serialReload = (): Promise<boolean> => {
    if (running === undefined) {
      const run = reload().finally(() => { if (running === run) running = undefined; });
      running = run;
      return run;
    }
    if (queued === undefined) {
      // A run that threw still lets the follow-up run (the caller of the failed run gets its error).
      const follow = running.then(() => undefined, () => undefined).then(() => {
        queued = undefined;
        return serialReload();
      });
      queued = follow;
    }
    return queued;
  };
  const scheduleReload = () => {
    if (closed) return;
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => void settledReload(), opts.debounceMs ?? 250);
  };
  // A change is read once the watched files have stopped changing (settle.ts): a writer pausing
  // mid-file for longer than the debounce is not loaded half-written. A settle under way sees any
  // later change itself, so a second one is not started.
  let settling = false;
  const settledReload = async () => {
    if (settling || closed) return;
    settling = true;
    try {
      const settleMs = opts.settleMs ?? DEFAULT_SETTLE_MS;
      const maxWaitMs = opts.maxSettleMs ?? DEFAULT_MAX_SETTLE_MS;
      const s = await awaitSettled(watchedPaths, { settleMs, maxWaitMs, stop: () => closed });
      if (closed) return;
      if (!s.settled) opts.log(`xds serve: the inputs were still being written after ${maxWaitMs} ms (a file changed within every ${settleMs} ms); loading them as they are`);
    } finally {
      settling = false;
    }
    await serialReload().catch((e: unknown) => opts.log(`xds serve: reload failed: ${String(e)}`));
  };

  /** Why the last (re)load was refused (`reject`'s `why`), for the start-up error. */
  let refusedBecause = '';
  const reject = (outcome: 'unusable' | 'rejected', errors: string[], why: string): false => {
    refusedBecause = why;
    state = { outcome, at: new Date().toISOString(), published: 0, errors, ...(state.lastGoodAt ? { lastGoodAt: state.lastGoodAt } : {}) };
    opts.log(`xds serve: ${why}, ${state.lastGoodAt ? 'keeping the last good config' : 'nothing is served'}:\n  ${errors.join('\n  ')}`);
    return false;
  };

  // A refused (re)load leaves the last good config serving, and its certificates must still be
  // renewed at half their life (else proxies keep, and new ones are handed, expired certificates
  // until the input is fixed): once one is due, the last good config is published again, which
  // re-issues what is due; a node whose certificate did not change is left alone.
  const renewLastGood = async (): Promise<void> => {
    const last = current;
    if (last && certs && (await certs.due())) {
      const counts = noCounts();
      const { issued } = await nodes.publishProxies({ graph: last.graph, workloads: last.workloads, proxies: last.proxies, credentials: last.credentials, certs, rootSecret: last.rootSecret, eager: opts.eager === true }, counts);
      const renewed = renewedSince(last.certs, issued);
      current = { ...last, certs: issued };
      await publishPlacedAndRetain(issued, counts);
      if (renewed > 0) opts.log(`xds serve: ${renewed} workload certificate${renewed === 1 ? '' : 's'} re-issued on the last good config (the input is still refused): ${counts.published} snapshot(s) published, ${counts.deferred} deferred until their node connects${counts.failed > 0 ? `, ${counts.failed} failed` : ''}`);
    }
    await scheduleRenewal();
  };
  // The placed nodes published on the current config, then only the identities in use keep certificates.
  const publishPlacedAndRetain = async (issued: ReadonlyMap<string, IssuedCertificate>, counts: PublishCounts): Promise<void> => {
    const identities = new Set(issued.keys());
    for (const p of placed.values()) {
      const spiffeId = await publishPlaced(p, counts);
      if (spiffeId) identities.add(spiffeId);
    }
    certs!.retain(identities);
  };
  const refuse = async (outcome: 'unusable' | 'rejected', errors: string[], why: string): Promise<false> => {
    reject(outcome, errors, why);
    await renewLastGood();
    return false;
  };

  // Watched, once serving (per-directory watches, re-armed on each event: edits saved by rename, as
  // sed -i and vim do, stay visible): the inputs, the workload file, meshproof.config.yaml (where it
  // would be found when there is none yet, or the --config file) and what the last load read through
  // it (MeshConfig file, context paths), so editing any of them reloads; the set follows the config's
  // edits. Files named by --config, --mesh-config and --context are watched even when the last load
  // could not read them (a config error), so fixing them reloads.
  const watchers = new Map<string, TreeWatcher>();
  let watching = false;
  let sources: readonly string[] = [];
  const watchedPaths = (): string[] => {
    const config = opts.mesh?.config ?? findConfigFile(opts.cwd) ?? resolve(opts.cwd, CONFIG_FILE_NAMES[0]!);
    const flagged = opts.mesh ? meshFlagFiles(opts.mesh, opts.cwd) : [];
    return [...new Set([...opts.paths, ...(opts.workloads && !kube ? [opts.workloads] : [])].map((p) => resolve(opts.cwd, p)).concat(config, sources, flagged))];
  };
  const syncWatches = () => {
    if (!watching || closed) return;
    const want = new Set(watchedPaths());
    for (const [path, w] of watchers) if (!want.has(path)) { w.close(); watchers.delete(path); }
    for (const path of want) if (!watchers.has(path)) watchers.set(path, watchTree(path, scheduleReload, (m) => opts.log(`xds serve: ${m}`)));
  };
  // The workload entries backing no Service last logged (joined), so an unchanged list is not logged again.
  let orphansTold = '';
  const reload = async (): Promise<boolean> => {
    const started = performance.now();
    let workloads: WorkloadInstance[];
    try {
      workloads = kube ? kube.workloads() : readWorkloadFile(opts.workloads, opts.cwd);
    } catch (e) {
      if (!(e instanceof WorkloadFileError)) throw e;
      return refuse('unusable', [e.message], 'workload file unusable');
    }
    // An unchanged workload list is kept (the very list), so what was built from it (load
    // assignments) is found by identity, as unchanged input objects are (graph-carry.ts).
    const workloadsJson = JSON.stringify(workloads);
    if (current && current.workloadsJson === workloadsJson) workloads = current.workloads;
    // With the check suite, the files it read are the files served: one read, so a save landing
    // between two reads can neither slip unchecked input through nor reject what was checked.
    // Served or not, the mesh is the one `meshproof check` judges: meshproof.config.yaml's context
    // paths, MeshConfig and cluster domain (--no-check skips the rules, not the config).
    let run: Awaited<ReturnType<typeof checkPaths>> | undefined;
    let model: MeshModel;
    try {
      run = opts.check !== false ? await checkPaths(opts.paths, { cwd: opts.cwd, ...opts.mesh, emptyHint: 'xds serve needs manifests to translate: check the --input paths (an emptied input is refused, and the last good config keeps serving)' }) : undefined;
      model = run?.model ?? await loadMesh(opts.paths, { cwd: opts.cwd, ...opts.mesh, allowEmpty: true });
    } catch (e) {
      if (!isConfigError(e)) throw e;
      return refuse('unusable', [e.message], 'meshproof.config.yaml unusable');
    }
    sources = model.sources;
    syncWatches();
    const unusable = [...model.problems.filter((p) => p.unusable), ...model.mesh.problems].map((p) => `${fileLineColumn(p.location)}: ${p.message}`);
    if (unusable.length > 0) return refuse('unusable', unusable, 'input unusable');
    if (run) {
      const errors = run.result.findings.filter((f) => f.severity === 'error').map(findingLine);
      if (errors.length > 0) return refuse('rejected', errors, `input rejected by the check suite (${errors.length} error${errors.length === 1 ? '' : 's'})`);
    }
    // Built on the previous graph: what the change did not touch is carried over (xds/translate/carry-over.ts).
    // Position-free: the served config carries no line (findings come from the check suite's own graph),
    // so objects that only moved in their file keep everything built from them. Not across a change
    // of MeshConfig or cluster domain: what was built from the predecessor was built for another mesh.
    const meshKey = JSON.stringify(model.mesh.context);
    const previous = current && current.meshKey === meshKey ? current.graph : undefined;
    const built = MeshGraph.from([...model.files, ...model.contextFiles], { context: model.mesh.context, carryOver: true, ...(previous ? { previous, positionFree: true } : {}) });
    const how = howBuilt(built, current ? changesText(objectChanges(current.graph.objects, built.objects)) : undefined);
    // Every object the previous graph's, in the same order: the same mesh, so the previous graph
    // (with its views and translations) stays, and nodes whose other inputs are the same are left alone.
    const keep = opts.eager !== true && previous !== undefined && sameObjects(built.objects, previous.objects);
    const graph = keep ? current!.graph : built;
    if (!keep) {
      // The new graph's carry-over store is linked to its predecessor's now, while that is alive, so
      // snapshots made later (nodes connecting) still find the translations by content; the link
      // before it is dropped, so at most two generations are held. A predecessor that holds nothing
      // (no node was made on it) is not linked: every lookup would pay a fingerprint and miss.
      const store = carryOverStoreOf(graph);
      if (current) {
        const before = carryOverStoreOf(current.graph)?.sizes;
        releaseCarryOver(current.graph);
        if (before && before.clusters + before.endpoints + before.virtualHosts + before.pending === 0) store?.release();
      }
    }
    ca ??= opts.certificates?.ca ?? (opts.caCert && opts.caKey
      ? await loadCaFromFiles({ certFile: resolve(opts.cwd, opts.caCert), keyFile: resolve(opts.cwd, opts.caKey), trustDomain: graph.trustDomain })
      : await createCa({ trustDomain: graph.trustDomain }));
    certs ??= opts.certificates ?? new WorkloadCertificates(ca);
    const rootSecret = current?.rootSecret ?? buildValidationContextSecret(ROOT_CA_SECRET, ca.rootCertificatePem);
    const credentials = keep ? current!.credentials : new Map<string, ReturnType<typeof buildCredentialSecrets>>();
    const proxies = keep ? current!.proxies : proxiesOf(graph);
    if (!keep) for (const c of proxyIdCollisions(proxies)) opts.log(`xds serve: ${c.message}; only one of them is served under that node id`);
    const counts = noCounts();
    // Node ids this graph has a proxy for; any other snapshot (a workload removed, renamed, moved to a
    // namespace without injection, a sidecar turned gateway) is dropped after publishing.
    const { present, issued } = await nodes.publishProxies({ graph, workloads, proxies, credentials, certs, rootSecret, eager: opts.eager === true }, counts);
    const renewed = current ? renewedSince(current.certs, issued) : 0;
    // Workload-file entries that back no Service (a typo in namespace or labels) or lack a port a Service targets by name: said at load, and again when that changes.
    if (!kube && opts.workloads !== undefined && (!current || current.graph !== graph || current.workloads !== workloads)) {
      const notes = workloadsBackingNothing(graph, workloads, opts.workloads);
      const ports = workloadsMissingTargetPorts(graph, workloads, opts.workloads);
      const text = [...notes, ...ports].join('\n');
      if (text !== orphansTold) for (const line of [...boundedNotes('xds serve: ', notes), ...boundedNotes('xds serve: ', ports, 5, moreMissingTargetPorts)]) opts.log(line);
      orphansTold = text;
    }
    current = { graph, meshKey, workloads, workloadsJson, rootSecret, proxies, credentials, certs: issued };
    const gone = cache.nodeIds().filter((id) => !present.has(id) && !placed.has(id));
    for (const id of gone) {
      cache.clearSnapshot(id);
      nodes.forget(id);
    }
    if (gone.length > 0) {
      opts.log(`xds serve: ${gone.length} node${gone.length === 1 ? '' : 's'} no longer in the input, ${gone.length === 1 ? 'its snapshot' : 'their snapshots'} dropped (connected streams keep what they were sent; a new stream gets nothing): ${gone.slice(0, 5).join(', ')}${gone.length > 5 ? `, … (${gone.length - 5} more)` : ''}`);
    }
    await publishPlacedAndRetain(issued, counts);
    if (!keep) {
      // With eager, every Envoy node is translated: the predecessor's entries it did not reuse can go.
      if (opts.eager) releaseCarryOver(graph);
      // Keyed while the server waits for the next change, so the next reload finds it at once.
      setImmediate(() => prepareCarryOver(graph)).unref();
    }
    await scheduleRenewal();
    const at = new Date().toISOString();
    const served = cache.nodeIds().length;
    const servedDeferred = cache.deferredCount();
    state = { outcome: 'published', at, published: counts.published, errors: [], lastGoodAt: at, made: counts.made, failed: counts.failed, deferred: counts.deferred, untouched: counts.untouched, fallbacksMade: counts.fallbacksMade, served, servedDeferred };
    opts.log(`xds serve: ${reloadLine(counts, served, servedDeferred, renewed, `${Math.round(performance.now() - started)} ms (${how}${keep && built.carried ? '; the previous graph kept' : ''})`, !built.carried)}`);
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
    let kubeConfig: ReturnType<typeof loadKubeConfig>;
    try {
      kubeConfig = loadKubeConfig(opts.kubeconfig && resolve(opts.cwd, opts.kubeconfig));
    } catch (e) {
      if (e instanceof KubeConfigError) throw new ServeStartError(`xds serve: ${e.message}`);
      throw e;
    }
    if (opts.tokenReview) reviewer = cachedTokenReviewer(kubeTokenReviewer(kubeConfig, opts.tokenReview.audiences?.length ? opts.tokenReview.audiences : DEFAULT_TOKEN_AUDIENCES));
    kube = new KubernetesEndpointSource({ kubeConfig, onChange: scheduleReload, log: opts.log });
    try {
      await kube.start();
    } catch (e) {
      throw new ServeStartError(`xds serve: ${(e as Error).message}`);
    }
  } else if (opts.workloads === undefined) {
    // Not an error (listeners, routes and certificates are worth serving alone), but never silent.
    opts.log(NO_ENDPOINTS_NOTE);
  }
  try {
    if (!(await reload())) {
      const what = refusedBecause === 'workload file unusable' ? `the workload file ${opts.workloads ?? ''} is unusable`
        : `the inputs ${opts.paths.join(', ')} are ${state.outcome === 'rejected' ? 'rejected by the check suite' : 'unusable'}`;
      throw new ServeStartError(`xds serve: nothing to serve: ${what} (see above); fix ${refusedBecause === 'workload file unusable' ? 'it' : 'them'} and start again`);
    }
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
    // As written it may leave the host out (`:15010`), which gRPC cannot bind: the loopback address splitHostPort gives.
    port = await ads.listen(hostPortOf(...splitHostPort(opts.listen)), tlsNames ? { ...(await serverTls(ca!, tlsNames)), ...(opts.tokenReview ? { clientAuth: 'token' as const } : {}) } : undefined);
  } catch (e) {
    await stopStarted();
    if (e instanceof PkiError) throw new ServeStartError(`xds serve: --tls: cannot issue the server certificate: ${e.message}`);
    throw new ServeStartError(`xds serve: --listen ${opts.listen}: cannot listen there (${listenReason(e)}); choose a free address (port 0 picks one) or stop the process that holds it`);
  }
  let statusServer: http.Server | undefined;
  if (opts.status) {
    try {
      const [host, p] = splitHostPort(opts.status);
      statusServer = await listenStatus(ads.status, cache, host, p, () => ({ publish: live() }));
    } catch (e) {
      await stopStarted();
      if (e instanceof ServeStartError) throw new ServeStartError(`xds serve: --status ${e.message}`);
      throw new ServeStartError(`xds serve: --status ${opts.status}: cannot listen there (${listenReason(e)}); choose a free address (port 0 picks one) or stop the process that holds it`);
    }
  }
  for (const c of opts.clientCertificates ?? []) {
    try {
      const w = await writeClientCertificate(ca!, c.namespace, c.serviceAccount, resolve(opts.cwd, c.dir));
      opts.log(`xds serve: client certificate for ${w.spiffeId} (until ${w.notAfter.toISOString()}) written to ${c.dir}: ${CLIENT_CERT_FILES.chain}, ${CLIENT_CERT_FILES.key}, ${CLIENT_CERT_FILES.root}`);
    } catch (e) {
      statusServer?.closeAllConnections();
      statusServer?.close();
      await stopStarted();
      const code = (e as NodeJS.ErrnoException).code;
      throw new ServeStartError(`xds serve: --issue-client-cert ${c.namespace}/${c.serviceAccount}=${c.dir}: ${e instanceof PkiError ? e.message : `cannot write there (${typeof code === 'string' ? code : (e as Error).message}); choose a folder this user may write`}`);
    }
  }
  watching = opts.watch !== false;
  syncWatches();
  return {
    port, cache, ads, ca: ca!, reload: serialReload,
    publish: live,
    ...(statusServer ? { statusPort: (statusServer.address() as { port: number }).port } : {}),
    close: async () => {
      closed = true;
      clearTimeout(reloadTimer);
      clearTimeout(renewTimer);
      for (const t of forgetTimers.values()) clearTimeout(t);
      for (const w of watchers.values()) w.close();
      watchers.clear();
      await kube?.stop();
      statusServer?.closeAllConnections();
      await new Promise<void>((r) => (statusServer ? statusServer.close(() => r()) : r()));
      await ads.close(500);
    },
  };
}

/**
 * Listens on `address` to find out whether it can be: the listening server (the caller closes it),
 * or why not (`listenReason`); undefined for port 0 (any free port) and for an address that is not
 * host:port (the listen itself reports that).
 */
async function holdAddress(address: string): Promise<net.Server | string | undefined> {
  let host: string;
  let port: number;
  try {
    [host, port] = splitHostPort(address);
  } catch {
    return undefined;
  }
  if (port === 0) return undefined;
  const probe = net.createServer();
  return new Promise((done) => {
    probe.once('error', (e) => done(listenReason(e)));
    probe.listen({ host, port, exclusive: true }, () => done(probe));
  });
}

/** Whether two host:port values name the same port (whatever their hosts). */
function samePort(a: string, b: string): boolean {
  try {
    return splitHostPort(a)[1] === splitHostPort(b)[1];
  } catch {
    return false;
  }
}

/** How many identities of `before` have another certificate in `after` (re-issued). */
function renewedSince(before: ReadonlyMap<string, IssuedCertificate>, after: ReadonlyMap<string, IssuedCertificate>): number {
  return [...after].filter(([id, c]) => before.has(id) && before.get(id) !== c).length;
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

/** How long watched files must be unchanged before a change is read, and how long that is waited for at most (ms). */
export const DEFAULT_SETTLE_MS = 1000;
export const DEFAULT_MAX_SETTLE_MS = 10_000;

/** Said once at start when no source of endpoints is given. */
export const NO_ENDPOINTS_NOTE = 'xds serve: note: no --workloads file and no cluster (--kubeconfig / --in-cluster), so every cluster has no endpoints and each call through a served proxy fails (503 UH; gRPC UNAVAILABLE); give the pods with --workloads <file>, or read them from a cluster with --kubeconfig <file> or --in-cluster';

function readWorkloadFile(file: string | undefined, cwd: string): WorkloadInstance[] {
  if (file === undefined) return [];
  let text: string;
  try {
    text = readWorkloadFileText(resolve(cwd, file), file);
  } catch (e) {
    if (e instanceof WorkloadFileError) throw e;
    throw new WorkloadFileError(file, `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseWorkloadFile(text, file);
}

/**
 * The names the `--tls` server certificate is issued for: `names`, and the `listen` host unless it is
 * a wildcard address (0.0.0.0, ::), which no client dials. Throws ServeStartError when none is left.
 */
export function serverNames(listen: string, names: readonly string[]): string[] {
  const [host] = splitHostPort(listen);
  const all = [...new Set([...(host === '0.0.0.0' || host === '::' ? [] : [host.toLowerCase()]), ...names.map((n) => n.toLowerCase())])];
  if (all.length === 0) throw new ServeStartError(`xds serve: --tls with --listen ${listen}: a wildcard address names no host for the server certificate; give --tls-name <the DNS name or IP the proxies dial>, e.g. --tls-name meshproof-xds.meshproof-system.svc`);
  return all;
}

/**
 * Mutual TLS material for the ADS server: a server certificate from `ca` for `names` (DNS names and
 * IP addresses), valid for a year or until the CA expires (less a minute), whichever is sooner; client
 * certificates must chain to the CA's root.
 */
async function serverTls(ca: CertificateAuthority, names: readonly string[]): Promise<AdsServerTls> {
  const ttlSeconds = Math.min(365 * 86_400, Math.floor((ca.notAfter.getTime() - Date.now()) / 1000) - 60);
  const cert = await issueServerCertificate(ca, {
    dnsNames: names.filter((n) => net.isIP(n) === 0), ipAddresses: names.filter((n) => net.isIP(n) !== 0), ttlSeconds: Math.max(ttlSeconds, 1),
  });
  return { certificateChainPem: cert.certificateChainPem, privateKeyPem: cert.privateKeyPem, clientCaPem: ca.rootCertificatePem };
}

/** `host:port` again, an IPv6 host in brackets. */
export function hostPortOf(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Whether `host` (as splitHostPort gives it) is a loopback address or name: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1' || host.toLowerCase() === 'localhost' || /^::ffff:127\./i.test(host);
}

/** `host:port` → [host, port]; IPv6 in brackets. Throws on a bad port. */
export function splitHostPort(value: string): [string, number] {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ServeStartError(`"${value}" is not host:port, e.g. 127.0.0.1:15014 (port 0 picks a free one)`);
  return [m[1] ?? (m[2] || '127.0.0.1'), port];
}

/** What the last published (re)load was made from. */
interface Current {
  readonly graph: MeshGraph;
  /** The graph's MeshConfig and cluster domain as JSON: a reload under another one builds afresh. */
  readonly meshKey: string;
  readonly workloads: WorkloadInstance[];
  readonly workloadsJson: string;
  readonly rootSecret: Secret;
  readonly proxies: readonly ProxyIdentity[];
  /** Kubernetes Secret credentials per proxy namespace. */
  readonly credentials: Map<string, ReturnType<typeof buildCredentialSecrets>>;
  /** The workload certificate per SPIFFE id of the proxies. */
  readonly certs: ReadonlyMap<string, IssuedCertificate>;
}

const accountsByGraph = new WeakMap<MeshGraph, ReadonlySet<string>>();

/**
 * The service accounts (`<namespace>/<name>`) the input knows: ServiceAccount objects, and the
 * accounts its workloads run as (`default` when they name none). Made once per graph.
 */
function knownAccounts(graph: MeshGraph): ReadonlySet<string> {
  let known = accountsByGraph.get(graph);
  if (!known) {
    const set = new Set<string>();
    for (const o of graph.ofKind('ServiceAccount')) if (o.group === '') set.add(`${o.namespace}/${o.name}`);
    for (const w of graph.workloads.all) set.add(`${w.namespace}/${w.serviceAccount}`);
    accountsByGraph.set(graph, (known = set));
  }
  return known;
}
