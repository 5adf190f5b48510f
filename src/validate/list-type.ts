import { formatPath, showValue } from './path.js';
import type { NodeCheck } from './walk.js';
import type { StructuralSchema } from './types.js';

/**
 * `x-kubernetes-list-type`: items of a `set` must be unique, and items of a `map` must be
 * unique by their `x-kubernetes-list-map-keys`, as the API server enforces.
 */
export function listTypeChecks(schema: StructuralSchema): NodeCheck[] {
  const listType = schema['x-kubernetes-list-type'];
  if (listType === 'map') {
    const keys = schema['x-kubernetes-list-map-keys'] ?? [];
    return keys.length > 0 ? [uniqueBy(keys)] : [];
  }
  if (listType === 'set') return [uniqueBy(undefined)];
  return [];
}

function uniqueBy(keys: readonly string[] | undefined): NodeCheck {
  return function checkListUnique(value, path, ctx) {
    if (!Array.isArray(value)) return;
    const seen = new Map<string, number>();
    value.forEach((item, i) => {
      const id = identity(item, keys);
      if (id === undefined) return;
      const first = seen.get(id);
      if (first === undefined) {
        seen.set(id, i);
        return;
      }
      const at = [...path, i];
      const what = keys
        ? `duplicate entry: item ${first} has the same ${keys.join(', ')} (${id}); entries must be unique by ${keys.join(', ')}`
        : `duplicate value ${showValue(item)}: item ${first} has the same value; entries must be unique`;
      ctx.out.push({ path: at, message: `${formatPath(at)}: ${what}`, kind: 'schema' });
    });
  };
}

function identity(item: unknown, keys: readonly string[] | undefined): string | undefined {
  if (!keys) return typeof item === 'object' && item !== null ? undefined : JSON.stringify(item);
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
  const record = item as Record<string, unknown>;
  return keys.map((k) => `${k}=${showValue(Object.hasOwn(record, k) ? record[k] : undefined)}`).join(', ');
}
