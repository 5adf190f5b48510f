/**
 * The `status.conditions` of an object as `istioctl analyze` reads them from a file. istioctl decodes
 * each document into the kind's Go type, status included (pilot/pkg/config/file `parseChunk`, then
 * `TranslateObject`); a status field of the wrong type (an unquoted `False`, a string
 * `observedGeneration` in a Kubernetes condition, a time that is not RFC 3339) fails that decode, and
 * istioctl skips the object with an error, so none of its conditions count. Kubernetes and Gateway
 * API conditions (`metav1.Condition`) decode as JSON into Go structs; Istio conditions
 * (`IstioCondition` in IstioStatus and ServiceEntryStatus) through jsonpb, which also takes proto
 * field names (`last_transition_time`) and 64-bit integers written as strings. Only what leads to
 * conditions is judged; the rest of a status is not read.
 */
import { isRecord, type MeshObject } from './object.js';
import type { FieldPath } from './types.js';

/** One condition as written, with where it is. */
export interface StatusCondition {
  readonly type: string;
  /** `True`, `False`, `Unknown` as written (compared exactly, as Go does). */
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly path: FieldPath;
}

/** The conditions istioctl reads, or why it cannot decode the status (then it reads none). */
export type StatusConditions =
  | { readonly conditions: readonly StatusCondition[] }
  | { readonly unreadable: string };

/** Where a kind keeps its conditions: in `status.conditions`, or per parent (`status.parents[].conditions`, Gateway API routes). */
export type ConditionShape = 'conditions' | 'parents';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function readCondition(c: unknown, path: FieldPath, istio: boolean): StatusCondition | string {
  if (!isRecord(c)) return `${path.join('.')} is not a mapping`;
  const field = (json: string, proto: string): unknown => (istio && c[json] === undefined ? c[proto] : c[json]);
  const str: Record<string, string> = {};
  for (const [json, proto] of [['type', 'type'], ['status', 'status'], ['reason', 'reason'], ['message', 'message']] as const) {
    const v = field(json, proto);
    if (v !== undefined && v !== null && typeof v !== 'string') return `${[...path, json].join('.')} is ${JSON.stringify(v)}, not a string (quote it)`;
    str[json] = typeof v === 'string' ? v : '';
  }
  const times = istio ? [['lastTransitionTime', 'last_transition_time'], ['lastProbeTime', 'last_probe_time']] : [['lastTransitionTime', 'lastTransitionTime']];
  for (const [json, proto] of times) {
    const v = field(json!, proto!);
    if (v !== undefined && v !== null && !(typeof v === 'string' && RFC3339.test(v))) return `${[...path, json!].join('.')} is ${JSON.stringify(v)}, not an RFC 3339 time`;
  }
  const generation = field('observedGeneration', 'observed_generation');
  const intString = istio && typeof generation === 'string' && /^-?\d+$/.test(generation);
  if (generation !== undefined && generation !== null && !Number.isInteger(generation) && !intString) return `${[...path, 'observedGeneration'].join('.')} is ${JSON.stringify(generation)}, not an integer`;
  return { type: str.type!, status: str.status!, reason: str.reason!, message: str.message!, path };
}

function readList(v: unknown, path: FieldPath, istio: boolean, out: StatusCondition[]): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) return `${path.join('.')} is not a list`;
  for (let i = 0; i < v.length; i++) {
    const c = readCondition(v[i], [...path, i], istio);
    if (typeof c === 'string') return c;
    out.push(c);
  }
  return undefined;
}

/**
 * The conditions of `o`'s status. `istio`: the status is an Istio proto status (`IstioStatus`,
 * `ServiceEntryStatus`) rather than a Kubernetes one. No `status`: no conditions.
 */
export function statusConditions(o: MeshObject, shape: ConditionShape, istio: boolean): StatusConditions {
  const status = o.body.status;
  if (status === undefined || status === null) return { conditions: [] };
  if (!isRecord(status)) return { unreadable: 'status is not a mapping' };
  const out: StatusCondition[] = [];
  if (shape === 'conditions') {
    const bad = readList(status.conditions, ['status', 'conditions'], istio, out);
    return bad ? { unreadable: bad } : { conditions: out };
  }
  const parents = status.parents;
  if (parents !== undefined && parents !== null && !Array.isArray(parents)) return { unreadable: 'status.parents is not a list' };
  for (let p = 0; p < (parents?.length ?? 0); p++) {
    const parent = parents![p];
    if (!isRecord(parent)) return { unreadable: `status.parents.${p} is not a mapping` };
    const bad = readList(parent.conditions, ['status', 'parents', p, 'conditions'], istio, out);
    if (bad) return { unreadable: bad };
  }
  return { conditions: out };
}
