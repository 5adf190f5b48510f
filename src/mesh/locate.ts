import { isAlias, isMap, isPair, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import type { FieldPath } from './types.js';

/**
 * Returns the offset of the closest existing node along `path` under a `yaml` node: a mapping
 * entry is located at its key, a sequence item at its value; where the path leaves the tree (or
 * reaches an alias), the last node reached is returned.
 */
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
