/**
 * Snapshot cache keyed by node id (go-control-plane's `SnapshotCache`): holds the last published,
 * consistent snapshot per node and tells watchers when it changes. The ADS server reads from it; whoever
 * builds snapshots (the translator, a test) writes to it. Neither knows the other.
 *
 * A snapshot may also be *deferred* (`setSnapshotLazily`): made only when its node has a stream, as
 * istiod generates config only for connected proxies. A deferred snapshot that cannot be made falls
 * back to the one it replaced before that was made, then to the last made one: the node gets what an
 * eager publisher (make every node's snapshot on every change) would have kept serving it.
 */
import { type SnapshotProblem, checkSnapshot, formatProblems } from './snapshot-check.js';
import type { Snapshot } from './snapshot.js';

/** Thrown by {@link SnapshotCache.setSnapshot} when a snapshot fails the consistency check; the node keeps its last good snapshot. */
export class SnapshotInconsistentError extends Error {
  readonly code = 'XDS_SNAPSHOT_INCONSISTENT';
  constructor(readonly nodeId: string, readonly problems: readonly SnapshotProblem[]) {
    super(`snapshot for node "${nodeId}" not published (the node keeps its last good snapshot): ${problems.length} broken reference(s)\n${formatProblems(problems)}`);
    this.name = 'SnapshotInconsistentError';
  }
}

/** Called with the node's new snapshot after each publish that changed its version. */
export type SnapshotWatcher = (snapshot: Snapshot) => void;

/**
 * Told what `produce` or the consistency check threw (the node keeps its last good snapshot); a
 * string it returns is recorded for the node ({@link SnapshotCache.info}), else the error's message.
 */
export type SnapshotErrorHandler = (error: unknown) => unknown;

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
  /** The newest snapshot's failure, until a snapshot made from newer input is published. */
  readonly failure?: SnapshotFailure;
}

/**
 * How many superseded deferred snapshots a node keeps to fall back on (each may hold a whole
 * generation of the mesh model alive). With 1, a node that never connected gets what an eager
 * publisher would have kept, unless two reloads in a row cannot make its config: it then falls back
 * to the last snapshot made for it, or has none.
 */
export const MAX_DEFERRED_FALLBACKS = 1;

/** A snapshot to make when its node is first asked for (`setSnapshotLazily`). */
interface Deferred {
  readonly produce: () => Snapshot;
  readonly onError: SnapshotErrorHandler;
  /** The deferred snapshot this one replaced before it was made: the last good config should this one fail. */
  readonly fallback: Deferred | undefined;
  /** Date.now() when it was deferred. */
  readonly since: number;
}

export class SnapshotCache {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly deferred = new Map<string, Deferred>();
  private readonly failures = new Map<string, SnapshotFailure>();
  /** Snapshots are immutable, so one published to many nodes is checked once. */
  private readonly checked = new WeakMap<Snapshot, readonly SnapshotProblem[]>();
  private readonly watchers = new Map<string, Set<SnapshotWatcher>>();

  /**
   * Publishes `snapshot` for `nodeId` after `checkSnapshot`; throws {@link SnapshotInconsistentError}
   * (and changes nothing) when it finds broken references. Returns `false` when the node already had a
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
  makeSnapshot(nodeId: string, produce: () => Snapshot, onError: SnapshotErrorHandler): boolean {
    this.deferred.delete(nodeId);
    return this.produce(nodeId, { produce, onError, fallback: undefined, since: Date.now() });
  }

  /**
   * Publishes the snapshot `produce` makes for `nodeId`: at once when the node has a watcher (an
   * open stream), as {@link makeSnapshot}; otherwise when the node is first asked for
   * ({@link getSnapshot}, which a connecting stream calls), replacing any earlier deferred one (kept
   * as its fallback, see {@link MAX_DEFERRED_FALLBACKS}). A snapshot nobody asks for is never made
   * (istiod generates config only for connected proxies). Returns what `setSnapshot` returned, false
   * after an error, or `'deferred'`.
   */
  setSnapshotLazily(nodeId: string, produce: () => Snapshot, onError: SnapshotErrorHandler): boolean | 'deferred' {
    if (this.watchers.has(nodeId)) return this.makeSnapshot(nodeId, produce, onError);
    const replaced = this.deferred.get(nodeId);
    this.deferred.set(nodeId, { produce, onError, fallback: keepFallbacks(replaced, MAX_DEFERRED_FALLBACKS), since: Date.now() });
    return 'deferred';
  }

  /** Makes `d`'s snapshot, else (after telling its `onError`) its fallbacks' in turn; records the newest's failure. */
  private produce(nodeId: string, d: Deferred): boolean {
    for (let x: Deferred | undefined = d; x; x = x.fallback) {
      try {
        const published = this.setSnapshot(nodeId, x.produce());
        if (x === d) this.failures.delete(nodeId);
        return published;
      } catch (e) {
        const text = x.onError(e);
        if (x === d) this.failures.set(nodeId, { message: typeof text === 'string' ? text : e instanceof Error ? e.message : String(e), at: new Date().toISOString() });
      }
    }
    return false;
  }

  /** The node's current snapshot (made now when it was deferred), or `undefined` when none was published. */
  getSnapshot(nodeId: string): Snapshot | undefined {
    const d = this.deferred.get(nodeId);
    if (d) {
      this.deferred.delete(nodeId);
      this.produce(nodeId, d);
    }
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
    const d = this.deferred.get(nodeId);
    const failure = this.failures.get(nodeId);
    if (!made && !d && !failure) return undefined;
    let fallbacks = 0;
    for (let x = d?.fallback; x; x = x.fallback) fallbacks++;
    return {
      ...(made ? { version: made.version } : {}),
      ...(d ? { deferredSince: new Date(d.since).toISOString(), ...(fallbacks > 0 ? { fallbacks } : {}) } : {}),
      ...(failure ? { failure } : {}),
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

/** The first `count` deferred snapshots of the chain from `d` (older ones dropped: they hold old generations alive). */
function keepFallbacks(d: Deferred | undefined, count: number): Deferred | undefined {
  if (!d || count <= 0) return undefined;
  return { ...d, fallback: keepFallbacks(d.fallback, count - 1) };
}
