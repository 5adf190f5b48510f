import { hostsIntersect, isWildcard } from './hosts.js';

/**
 * Values keyed by host name, looked up by every host they intersect with in Istio's sense
 * (`host.Name.Matches`, our `hostsIntersect`): `a.example.com` meets `a.example.com`,
 * `*.example.com` and `*`; `*.example.com` meets every host under `example.com` and every
 * wildcard covering it. Hosts live in a trie of their labels read right to left, so a lookup
 * costs the host's depth plus what it returns, never a scan of the index. Hosts must already be
 * lower-case. Wildcards Istio does not define (`*foo.com`, without the dot) are kept aside and
 * compared one by one.
 */
export class HostIndex<T> {
  private readonly root = new Node<T>('');
  private readonly odd: { host: string; value: T }[] = [];
  private size = 0;

  /** Adds `value` under `host` (a concrete host, `*.suffix`, or `*`). */
  add(host: string, value: T): void {
    this.size++;
    if (isOddWildcard(host)) {
      this.odd.push({ host, value });
      return;
    }
    const wildcard = isWildcard(host);
    const node = this.nodeFor(wildcard ? host.slice(2) : host);
    (wildcard ? node.wildcards : node.concrete).push(value);
  }

  /** How many values intersect `host` (a value added under several hosts counts once per host). */
  count(host: string): number {
    let n = 0;
    for (const e of this.odd) if (hostsIntersect(host, e.host)) n++;
    if (isOddWildcard(host)) return n + this.scanOdd(host, Number.POSITIVE_INFINITY, () => true).length;
    const { node, ancestors, wildcard } = this.walk(host);
    for (const a of ancestors) n += a.wildcards.length;
    if (!node) return n;
    return wildcard ? n + node.total - node.concrete.length : n + node.concrete.length;
  }

  /**
   * At most `limit` of the values intersecting `host` that `keep` accepts: exact matches first,
   * then covering wildcards from the most specific, then hosts below a wildcard. Stops as soon as
   * `limit` are found, so even a lookup of `*` on a large index is cheap.
   */
  some(host: string, limit: number, keep: (v: T) => boolean = () => true): T[] {
    const out: T[] = [];
    const take = (list: readonly T[]): boolean => {
      for (const v of list) {
        if (out.length >= limit) return false;
        if (keep(v)) out.push(v);
      }
      return out.length < limit;
    };
    if (!take(this.odd.filter((e) => hostsIntersect(host, e.host)).map((e) => e.value))) return out;
    if (isOddWildcard(host)) {
      take(this.scanOdd(host, limit - out.length, keep));
      return out;
    }
    const { node, ancestors, wildcard } = this.walk(host);
    if (node && !take(wildcard ? node.wildcards : node.concrete)) return out;
    for (let i = ancestors.length - 1; i >= 0; i--) if (!take(ancestors[i]!.wildcards)) return out;
    if (node && wildcard) {
      const stack = [...node.children.values()];
      while (stack.length > 0) {
        const n = stack.pop()!;
        if (!take(n.concrete) || !take(n.wildcards)) break;
        stack.push(...n.children.values());
      }
    }
    return out;
  }

  /** Every value intersecting `host`. */
  all(host: string): T[] {
    return this.some(host, Number.POSITIVE_INFINITY);
  }

  /** Number of values added. */
  get length(): number {
    return this.size;
  }

  /** The node of `host`'s name (for `*.x`, of `x`) and the nodes above it, root first. */
  private walk(host: string): { node: Node<T> | undefined; ancestors: Node<T>[]; wildcard: boolean } {
    const wildcard = isWildcard(host);
    const ancestors: Node<T>[] = [];
    let node: Node<T> | undefined = this.root;
    for (const label of labelsOf(wildcard ? host.slice(2) : host)) {
      ancestors.push(node);
      node = node.children.get(label);
      if (!node) break;
    }
    return { node, ancestors, wildcard };
  }

  private nodeFor(name: string): Node<T> {
    let node = this.root;
    node.total++;
    for (const label of labelsOf(name)) {
      let next = node.children.get(label);
      if (!next) node.children.set(label, (next = new Node(node === this.root ? label : `${label}.${node.name}`)));
      next.total++;
      node = next;
    }
    return node;
  }

  /** Every trie value intersecting an odd wildcard, by comparing each (odd queries are rare). */
  private scanOdd(host: string, limit: number, keep: (v: T) => boolean): T[] {
    const out: T[] = [];
    const stack = [this.root];
    while (stack.length > 0 && out.length < limit) {
      const n = stack.pop()!;
      if (hostsIntersect(host, n.name)) for (const v of n.concrete) if (out.length < limit && keep(v)) out.push(v);
      if (hostsIntersect(host, n.name === '' ? '*' : `*.${n.name}`)) for (const v of n.wildcards) if (out.length < limit && keep(v)) out.push(v);
      stack.push(...n.children.values());
    }
    return out;
  }
}

class Node<T> {
  readonly children = new Map<string, Node<T>>();
  /** Values added under exactly this name. */
  readonly concrete: T[] = [];
  /** Values added under `*.` + this name (`*` at the root). */
  readonly wildcards: T[] = [];
  /** Values in this node and every node below it. */
  total = 0;

  /** The host name this node stands for (`''` at the root). */
  constructor(readonly name: string) {}
}

/** `a.b.c` → `c`, `b`, `a`; `''` (the root, for `*`) → nothing. */
function labelsOf(name: string): string[] {
  return name === '' ? [] : name.split('.').reverse();
}

/** A wildcard other than `*` and `*.suffix`, which Istio's host matching treats as a bare suffix. */
function isOddWildcard(host: string): boolean {
  return isWildcard(host) && host !== '*' && !host.startsWith('*.');
}
