import type { FieldPath } from './types.js';

/** An object found in a document: the document itself, or an item of a List (at any depth). */
export interface PlacedObject {
  readonly body: Record<string, unknown>;
  /** Path from the document root to the object: `[]`, or `['items', 2]`, `['items', 0, 'items', 1]`. */
  readonly path: FieldPath;
  /** Kind of the List the object came from, when its kind and apiVersion were taken from it. */
  readonly inferredFrom: string | null;
}

/** Why part of a document is not an object; reported by the caller with the path's location. */
export interface ListProblem {
  readonly code: 'input/bad-list' | 'input/not-an-object' | 'input/missing-field';
  readonly message: string;
  readonly path: FieldPath;
}

/** Lists nested deeper than this are refused (kubectl has no limit; no real input comes close). */
export const MAX_LIST_DEPTH = 16;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function describeValue(v: unknown): string {
  if (Array.isArray(v)) return 'a sequence';
  if (v === null) return 'null';
  if (isRecord(v)) return 'a mapping';
  return `a ${typeof v} (${JSON.stringify(v)?.slice(0, 40)})`;
}

/**
 * Expands Lists the way kubectl does. Kubernetes decodes any object with a top-level `items`
 * field as a list, whatever its kind says (`List`, `ServiceList`, `list`), and kubectl flattens
 * lists inside lists. An item with neither `kind` nor `apiVersion` takes them from its list, as
 * the API server's typed lists expect: a `ServiceList` item is a `Service` of the list's
 * apiVersion. `items: null` is an empty list. A list whose `items` is not a sequence, or which has
 * no `kind`, cannot be decoded and is refused (never skipped).
 */
export function expandLists(root: Record<string, unknown>, what: string): { objects: PlacedObject[]; problems: ListProblem[] } {
  const objects: PlacedObject[] = [];
  const problems: ListProblem[] = [];
  const queue: { body: Record<string, unknown>; path: FieldPath; depth: number; inferredFrom: string | null }[] = [{ body: root, path: [], depth: 0, inferredFrom: null }];
  for (let q = 0; q < queue.length; q++) {
    const { body, path, depth, inferredFrom } = queue[q]!;
    const label = path.length === 0 ? what : `${what} ${formatItemPath(path)}`;
    if (!Object.hasOwn(body, 'items')) {
      // `kind: List` (or `ServiceList`) with no items and no name is a List missing its items, not
      // an object missing its name.
      const named = isRecord(body.metadata) && typeof body.metadata.name === 'string' && body.metadata.name !== '';
      if (typeof body.kind === 'string' && body.kind.endsWith('List') && !named) {
        problems.push({ code: 'input/bad-list', message: `${label} is a ${body.kind} with no "items" field, so it holds no objects; add items: with the objects (- apiVersion: …), or items: [] for an empty list`, path: [...path, 'kind'] });
        continue;
      }
      objects.push({ body, path, inferredFrom });
      continue;
    }
    const kind = body.kind;
    if (typeof kind !== 'string' || kind === '') {
      problems.push({ code: 'input/missing-field', message: `${label} has a top-level "items" field, so Kubernetes reads it as a List, but it has no kind: add kind: List and apiVersion: v1`, path: [...path, 'items'] });
      continue;
    }
    const items = body.items;
    if (items === null || items === undefined) continue;
    if (!Array.isArray(items)) {
      problems.push({ code: 'input/bad-list', message: `${label} is a ${kind}: Kubernetes reads any object with a top-level "items" field as a List, but items is ${describeValue(items)}; make items a sequence of objects (- apiVersion: …), or rename the field`, path: [...path, 'items'] });
      continue;
    }
    if (depth >= MAX_LIST_DEPTH) {
      problems.push({ code: 'input/bad-list', message: `${label} nests Lists more than ${MAX_LIST_DEPTH} deep; flatten them into one List or separate documents`, path });
      continue;
    }
    const itemKind = kind.endsWith('List') ? kind.slice(0, -'List'.length) : kind;
    items.forEach((item, i) => {
      const itemPath = [...path, 'items', i];
      if (!isRecord(item)) {
        problems.push({ code: 'input/not-an-object', message: `${what} ${formatItemPath(itemPath)} is ${describeValue(item)}, not a Kubernetes object`, path: itemPath });
        return;
      }
      const inherit = (item.kind === undefined || item.kind === '') && (item.apiVersion === undefined || item.apiVersion === '') && itemKind !== '';
      queue.push({ body: inherit ? { ...item, apiVersion: body.apiVersion, kind: itemKind } : item, path: itemPath, depth: depth + 1, inferredFrom: inherit ? kind : null });
    });
  }
  return { objects, problems };
}

/** `items[2]`, `items[0].items[1]` */
export function formatItemPath(path: FieldPath): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s;
}
