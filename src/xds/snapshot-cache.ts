/**
 * Snapshot cache keyed by node id (go-control-plane's `SnapshotCache`): holds the last published,
 * consistent snapshot per node and tells watchers when it changes. The ADS server reads from it; whoever
 * builds snapshots (the translator, a test) writes to it. Neither knows the other.
 *
 * A snapshot may also be *deferred* (`setSnapshotLazily`): made only when its node has a stream, as
 * istiod generates config only for connected proxies. A deferred snapshot that cannot be made falls
 * back to the newest older one that can be, then to the last made one: the node gets exactly what an
 * eager publisher (make every node's snapshot on every change, keep the last good one) would serve it.
 * How that stays exact with a bounded chain: see {@link MAX_DEFERRED_FALLBACKS}.
 */
import { type SnapshotProblem, checkSnapshot, formatProblems } from './snapshot-check.js';
import type { Snapshot } from './snapshot.js';

/** Thrown by {@link SnapshotCache.setSnapshot} when a snapshot fails the consistency check; the node keeps its last good snapshot. */
export class SnapshotInconsistentError extends Error {
  readonly code = 'XDS_SNAPSHOT_INCONSISTENT';
  constructor(readonly nodeId: string, readonly problems: readonly SnapshotProblem[]) {
    super(`snapshot for node "${nodeId}" not published (the node keeps its last good snapshot): ${problems.length} problem(s)\n${formatProblems(problems)}`);
    this.name = 'SnapshotInconsistentError';
  }
}

/** Called with the node's new snapshot after each publish that changed its version. */
export type SnapshotWatcher = (snapshot: Snapshot) => void;

/** What a node is served when its newest snapshot could not be made (told to the {@link SnapshotErrorHandler}). */
export interface SnapshotFallback {
  /**
   * `deferred`: an older deferred snapshot, made now (what an eager publisher made at that reload);
   * `made`: the last snapshot made for the node; `none`: nothing (the node has no config that could be made).
   */
  readonly serves: 'deferred' | 'made' | 'none';
  /** The version it is served (`deferred`, `made`). */
  readonly version?: string;
  /** ISO-8601 time the served deferred snapshot was deferred (`deferred`). */
  readonly deferredAt?: string;
  /** How many older deferred snapshots were tried before it and could not be made either. */
  readonly olderFailed: number;
}

/**
 * Told, once per failed attempt, what `produce` or the consistency check threw for the node's newest
 * snapshot and what the node is served instead (older deferred snapshots tried after it are folded
 * into `fallback.olderFailed`, not reported one by one). A string it returns is recorded for the node
 * ({@link SnapshotCache.info}), else the error's message.
 */
export type SnapshotErrorHandler = (error: unknown, fallback: SnapshotFallback) => unknown;

/** Why the node's newest snapshot was not published (it serves its last good one, if any). */
export interface SnapshotFailure {
  readonly message: string;
  /** ISO-8601 time of the failed attempt. */
  readonly at: string;
}

/** What the cache holds for one node, without making anything (for `/status`). */
export interface NodeSnapshotInfo {
  /** Version of the snapshot made for the node (what a stream is served now, unless `deferredSince`). */
  readonly version?: string;
  /** Set when a newer snapshot waits to be made (when the node is first asked for): since when (ISO-8601). */
  readonly deferredSince?: string;
  /** How many older deferred snapshots are kept to fall back on, should the newest fail (at most {@link MAX_DEFERRED_FALLBACKS}). */
  readonly fallbacks?: number;
  /** The newest snapshot's failure (nothing newer waits), until a snapshot made from newer input is published. */
  readonly failure?: SnapshotFailure;
  /** An earlier attempt's failure while a newer snapshot waits (`deferredSince`): not what the node is on now. */
  readonly previousFailure?: SnapshotFailure;
}

/** Options of {@link SnapshotCache.setSnapshotLazily}. */
export interface LazyOptions {
  /**
   * Whether making the snapshot may fail, asked when an older deferred snapshot is about to be pushed
   * out of the chain (false: its producer vouches it is made, e.g. input the check suite passed).
   * @default () => true
   */
  readonly mayFail?: () => boolean;
  /**
   * When the newest snapshot cannot be made and the node falls back to its last made one: that
   * snapshot brought up to date where it can be without making the node's config (its workload
   * certificate, re-issued since), or the very same one. Its result is published in its place.
   * @default none (the last made snapshot as it is)
   */
  readonly refresh?: (made: Snapshot) => Snapshot;
}

/**
 * How many superseded deferred snapshots a node keeps to fall back on (each may hold a whole
 * generation of the mesh model alive). When one more would be kept, the oldest is dropped, and made
 * first (quietly, as the node's last made snapshot: there is no stream to push to) when it could
 * still be the answer, i.e. when every newer one may fail ({@link LazyOptions.mayFail}). So the
 * chain stays exact however many reloads in a row cannot make the node's config, with at most
 * 1 + this many generations held per node. What it costs: one snapshot per re-deferral past the
 * first, for nodes that do not connect, while their newer snapshots may fail (with `xds serve`:
 * only with `--no-check`, or on a graph where a snapshot already failed).
 */
export const MAX_DEFERRED_FALLBACKS = 1;

/** A snapshot to make when its node is first asked for (`setSnapshotLazily`). */
interface Deferred {
  readonly produce: () => Snapshot;
  readonly onError: SnapshotErrorHandler;
  readonly mayFail: () => boolean;
  readonly refresh: ((made: Snapshot) => Snapshot) | undefined;
  /** Date.now() when it was deferred. */
  readonly since: number;
}

export class SnapshotCache {
  private readonly snapshots = new Map<string, Snapshot>();
  /** Per node, the deferred snapshots newest first (at most 1 + MAX_DEFERRED_FALLBACKS). */
  private readonly deferred = new Map<string, Deferred[]>();
  private readonly failures = new Map<string, SnapshotFailure>();
  /** Snapshots are immutable, so one published to many nodes is checked once. */
  private readonly checked = new WeakMap<Snapshot, readonly SnapshotProblem[]>();
  private readonly watchers = new Map<string, Set<SnapshotWatcher>>();
  private fallbacksMadeCount = 0;

  /**
   * Publishes `snapshot` for `nodeId` after `checkSnapshot`; throws {@link SnapshotInconsistentError}
   * (and changes nothing) when it finds broken references or values Envoy refuses. Returns `false` when the node already had a
   * snapshot of the same version (nothing is pushed), `true` when watchers were notified.
   */
  setSnapshot(nodeId: string, snapshot: Snapshot): boolean {
    let problems = this.checked.get(snapshot);
    if (!problems) this.checked.set(snapshot, (problems = checkSnapshot(snapshot)));
    if (problems.length > 0) throw new SnapshotInconsistentError(nodeId, problems);
    if (this.snapshots.get(nodeId)?.version === snapshot.version) return false;
    this.snapshots.set(nodeId, snapshot);
    for (const w of [...(this.watchers.get(nodeId) ?? [])]) w(snapshot);
    return true;
  }

  /**
   * Makes the node's snapshot now with `produce` and publishes it as {@link setSnapshot}, replacing
   * any deferred one. What `produce` or the check throws goes to `onError` and is recorded for the
   * node ({@link info}); the node keeps its last good snapshot. Returns what `setSnapshot` returned, or
   * false after an error.
   */
  makeSnapshot(nodeId: string, produce: () => Snapshot, onError: SnapshotErrorHandler, options: Pick<LazyOptions, 'refresh'> = {}): boolean {
    this.deferred.delete(nodeId);
    return this.produce(nodeId, [{ produce, onError, mayFail: always, refresh: options.refresh, since: Date.now() }]);
  }

  /**
   * Publishes the snapshot `produce` makes for `nodeId`: at once when the node has a watcher (an
   * open stream), as {@link makeSnapshot}; otherwise when the node is first asked for
   * ({@link getSnapshot}, which a connecting stream calls), ahead of the earlier deferred ones (its
   * fallbacks, see {@link MAX_DEFERRED_FALLBACKS}: the one pushed out is made first when it may still
   * be the answer). A snapshot nobody asks for is otherwise never made (istiod generates config only
   * for connected proxies). Returns what `setSnapshot` returned, false after an error, or `'deferred'`.
   */
  setSnapshotLazily(nodeId: string, produce: () => Snapshot, onError: SnapshotErrorHandler, options: LazyOptions = {}): boolean | 'deferred' {
    if (this.watchers.has(nodeId)) return this.makeSnapshot(nodeId, produce, onError, options);
    const chain = [{ produce, onError, mayFail: options.mayFail ?? always, refresh: options.refresh, since: Date.now() }, ...(this.deferred.get(nodeId) ?? [])];
    while (chain.length > 1 + MAX_DEFERRED_FALLBACKS) {
      const out = chain.pop()!;
      // It is the answer only if every newer one fails: then make it now (it becomes the node's last
      // made snapshot, what an eager publisher kept), else it can go unmade.
      if (chain.every((d) => d.mayFail())) this.makeFallback(nodeId, out);
    }
    this.deferred.set(nodeId, chain);
    return 'deferred';
  }

  /** How many deferred snapshots were made because they were pushed out of a chain (see {@link MAX_DEFERRED_FALLBACKS}; one that could not be made is dropped and not counted); monotonic. */
  fallbacksMade(): number {
    return this.fallbacksMadeCount;
  }

  /** Makes a deferred snapshot pushed out of the chain as the node's last made one; one that fails is only dropped (never the answer then). */
  private makeFallback(nodeId: string, d: Deferred): void {
    try {
      this.setSnapshot(nodeId, d.produce());
      this.fallbacksMadeCount++;
    } catch {
      // An older made snapshot stays the last good one, as with an eager publisher.
    }
  }

  /**
   * Makes the chain's newest snapshot, else the next ones in turn, else keeps the last made one;
   * tells the newest's `onError` once what failed and what the node is served instead.
   */
  private produce(nodeId: string, chain: readonly Deferred[]): boolean {
    const newest = chain[0]!;
    let error: unknown;
    let olderFailed = 0;
    for (const [i, d] of chain.entries()) {
      try {
        const snapshot = d.produce();
        const published = this.setSnapshot(nodeId, snapshot);
        if (i === 0) this.failures.delete(nodeId);
        else this.fail(nodeId, newest, error, { serves: 'deferred', version: snapshot.version, deferredAt: new Date(d.since).toISOString(), olderFailed });
        return published;
      } catch (e) {
        if (i === 0) error = e;
        else olderFailed++;
      }
    }
    let made = this.snapshots.get(nodeId);
    if (made && newest.refresh) {
      try {
        const fresh = newest.refresh(made);
        if (fresh.version !== made.version) {
          this.setSnapshot(nodeId, fresh);
          made = fresh;
        }
      } catch {
        // The last made snapshot as it is.
      }
    }
    this.fail(nodeId, newest, error, made ? { serves: 'made', version: made.version, olderFailed } : { serves: 'none', olderFailed });
    return false;
  }

  private fail(nodeId: string, d: Deferred, error: unknown, fallback: SnapshotFallback): void {
    const text = d.onError(error, fallback);
    this.failures.set(nodeId, { message: typeof text === 'string' ? text : error instanceof Error ? error.message : String(error), at: new Date().toISOString() });
  }

  /** The node's current snapshot (made now when it was deferred), or `undefined` when none was published. */
  getSnapshot(nodeId: string): Snapshot | undefined {
    const chain = this.deferred.get(nodeId);
    if (chain) {
      this.deferred.delete(nodeId);
      this.produce(nodeId, chain);
    }
    return this.snapshots.get(nodeId);
  }

  /** The last snapshot made for the node, without making a deferred one (sent to its stream if it had one then, else kept to fall back on). */
  madeSnapshot(nodeId: string): Snapshot | undefined {
    return this.snapshots.get(nodeId);
  }

  /** Whether the node has a snapshot, made or deferred (makes nothing). */
  has(nodeId: string): boolean {
    return this.deferred.has(nodeId) || this.snapshots.has(nodeId);
  }

  /** The version of the node's snapshot without making a deferred one: `'deferred'` then, undefined when it has none. */
  versionOf(nodeId: string): string | undefined {
    return this.deferred.has(nodeId) ? 'deferred' : this.snapshots.get(nodeId)?.version;
  }

  /** What the cache holds for the node (makes nothing); undefined when it holds nothing. */
  info(nodeId: string): NodeSnapshotInfo | undefined {
    const made = this.snapshots.get(nodeId);
    const chain = this.deferred.get(nodeId);
    const failure = this.failures.get(nodeId);
    if (!made && !chain && !failure) return undefined;
    const fallbacks = (chain?.length ?? 1) - 1;
    return {
      ...(made ? { version: made.version } : {}),
      ...(chain ? { deferredSince: new Date(chain[0]!.since).toISOString(), ...(fallbacks > 0 ? { fallbacks } : {}) } : {}),
      // A failure recorded before the newest deferred snapshot is an earlier attempt's.
      ...(failure ? (chain ? { previousFailure: failure } : { failure }) : {}),
    };
  }

  /** Forgets a node's snapshot, made or deferred, and its failure (its streams keep what they were sent). */
  clearSnapshot(nodeId: string): void {
    this.deferred.delete(nodeId);
    this.snapshots.delete(nodeId);
    this.failures.delete(nodeId);
  }

  /** Node ids with a snapshot, made or deferred, sorted. */
  nodeIds(): string[] {
    return [...new Set([...this.snapshots.keys(), ...this.deferred.keys()])].sort();
  }

  /** How many nodes have a deferred snapshot (not made yet). */
  deferredCount(): number {
    return this.deferred.size;
  }

  /** Registers `watcher` for the node's future snapshots; returns the function that unregisters it. */
  watch(nodeId: string, watcher: SnapshotWatcher): () => void {
    let set = this.watchers.get(nodeId);
    if (!set) this.watchers.set(nodeId, (set = new Set()));
    set.add(watcher);
    return () => {
      set!.delete(watcher);
      if (set!.size === 0 && this.watchers.get(nodeId) === set) this.watchers.delete(nodeId);
    };
  }

  /** Whether the node has a watcher (an open stream): its snapshots are made at once. */
  isWatched(nodeId: string): boolean {
    return this.watchers.has(nodeId);
  }

  /** Number of registered watchers (open streams that named a node), for status and leak tests. */
  watcherCount(): number {
    let n = 0;
    for (const s of this.watchers.values()) n += s.size;
    return n;
  }
}

const always = (): boolean => true;
