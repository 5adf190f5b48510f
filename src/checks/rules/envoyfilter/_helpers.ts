import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
import type { RuleContext } from '../../rule.js';
import type { FieldPath } from '../../types.js';

/** One `spec.configPatches[i]` of an EnvoyFilter. */
export interface ConfigPatch {
  readonly filter: MeshObject;
  readonly index: number;
  /** `applyTo`, e.g. `HTTP_FILTER`; `''` when missing. */
  readonly applyTo: string;
  /** `patch.operation`, e.g. `INSERT_BEFORE`; `''` when missing. */
  readonly operation: string;
  /** `match.proxy.proxyVersion`, when set. */
  readonly proxyVersion: string | undefined;
  /** `['spec','configPatches',i,'patch','operation']`. */
  readonly operationPath: FieldPath;
}

/** Every config patch of every EnvoyFilter. */
export function configPatches(graph: MeshGraph): ConfigPatch[] {
  const out: ConfigPatch[] = [];
  for (const filter of graph.ofKind('EnvoyFilter')) {
    const patches = Array.isArray(filter.spec.configPatches) ? filter.spec.configPatches : [];
    patches.forEach((p, index) => {
      if (!isRecord(p)) return;
      const patch = isRecord(p.patch) ? p.patch : {};
      const proxy = isRecord(p.match) && isRecord(p.match.proxy) ? p.match.proxy : {};
      out.push({
        filter, index,
        applyTo: typeof p.applyTo === 'string' ? p.applyTo : '',
        operation: typeof patch.operation === 'string' ? patch.operation : '',
        proxyVersion: typeof proxy.proxyVersion === 'string' && proxy.proxyVersion !== '' ? proxy.proxyVersion : undefined,
        operationPath: ['spec', 'configPatches', index, 'patch', 'operation'],
      });
    });
  }
  return out;
}

/** Kinds whose patches act on a named element of a list (a filter), where REPLACE and REMOVE depend on order. */
const FILTER_KINDS = new Set(['HTTP_FILTER', 'NETWORK_FILTER', 'LISTENER_FILTER']);

/**
 * Whether a patch is positioned relative to another element that some EnvoyFilter may add:
 * INSERT_BEFORE and INSERT_AFTER, and REPLACE / REMOVE of a filter. INSERT_FIRST and ADD are
 * absolute; they are what istioctl suggests instead.
 */
export function isRelative(p: ConfigPatch): boolean {
  if (p.operation === 'INSERT_BEFORE' || p.operation === 'INSERT_AFTER') return true;
  return (p.operation === 'REPLACE' || p.operation === 'REMOVE') && FILTER_KINDS.has(p.applyTo);
}

/** Whether the EnvoyFilter sets a non-zero `priority`. */
export function hasPriority(filter: MeshObject): boolean {
  return typeof filter.spec.priority === 'number' && filter.spec.priority !== 0;
}

/** Reports every patch with `operation` applied to one of `kinds`. */
export function reportOperationOn(graph: MeshGraph, ctx: RuleContext, operation: string, kinds: ReadonlySet<string>, message: (p: ConfigPatch) => string): void {
  for (const p of configPatches(graph)) {
    if (p.operation === operation && kinds.has(p.applyTo)) ctx.report(p.filter, message(p), { path: p.operationPath });
  }
}
