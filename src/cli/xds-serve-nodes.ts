/**
 * How `xds serve` publishes a node's snapshot on a (re)load: made now when the node has a stream
 * (or, with `eager`, for every Envoy node), otherwise deferred until the node connects
 * (`SnapshotCache.setSnapshotLazily`), as istiod generates config only for connected proxies; and
 * left as it is when what it is made from is the very same (the same mesh graph, workload list and
 * workload certificate), so an unchanged reload makes nothing.
 */
import type { MeshGraph } from '../mesh/graph.js';
import { buildProxyView, type ProxyIdentity, type ProxyView } from '../mesh/view/index.js';
import { type IssuedCertificate, workloadSpiffeId } from '../pki/index.js';
import type { Secret } from '../xds/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { buildCredentialSecrets, buildGatewayApiCredentialSecrets, buildTlsCertificateSecret, WORKLOAD_CERT_SECRET } from '../xds/sds/secrets.js';
import { gatewayApiCredentialNames } from '../mesh/gateway-api-gateway-routes.js';
import { buildConfigMapCaSecrets, configMapCredentialNames } from '../xds/sds/configmap-ca.js';
import type { WorkloadCertificates } from '../xds/sds/workload-certificates.js';
import { type SnapshotCache, type SnapshotFallback, SnapshotInconsistentError } from '../xds/snapshot-cache.js';
import { createSnapshot, type Snapshot } from '../xds/snapshot.js';
import { translateProxy, type WorkloadInstance } from '../xds/translate/index.js';

/** What a node's snapshot is made from: objects compared by identity. */
export interface NodeInputs {
  readonly graph: MeshGraph;
  readonly workloads: readonly WorkloadInstance[];
  /** The workload certificate of its SDS `default` secret (re-issued at half its life). */
  readonly cert: IssuedCertificate;
}

/** What one reload did to the nodes' snapshots (`PublishState`, the reload log line). */
export interface PublishCounts {
  /** Snapshots made during the reload (nodes with a stream; every Envoy node when eager). */
  made: number;
  /** Of `made`, those whose version changed (pushed to the node's streams). */
  published: number;
  /** Of `made`, those that could not be made: the node keeps its last good config. */
  failed: number;
  /** Snapshots deferred until their node connects. */
  deferred: number;
  /** Nodes whose inputs are the very same as last time: their snapshot, made or deferred, is left as it is. */
  untouched: number;
  /**
   * Older deferred snapshots made because a newer deferral pushed them out of their node's chain
   * while every newer one may fail (`SnapshotCache.setSnapshotLazily`): the cost of keeping a node
   * that does not connect on exactly the config an eager build would serve it.
   */
  fallbacksMade: number;
}

export const noCounts = (): PublishCounts => ({ made: 0, published: 0, failed: 0, deferred: 0, untouched: 0, fallbacksMade: 0 });

/** What {@link NodePublisher.publishProxies} publishes: every proxy of one graph. */
export interface ProxiesInput {
  readonly graph: MeshGraph;
  readonly workloads: readonly WorkloadInstance[];
  readonly proxies: readonly ProxyIdentity[];
  /**
   * Kubernetes Secret credentials per proxy namespace (`kubernetes://<name>` of its Secrets, `kubernetes-gateway://<ns>/<name>`
   * of the certificateRefs of its Gateway API Gateways), filled in as namespaces are met (problems logged then).
   */
  readonly credentials: Map<string, ReturnType<typeof buildCredentialSecrets>>;
  readonly certs: WorkloadCertificates;
  /** SDS `ROOTCA`. */
  readonly rootSecret: Secret;
  /** Make every Envoy node's snapshot now, connected or not. */
  readonly eager: boolean;
}

export class NodePublisher {
  private readonly inputs = new Map<string, NodeInputs>();
  /** The workload certificate secret (`default`) per identity and namespace, as last issued. */
  private readonly certNow = new Map<string, Secret>();
  private failedNow = 0;
  /** Graphs on which a snapshot failed: a deferred snapshot of such a graph may fail too. */
  private readonly failedOn = new WeakSet<MeshGraph>();
  /** The `configmap://` CA secrets per graph ({@link NodePublisher.configMapCas}). */
  private readonly configMapSecrets = new WeakMap<MeshGraph, readonly Secret[]>();

  /**
   * `reuse`: leave a node alone when its inputs are the very same (false: make or defer every node
   * every time, as the eager build did). `checked`: every graph published passed the check suite, so a
   * deferred snapshot is taken to be makeable (it may fail only once one on its graph did); without
   * it (`--no-check`) any may fail, and a node's older deferred snapshot is made before it is pushed
   * out of its chain (`SnapshotCache.setSnapshotLazily`).
   */
  constructor(private readonly cache: SnapshotCache, private readonly log: (line: string) => void, private readonly reuse = true, private readonly checked = true) {}

  /**
   * Publishes node `id`'s snapshot, which `make` builds from `inputs`: made now when `now` is set or
   * the node has a stream, else deferred; nothing is done when the node has a snapshot (made or
   * deferred) from the very same inputs. A failure is logged with the node and the fix, and recorded
   * in the cache for `/status`; the node keeps its last good config.
   */
  publish(id: string, inputs: NodeInputs, make: () => Snapshot, now: boolean, counts: PublishCounts, certificateWhenMade = false, refresh?: (made: Snapshot) => Snapshot): void {
    const last = this.inputs.get(id);
    if (this.reuse && last && last.graph === inputs.graph && last.workloads === inputs.workloads && last.cert === inputs.cert && this.cache.has(id)) {
      counts.untouched++;
      return;
    }
    // Only the certificate changed (re-issued) for a node whose snapshot waits: that snapshot, and
    // the fallbacks behind it, read the node's current certificate when made, so it stays as it is
    // (re-deferring it would push a fallback out for nothing: the last good config of a node whose
    // newest one cannot be made).
    if (this.reuse && certificateWhenMade && !now && last && last.graph === inputs.graph && last.workloads === inputs.workloads && this.cache.versionOf(id) === 'deferred') {
      this.inputs.set(id, inputs);
      counts.deferred++;
      return;
    }
    this.inputs.set(id, inputs);
    const failed = (e: unknown, fallback: SnapshotFallback): string => {
      this.failedNow++;
      this.failedOn.add(inputs.graph);
      const text = untranslatable(e);
      this.log(`xds serve: ${id}: ${text}; ${servedInstead(fallback)}`);
      return text;
    };
    const before = this.failedNow;
    const fallbacksBefore = this.cache.fallbacksMade();
    const mayFail = () => !this.checked || this.failedOn.has(inputs.graph);
    const r = now ? this.cache.makeSnapshot(id, make, failed, { refresh }) : this.cache.setSnapshotLazily(id, make, failed, { mayFail, refresh });
    counts.fallbacksMade += this.cache.fallbacksMade() - fallbacksBefore;
    if (r === 'deferred') {
      counts.deferred++;
      return;
    }
    counts.made++;
    if (r) counts.published++;
    if (this.failedNow > before) counts.failed++;
  }

  /**
   * Publishes `<ns>/<workload>` for every proxy (and each of its aliases), and `grpc:<ns>/<workload>` for every sidecar (deferred
   * even when eager: most sidecars never have a proxyless client, and each such snapshot holds an
   * api_listener per service). Each identity's workload certificate is fetched (issued, or re-issued
   * when due) once. Returns the node ids published and the certificate per SPIFFE id.
   */
  async publishProxies(input: ProxiesInput, counts: PublishCounts): Promise<{ present: Set<string>; issued: Map<string, IssuedCertificate> }> {
    const { graph, workloads, credentials, rootSecret } = input;
    const present = new Set<string>();
    const issued = new Map<string, IssuedCertificate>();
    const secretLists = new Map<string, Secret[]>();
    // Nodes made now (with a stream, or eager) go first, so a failure among them is known (this graph
    // may fail) before the deferred ones decide whether an older snapshot must be made to fall back on.
    const deferred: (() => void)[] = [];
    for (const proxy of input.proxies) {
      let creds = credentials.get(proxy.namespace);
      if (!creds) {
        const own = buildCredentialSecrets(graph.ofKind('Secret'), proxy.namespace);
        const gatewayApi = buildGatewayApiCredentialSecrets(graph.ofKind('Secret'), gatewayApiCredentialNames(graph, proxy.namespace));
        const reported = new Set(own.problems.map((p) => p.object));
        credentials.set(proxy.namespace, (creds = { secrets: [...own.secrets, ...gatewayApi.secrets, ...this.configMapCas(graph)], problems: [...own.problems, ...gatewayApi.problems.filter((p) => !reported.has(p.object))] }));
        for (const p of creds.problems) this.log(`xds serve: ${p.message}`);
      }
      const spiffeId = workloadSpiffeId(graph.trustDomain, proxy.namespace, proxy.serviceAccount);
      let cert = issued.get(spiffeId);
      if (!cert) issued.set(spiffeId, (cert = await input.certs.certificateFor(spiffeId)));
      const secretsKey = `${spiffeId}\n${proxy.namespace}`;
      let secrets = secretLists.get(secretsKey);
      if (!secrets) {
        secretLists.set(secretsKey, (secrets = [buildTlsCertificateSecret(WORKLOAD_CERT_SECRET, cert.certificateChainPem, cert.privateKeyPem), rootSecret, ...creds.secrets]));
        this.certNow.set(secretsKey, secrets[0]!);
      }
      const view = viewOnce(graph, proxy);
      const inputs = { graph, workloads, cert };
      const ids: [string, boolean][] = [];
      for (const name of [proxy.name, ...(proxy.aliases ?? [])]) {
        ids.push([`${proxy.namespace}/${name}`, false]);
        if (proxy.type === 'sidecar') ids.push([`grpc:${proxy.namespace}/${name}`, true]);
      }
      for (const [id, proxyless] of ids) {
        present.add(id);
        const own = secrets;
        // `list` with the identity's workload certificate as last issued in its place (the same list when it is).
        const certified = (list: readonly Secret[]): readonly Secret[] => {
          const cert = this.certNow.get(secretsKey);
          return cert && list[0]?.name === WORKLOAD_CERT_SECRET && list[0] !== cert ? [cert, ...list.slice(1)] : list;
        };
        // This reload's secrets (its gateway credentials), with the workload certificate current when the
        // snapshot is made: a deferred one may be made after its identity's certificate was re-issued, and a
        // fallback must not pair its reload's listeners with a later reload's credentials.
        const make = () => createSnapshot({ ...translateProxy(view(), workloads, { proxyless }), secrets: certified(own) });
        // A node whose config cannot be made keeps its last made one, with its current workload
        // certificate: never an expired one past a renewal.
        const refresh = (made: Snapshot): Snapshot => {
          const secrets = certified(made.resources.secrets);
          return secrets === made.resources.secrets ? made : createSnapshot({ ...made.resources, secrets });
        };
        const now = input.eager && !proxyless;
        if (now || this.cache.isWatched(id)) this.publish(id, inputs, make, now, counts, true, refresh);
        else deferred.push(() => this.publish(id, inputs, make, now, counts, true, refresh));
      }
    }
    for (const publish of deferred) publish();
    // Identities no longer in the mesh: their nodes' snapshots are dropped by the caller.
    for (const k of [...this.certNow.keys()]) if (!secretLists.has(k)) this.certNow.delete(k);
    return { present, issued };
  }

  /**
   * The CA bundles of the `configmap://` credentials `graph`'s DestinationRules name (BackendTLSPolicy CAs), served
   * to every proxy as istiod serves them; made, and their problems logged, once per graph.
   */
  private configMapCas(graph: MeshGraph): readonly Secret[] {
    let secrets = this.configMapSecrets.get(graph);
    if (!secrets) {
      const built = buildConfigMapCaSecrets(graph.objects, configMapCredentialNames(graph.destinationRuleObjects()));
      for (const p of built.problems) this.log(`xds serve: ${p.message}`);
      this.configMapSecrets.set(graph, (secrets = built.secrets));
    }
    return secrets;
  }

  /** Forgets what node `id` was made from (its snapshot was dropped). */
  forget(id: string): void {
    this.inputs.delete(id);
  }
}

/**
 * The reload's log line: `unchanged: N snapshots still served (D deferred …)` when it published,
 * deferred and failed nothing, else what it did; then the time and how the graph was built.
 */
export function reloadLine(c: PublishCounts, served: number, servedDeferred: number, renewed: number, how: string, first: boolean): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const waiting = servedDeferred > 0 ? ` (${n(servedDeferred)} deferred until their node connects)` : '';
  const certs = renewed > 0 ? `; ${n(renewed)} workload certificate${renewed === 1 ? '' : 's'} re-issued` : '';
  if (c.published === 0 && c.deferred === 0 && c.failed === 0) {
    return `unchanged: ${n(served)} snapshot${served === 1 ? '' : 's'} still served${waiting}${certs}; reloaded in ${how}`;
  }
  const parts = [`${n(c.published)} snapshot(s) published`];
  const same = c.made - c.published - c.failed;
  if (same > 0) parts.push(`${n(same)} made unchanged`);
  if (c.failed > 0) parts.push(`${n(c.failed)} failed (each logged above with what it serves instead)`);
  if (c.deferred > 0) parts.push(`${n(c.deferred)} deferred until their node connects`);
  if (c.untouched > 0) parts.push(`${n(c.untouched)} untouched (same input)`);
  if (c.fallbacksMade > 0) parts.push(`${n(c.fallbacksMade)} older deferred snapshot(s) made to fall back on (their newer ones may fail)`);
  return `${parts.join(', ')}${certs}; ${first ? 'loaded' : 'reloaded'} in ${how}`;
}

/**
 * What a node whose newest config could not be made is served instead, for its log line: never "its
 * last good config" when it has none.
 */
export function servedInstead(f: SnapshotFallback): string {
  const older = f.olderFailed > 0 ? ` (${f.olderFailed} older deferred config${f.olderFailed === 1 ? '' : 's'} could not be made either)` : '';
  if (f.serves === 'deferred') return `serving its previous config instead, the one deferred at ${f.deferredAt} (version ${f.version})${older}`;
  if (f.serves === 'made') return `keeping its last good config (version ${f.version})${older}`;
  return `it has no config that could be made and gets nothing until the input is fixed${older}`;
}

/**
 * The log text for a proxy whose config could not be published: the consistency check's message,
 * or why translating or encoding failed (with `--no-check`, input the API server refuses, e.g. a
 * `.nan` weight, reaches the translator and cannot be encoded as Envoy config).
 */
export function untranslatable(e: unknown): string {
  if (e instanceof SnapshotInconsistentError) return e.message;
  return `cannot translate its config (${e instanceof Error ? e.message : String(e)}); the input holds a value no Envoy config can carry, which the check suite refuses: run \`meshproof check\` on the inputs and fix its errors`;
}

/** The proxy's view, built on first use and then shared (by its Envoy and proxyless snapshots). */
function viewOnce(graph: MeshGraph, proxy: ProxyIdentity): () => ProxyView {
  let view: ProxyView | undefined;
  return () => (view ??= buildProxyView(graph, proxy));
}

/**
 * How a reload's graph was built, for the reload log line: first load, or on the previous graph
 * and what it reused. `changes` (`reload-changes.ts`) says which objects were added, removed and
 * changed since the config served before, when there was one.
 */
export function howBuilt(graph: MeshGraph, changes?: string): string {
  if (!graph.carried) return changes === undefined ? 'first load' : `built afresh for another MeshConfig or cluster domain; ${changes}`;
  const { kept, changed, moved } = graph.carried;
  if (changed === 0) return `no object changed, ${kept} kept`;
  const edited = changed - moved;
  const reuse = graph.viewBase()
    ? `views shared: ${edited > 0 ? 'rebuilt only for the hosts the changes reach' : 'objects only moved'}`
    : 'translations carried over by content';
  const parts = [...(edited > 0 ? [changes ?? `${edited} object version${edited === 1 ? '' : 's'} changed (old and new)`] : []), ...(moved > 0 ? [`${moved / 2} object${moved === 2 ? '' : 's'} moved (same text, other line or document)`] : [])];
  return `${parts.join(', ')}, ${kept} kept; ${reuse}`;
}
