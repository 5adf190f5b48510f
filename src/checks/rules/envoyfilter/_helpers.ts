import type { MeshGraph } from '../../../mesh/graph.js';
import { isRecord, type MeshObject } from '../../../mesh/object.js';
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
  /**
   * The element the patch names, as Istio's analyzer keys it: `patch.value.name` when the value
   * has one, else `match.listener.filterChain.filter.name` when the value is set; `''` otherwise.
   */
  readonly elementName: string;
  /** `['spec','configPatches',i,'patch','operation']`. */
  readonly operationPath: FieldPath;
}

/** The finding Istio's `envoyfilter.EnvoyPatchAnalyzer` makes for one patch. */
export type EnvoyPatchVerdict =
  | 'add-misuse' // IST0153
  | 'remove-misuse' // IST0154
  | 'replace-misuse' // IST0152
  | 'relative' // IST0151
  | 'relative-with-proxy-version'; // IST0155

export interface EnvoyPatchFinding {
  readonly patch: ConfigPatch;
  readonly verdict: EnvoyPatchVerdict;
}

/** Kinds on which Istio ignores ADD and REMOVE. */
const ROUTE_KINDS = new Set(['ROUTE_CONFIGURATION', 'HTTP_ROUTE']);
/** Kinds Istio implements REPLACE for (pilot's envoyfilter patchers). */
export const REPLACEABLE = new Set(['HTTP_FILTER', 'NETWORK_FILTER', 'VIRTUAL_HOST']);

function elementNameOf(p: Record<string, unknown>, patch: Record<string, unknown>): string {
  if (!isRecord(patch.value)) return '';
  if (patch.value.name !== undefined) return JSON.stringify(patch.value.name);
  const listener = isRecord(p.match) && isRecord(p.match.listener) ? p.match.listener : undefined;
  const filter = listener && isRecord(listener.filterChain) && isRecord(listener.filterChain.filter) ? listener.filterChain.filter : undefined;
  return filter && typeof filter.name === 'string' ? filter.name : '';
}

/**
 * Every config patch of one EnvoyFilter, in order, up to the first entry without `patch` (Istio's
 * analyzer stops reading an EnvoyFilter there).
 */
export function configPatchesOf(filter: MeshObject): ConfigPatch[] {
  const out: ConfigPatch[] = [];
  const patches = Array.isArray(filter.spec.configPatches) ? filter.spec.configPatches : [];
  for (let index = 0; index < patches.length; index++) {
    const p = patches[index];
    if (!isRecord(p) || !isRecord(p.patch)) break;
    const patch = p.patch;
    const proxy = isRecord(p.match) && isRecord(p.match.proxy) ? p.match.proxy : {};
    out.push({
      filter, index,
      applyTo: typeof p.applyTo === 'string' ? p.applyTo : '',
      operation: typeof patch.operation === 'string' ? patch.operation : '',
      proxyVersion: typeof proxy.proxyVersion === 'string' && proxy.proxyVersion !== '' ? proxy.proxyVersion : undefined,
      elementName: elementNameOf(p, patch),
      operationPath: ['spec', 'configPatches', index, 'patch', 'operation'],
    });
  }
  return out;
}

/** Whether the EnvoyFilter sets a non-zero `priority`. */
export function hasPriority(filter: MeshObject): boolean {
  return typeof filter.spec.priority === 'number' && filter.spec.priority !== 0;
}

/**
 * Istio's `EnvoyPatchAnalyzer`, patch by patch over every EnvoyFilter in input order:
 * ADD or REMOVE on ROUTE_CONFIGURATION / HTTP_ROUTE is ignored (IST0153 / IST0154); REPLACE on
 * anything but HTTP_FILTER, NETWORK_FILTER or VIRTUAL_HOST is ignored (IST0152). Every other
 * REMOVE and REPLACE, and INSERT_BEFORE / INSERT_AFTER, is relative: without a priority it is
 * IST0151, or IST0155 when an EARLIER patch (this EnvoyFilter or one before it) that matched a
 * `proxyVersion` named the same element. Shared by the five envoyfilter rules so they agree.
 */
export function analyzeEnvoyPatches(graph: MeshGraph): EnvoyPatchFinding[] {
  const out: EnvoyPatchFinding[] = [];
  const versionedNames = new Set<string>();
  for (const filter of graph.ofKind('EnvoyFilter')) {
    for (const p of configPatchesOf(filter)) {
      let relative = false;
      if (p.operation === 'ADD') {
        if (ROUTE_KINDS.has(p.applyTo)) out.push({ patch: p, verdict: 'add-misuse' });
      } else if (p.operation === 'REMOVE') {
        if (ROUTE_KINDS.has(p.applyTo)) out.push({ patch: p, verdict: 'remove-misuse' });
        else relative = true;
      } else if (p.operation === 'REPLACE') {
        if (!REPLACEABLE.has(p.applyTo)) out.push({ patch: p, verdict: 'replace-misuse' });
        else relative = true;
      } else if (p.operation === 'INSERT_BEFORE' || p.operation === 'INSERT_AFTER') {
        relative = true;
      }
      if (relative && !hasPriority(filter)) {
        out.push({ patch: p, verdict: versionedNames.has(p.elementName) ? 'relative-with-proxy-version' : 'relative' });
      }
      if (p.proxyVersion !== undefined) versionedNames.add(p.elementName);
    }
  }
  return out;
}

/** The patches `analyzeEnvoyPatches` gives `verdict`. */
export function patchesWith(graph: MeshGraph, verdict: EnvoyPatchVerdict): ConfigPatch[] {
  return analyzeEnvoyPatches(graph).filter((f) => f.verdict === verdict).map((f) => f.patch);
}
