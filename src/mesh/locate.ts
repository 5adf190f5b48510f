import { isAlias, isMap, isPair, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import type { FieldPath } from './types.js';

/**
 * Positions of one parsed value, built by the fast YAML and JSON readers only when a finding
 * needs them. `o` is the offset of the value; `k` the offset of the mapping key naming it.
 */
export interface PosNode {
  readonly o: number;
  k?: number;
  c?: Map<string, PosNode> | PosNode[];
}

/** Returns the offset in the file of the closest existing node along `path`. */
export type OffsetLocator = (path: FieldPath) => number;

/**
 * Walks a position tree: a mapping entry is located at its key, a sequence item at its value;
 * where the path leaves the tree, the last node reached is returned.
 */
export function locateInPosTree(root: PosNode, path: FieldPath): number {
  let node = root;
  let at = root.o;
  for (const step of path) {
    const c = node.c;
    let next: PosNode | undefined;
    if (c instanceof Map) next = c.get(String(step));
    else if (Array.isArray(c) && typeof step === 'number') next = c[step];
    if (!next) break;
    node = next;
    at = next.k ?? next.o;
  }
  return at;
}

/** The same walk over a `yaml` AST node (used for documents the fast reader hands to `yaml`). */
export function locateInYamlNode(root: YamlNode, path: FieldPath): number {
  let node: unknown = root;
  let at = root.range?.[0] ?? 0;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyString(p.key) === String(step));
      if (!pair) break;
      const key = pair.key as YamlNode | null;
      at = key?.range?.[0] ?? at;
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step] as YamlNode | undefined;
      if (!item) break;
      at = item.range?.[0] ?? at;
      node = item;
    } else {
      break;
    }
    if (isAlias(node)) break;
  }
  return at;
}

function keyString(key: unknown): string | undefined {
  if (isScalar(key)) return key.value === null ? '' : String(key.value);
  return undefined;
}
