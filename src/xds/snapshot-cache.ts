/**
 * Snapshot cache keyed by node id (go-control-plane's `SnapshotCache`): holds the last published,
 * consistent snapshot per node and tells watchers when it changes. The ADS server reads from it; whoever
 * builds snapshots (the translator, a test) writes to it. Neither knows the other.
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

/** A snapshot to make when its node is first asked for (`setSnapshotLazily`). */
interface Deferred {
  readonly produce: () => Snapshot;
  /** Told when `produce` throws or its snapshot fails the consistency check; the node keeps its last good snapshot. */
  readonly onError: (error: unknown) => void;
}

export class SnapshotCache {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly deferred = new Map<string, Deferred>();
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
   * Publishes the snapshot `produce` makes for `nodeId`: at once when the node has a watcher (an
   * open stream), as {@link setSnapshot}; otherwise when the node is first asked for
   * ({@link getSnapshot}, which a connecting stream calls), replacing any earlier deferred one. A
   * snapshot nobody asks for is never made (istiod generates config only for connected proxies).
   * `onError` gets what `produce` or the consistency check throws; the node keeps its last good
   * snapshot. Returns what `setSnapshot` returned, false after an error, or `'deferred'`.
   */
  setSnapshotLazily(nodeId: string, produce: () => Snapshot, onError: (error: unknown) => void): boolean | 'deferred' {
    if (!this.watchers.has(nodeId)) {
      this.deferred.set(nodeId, { produce, onError });
      return 'deferred';
    }
    this.deferred.delete(nodeId);
    return this.produce(nodeId, { produce, onError });
  }

  private produce(nodeId: string, d: Deferred): boolean {
    try {
      return this.setSnapshot(nodeId, d.produce());
    } catch (e) {
      d.onError(e);
      return false;
    }
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

  /** The version of the node's snapshot without making a deferred one: `'deferred'` then, undefined when it has none. */
  versionOf(nodeId: string): string | undefined {
    return this.deferred.has(nodeId) ? 'deferred' : this.snapshots.get(nodeId)?.version;
  }

  /** Forgets a node's snapshot, made or deferred (its streams keep what they were sent). */
  clearSnapshot(nodeId: string): void {
    this.deferred.delete(nodeId);
    this.snapshots.delete(nodeId);
  }

  /** Node ids with a snapshot, made or deferred, sorted. */
  nodeIds(): string[] {
    return [...new Set([...this.snapshots.keys(), ...this.deferred.keys()])].sort();
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

  /** Number of registered watchers (open streams that named a node), for status and leak tests. */
  watcherCount(): number {
    let n = 0;
    for (const s of this.watchers.values()) n += s.size;
    return n;
  }
}
