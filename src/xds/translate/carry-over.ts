/**
 * Carry-over: translations kept by CONTENT across graphs, so a graph rebuilt after an input change
 * (`MeshGraph.from(files, { previous })`, as `xds serve` reloads) reuses the outbound clusters, load
 * assignments and virtual hosts (and their packed bytes) whose inputs did not change, as istiod's
 * XdsCache keeps CDS/EDS/RDS entries across pushes and clears only those whose dependent configs
 * changed (`pilot/pkg/model/xds_cache.go`, `DependentConfigs()` of the cluster and route cache keys
 * in `pilot/pkg/networking/core`).
 *
 * The object-identity caches (`cache.ts`) answer first, within one graph; this store is asked only
 * when they miss, i.e. once per shared view per graph. Its keys are fingerprints of exactly what the
 * builder reads (so a changed input can only miss, never serve stale config):
 *
 * | entry | key |
 * |---|---|
 * | outbound `Cluster` (`buildOutboundCluster`) | the shared `ClusterView`'s fields, its `ServiceView`, its client (sidecar, proxyless, router) |
 * | `ClusterLoadAssignment` | the shared `ClusterView`, its `ServiceView`, the workload instances in the service's namespace (when it has a selector) |
 * | `VirtualHost` (`sharedVirtualHost`) | the `HostRoutesView`, its domains, and per destination whether its cluster exists and its consistent hash |
 *
 * A fingerprint is the view's JSON (`JSON.stringify`; views are plain, read-only data: strings,
 * numbers, booleans, arrays and records), with every origin printed as the translators read it:
 * object, field path, manifest file and TypeScript construct path and file, without the lines and
 * columns that Envoy metadata does not carry (`positionFreeJson`). So the translations of an object
 * that only moved (a document inserted above it: `src/mesh/graph-carry.ts`), whose view the view
 * base rebuilds at its new lines, are found by content, with their packed bytes; and
 * objects that many views share (a cluster's policy and DestinationRule view, a service view) are
 * printed once per object: their JSON interned to a short id (`printOf`), memoised in a WeakMap.
 * This relies on views being JSON-faithful: no `undefined` inside a nested record that a builder
 * tells from an absent key (a cluster view's own fields are printed by type, `undefined`
 * included); NaN and ±Infinity, which JSON prints as null, are printed apart (`fingerprintJson`). The view (scope, cluster and service views)
 * is still computed afresh for each graph: only the translations are carried over.
 *
 * A graph without a predecessor (the first one) computes no fingerprint while it translates: its
 * entries are keyed later, by {@link prepareCarryOver} (`xds serve` calls it after publishing, while
 * it waits for the next change) or else by its successor's store when it is made.
 *
 * Memory: a graph's store holds what that graph used; a successor's store reads its predecessor's
 * and copies over only the entries it reuses. {@link releaseCarryOver} drops the link once the
 * successor has translated every proxy (the entries no successor reused are then garbage), and a
 * store dies with its graph. So at most two generations are alive, and one after release.
 */
import type { MeshGraph } from '../../mesh/graph.js';
import type { ClusterView, HostRoutesView, ServiceView } from '../../mesh/view/index.js';
import { positionFreeJson } from '../../mesh/view/origin.js';
import type { OutboundClient } from './clusters.js';
import type { WorkloadInstance } from './workload-file.js';

type Kind = 'clusters' | 'endpoints' | 'virtualHosts';
/** Computes an entry's key (its fingerprints interned in the given store). */
type KeyOf = (store: CarryOverStore) => string;

/** How many entries a store built, took from its predecessor by content, and kept by identity (a view base's), per kind. */
export interface CarryOverCounts {
  readonly built: Readonly<Record<Kind, number>>;
  readonly reused: Readonly<Record<Kind, number>>;
  /** Entries the translation caches served by identity, from view objects the predecessor's view shared (`keep`). */
  readonly kept: Readonly<Record<Kind, number>>;
}

/** The content-keyed translations of one graph (see the module comment). */
export class CarryOverStore {
  private readonly entries: Record<Kind, Map<string, unknown>> = { clusters: new Map(), endpoints: new Map(), virtualHosts: new Map() };
  private readonly built: Record<Kind, number> = { clusters: 0, endpoints: 0, virtualHosts: 0 };
  private readonly reused: Record<Kind, number> = { clusters: 0, endpoints: 0, virtualHosts: 0 };
  private readonly kept: Record<Kind, number> = { clusters: 0, endpoints: 0, virtualHosts: 0 };
  /** Fingerprint ids by JSON (see `printOf`), carried over like the entries. */
  private readonly ids = new Map<string, string>();

  /**
   * Entries built while there was no predecessor to look in, with how to key them: keyed only when
   * a successor needs them ({@link index}), so a graph without a predecessor (the first one) pays
   * no fingerprints while it translates.
   */
  private pending: { kind: Kind; key: KeyOf; value: unknown }[] = [];
  /**
   * This store's number, by which {@link HELD}, `PRINTS` and `CLUSTER_PRINTS` name it: a number, not
   * the store, since what they are keyed on (values and view objects a view base shares) lives on
   * in later graphs and must not keep a released predecessor's store, and every entry no successor
   * reused, alive with it.
   */
  readonly id = nextStoreId++;

  constructor(private previous: CarryOverStore | undefined) {
    previous?.index();
  }

  /**
   * The entry `key` names: this graph's, else the predecessor's (copied over), else `build()`.
   * Without a predecessor, `build()` at once (its key is computed later, by {@link index}).
   */
  take<T>(kind: Kind, key: KeyOf, build: () => T): T {
    if (this.previous === undefined) {
      const value = build();
      this.built[kind]++;
      this.pending.push({ kind, key, value });
      if (typeof value === 'object' && value !== null) HELD.set(value, this.id);
      return value;
    }
    const k = key(this);
    const mine = this.entries[kind];
    let v = mine.get(k) as T | undefined;
    if (v !== undefined) return v;
    v = this.previous.entries[kind].get(k) as T | undefined;
    if (v !== undefined) this.reused[kind]++;
    else {
      v = build();
      this.built[kind]++;
    }
    mine.set(k, v);
    if (typeof v === 'object' && v !== null) HELD.set(v, this.id);
    return v;
  }

  /**
   * Holds `value`, which this graph got by identity from a translation cache (a view object its
   * predecessor's view shared with it, `MeshGraph.viewBase`), as if taken here: keyed later (by
   * {@link index}), so a successor built after a change this graph's view could not share still
   * finds it by content. Once per value and store.
   */
  keep(kind: Kind, key: KeyOf, value: object): void {
    if (HELD.get(value) === this.id) return;
    HELD.set(value, this.id);
    this.kept[kind]++;
    this.pending.push({ kind, key, value });
  }

  /** Keys what was built without a predecessor, so a successor can find it (`prepareCarryOver`). */
  index(): void {
    const pending = this.pending;
    this.pending = [];
    for (const e of pending) this.entries[e.kind].set(e.key(this), e.value);
  }

  /** The id of `json`: this store's, else the predecessor's (copied over), else `fresh()`. */
  intern(json: string, fresh: () => string): string {
    let id = this.ids.get(json) ?? this.previous?.ids.get(json);
    if (id === undefined) id = fresh();
    this.ids.set(json, id);
    return id;
  }

  /** Drops the link to the predecessor: what this graph did not reuse can be collected. */
  release(): void {
    this.previous = undefined;
  }

  /** Whether the predecessor's entries are still reachable from here. */
  get linked(): boolean {
    return this.previous !== undefined;
  }

  /** Entries held (keyed), per kind, the fingerprint ids held, and the entries not keyed yet. */
  get sizes(): Readonly<Record<Kind | 'prints' | 'pending', number>> {
    return { clusters: this.entries.clusters.size, endpoints: this.entries.endpoints.size, virtualHosts: this.entries.virtualHosts.size, prints: this.ids.size, pending: this.pending.length };
  }

  get counts(): CarryOverCounts {
    return { built: { ...this.built }, reused: { ...this.reused }, kept: { ...this.kept } };
  }
}

const STORES = new WeakMap<MeshGraph, CarryOverStore>();
/** Per entry value: the number (`CarryOverStore.id`) of the last store that holds it (taken or kept there). */
const HELD = new WeakMap<object, number>();
let nextStoreId = 1;

/**
 * The store of `graph`, made on first use, linked to the store of `graph.previousGraph()` when that
 * graph is alive and kept one; undefined when the graph keeps nothing (`GraphOptions.carryOver`).
 */
export function carryOverStoreOf(graph: MeshGraph | undefined): CarryOverStore | undefined {
  if (!graph?.carryOver) return undefined;
  let store = STORES.get(graph);
  if (!store) {
    const previous = graph.previousGraph();
    STORES.set(graph, (store = new CarryOverStore(previous && STORES.get(previous))));
  }
  return store;
}

/**
 * Keys what `graph`'s translations built (their fingerprints), so that a successor finds them at
 * once: `xds serve` calls it once a reload has published, while it waits for the next change. A
 * successor does it itself otherwise (then at its own cost).
 */
export function prepareCarryOver(graph: MeshGraph): void {
  STORES.get(graph)?.index();
}

/**
 * Call once every proxy of `graph` has been translated: entries of its predecessor that it did not
 * reuse are released (the predecessor's store stays only as long as the predecessor graph itself).
 */
export function releaseCarryOver(graph: MeshGraph): void {
  STORES.get(graph)?.release();
}

/** Per object: its JSON, its id, and the number (`CarryOverStore.id`) of the store that interned it last. */
const PRINTS = new WeakMap<object, { readonly json: string; id: string; store: number }>();
let nextId = 0;
const freshId = (): string => `#${(nextId++).toString(36)}`;

/**
 * The fingerprint of a read-only view object, once per object: its JSON interned to a short id
 * (cheaper than hashing it, and keys stay short) in `store`'s table, or its predecessor's. Ids come
 * from one process-wide counter and are never reused, so one id always names one JSON: equal ids
 * mean equal content (equal content under two ids only misses). An object met again under another
 * store (a workloads list used by two graphs) is interned there too, so the next graph finds it.
 */
function printOf(o: object, store: CarryOverStore): string {
  let p = PRINTS.get(o);
  if (p === undefined) {
    const json = fingerprintJson(o);
    PRINTS.set(o, (p = { json, id: store.intern(json, freshId), store: store.id }));
  } else if (p.store !== store.id) {
    p.id = store.intern(p.json, () => p!.id);
    p.store = store.id;
  }
  return p.id;
}

/**
 * `JSON.stringify(o)` with origins printed without lines and columns (`positionFreeJson`: the
 * translators read none), except that NaN and ±Infinity (which JSON prints as null) are told from null
 * and from each other: a builder does (`minimumRingSize ?? 1024` takes null; `BigInt(Infinity)`
 * throws), and raw records of the input such as `consistentHash` keep what the YAML said (`.inf`).
 * Views nearly never hold a non-finite number: the walk for one runs only when the JSON holds a
 * null, and the slower replacer only when the walk finds one.
 */
export function fingerprintJson(o: object): string {
  return positionFreeJson(o, (v) => {
    const json = JSON.stringify(v);
    return json.includes('null') && hasNonFinite(v) ? `~${JSON.stringify(v, nonFinite)}` : json;
  });
}

function hasNonFinite(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return v.some(hasNonFinite);
  for (const k in v) if (hasNonFinite((v as Record<string, unknown>)[k])) return true;
  return false;
}

/**
 * A replacer printing a non-finite number as a string after a NUL (`"\u0000NaN"`), and a string that
 * starts with a NUL after one more, so neither passes for the other (the `~` before such JSON keeps
 * it apart from plain JSON, which starts with `{` or `[`).
 */
function nonFinite(_key: string, v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : `\u0000${v}`;
  return typeof v === 'string' && v.startsWith('\u0000') ? `\u0000${v}` : v;
}

/**
 * A field's fingerprint, unambiguous per type: `~` undefined, `n` null, `t`/`f`, `d<number>`,
 * `s<length>:<string>`, and an object by its interned JSON id.
 */
function fieldPrint(v: unknown, store: CarryOverStore): string {
  switch (typeof v) {
    case 'undefined': return '~';
    case 'string': return `s${v.length}:${v}`;
    case 'number': return `d${v}`;
    case 'boolean': return v ? 't' : 'f';
    case 'object': return v === null ? 'n' : printOf(v, store);
    default: return `?${String(v)}`;
  }
}

/** Per shared cluster view: its field print, the objects among its fields, its id, and the number of the store that interned it last (as `PRINTS`). */
const CLUSTER_PRINTS = new WeakMap<ClusterView, { readonly print: string; readonly parts: readonly object[]; id: string; store: number }>();

/**
 * The fingerprint id of a (shared) cluster view: every field, by type, objects by interned id (its
 * policy and rule view are shared by many clusters), interned to a short id once per view, so the
 * cluster and load-assignment keys that start with it stay short (a Map lookup hashes, and first
 * flattens, its whole key). The print starts with `cluster:`, which no JSON does, so it never
 * shares an id with a `printOf` JSON. Interned in another store, its objects are too: a successor
 * store then knows their JSON, so a new view with equal content gets the same print there.
 */
function clusterPrint(c: ClusterView, store: CarryOverStore): string {
  let p = CLUSTER_PRINTS.get(c);
  if (p === undefined) {
    let print = 'cluster:';
    const parts: object[] = [];
    for (const k in c) {
      const v = (c as unknown as Record<string, unknown>)[k];
      if (typeof v === 'object' && v !== null) parts.push(v);
      print += `${k}=${fieldPrint(v, store)};`;
    }
    CLUSTER_PRINTS.set(c, (p = { print, parts, id: store.intern(print, freshId), store: store.id }));
  } else if (p.store !== store.id) {
    for (const o of p.parts) printOf(o, store);
    p.id = store.intern(p.print, () => p!.id);
    p.store = store.id;
  }
  return p.id;
}

/** Key of the outbound cluster of `c` (a shared cluster view) for `service`. */
export function clusterKey(store: CarryOverStore, c: ClusterView, service: ServiceView | undefined, client: OutboundClient): string {
  return `${clusterPrint(c, store)}|${service ? printOf(service, store) : '-'}|${client}`;
}

const BY_NAMESPACE = new WeakMap<readonly WorkloadInstance[], ReadonlyMap<string, readonly WorkloadInstance[]>>();

/** Fingerprint of the workload instances of `namespace` in `workloads`, in list order (what a selector can select). */
function workloadsPrint(store: CarryOverStore, workloads: readonly WorkloadInstance[], namespace: string): string {
  let byNamespace = BY_NAMESPACE.get(workloads);
  if (!byNamespace) {
    const lists = new Map<string, WorkloadInstance[]>();
    for (const w of workloads) {
      const list = lists.get(w.namespace);
      if (list) list.push(w);
      else lists.set(w.namespace, [w]);
    }
    BY_NAMESPACE.set(workloads, (byNamespace = lists));
  }
  const list = byNamespace.get(namespace);
  return list ? printOf(list, store) : 'none';
}

/**
 * Key of the load assignment of `c` for `service`: it reads the cluster view's endpoints, the
 * service's ports and selector and, with a selector, the workload instances of the service's namespace.
 */
export function assignmentKey(store: CarryOverStore, c: ClusterView, service: ServiceView | undefined, workloads: readonly WorkloadInstance[]): string {
  const selected = service?.selector ? workloadsPrint(store, workloads, service.namespace) : '-';
  return `${clusterPrint(c, store)}|${service ? printOf(service, store) : '-'}|${selected}`;
}

/** Key of a shared virtual host: the host's routes (by hash), what the routes read from the environment, the domains. */
export function virtualHostKey(store: CarryOverStore, h: HostRoutesView, routesVariant: string, domains: readonly string[]): string {
  return `${printOf(h, store)}\u0000${routesVariant}\u0000${JSON.stringify(domains)}`;
}

