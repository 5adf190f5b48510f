/**
 * Validates Istio and Gateway API objects the way the Kubernetes API server would on create,
 * against the vendored CRDs (schemas/istio/crd-all.gen.yaml; schemas/gateway-api/, v1.6.1
 * experimental channel): schema defaults applied first, then OpenAPI structure and types with
 * strict field validation (unknown fields are errors), `x-kubernetes-list-type` uniqueness,
 * ObjectMeta syntax, and every `x-kubernetes-validations` CEL rule except transition rules.
 * Beyond what the API server checks, numbers must fit their protobuf type (`format: int32`
 * fields) and be finite, as Istio's validating webhook requires.
 */
import { celChecks } from './cel.js';
import { isGatewayApiGroup, isIstioGroup, kindsInGroup, splitApiVersion, tryFindCrd, type Crd } from './crds.js';
import { listTypeChecks } from './list-type.js';
import { nonFiniteNumbers } from './finite.js';
import { normalize } from './normalize.js';
import { validateOpenApi } from './openapi.js';
import { buildCheckTree, runChecks, type CheckNode } from './walk.js';
import type { SchemaViolation, StructuralSchema } from './types.js';

export type { SchemaViolation } from './types.js';
export { skippedRules, type SkippedRule } from './cel.js';

/** True when `apiVersion` names an Istio API group (`istio.io` or `*.istio.io`) and `kind` is given. */
export function isIstioKind(apiVersion: string, kind: string): boolean {
  return groupMatches(apiVersion, kind, isIstioGroup);
}

/**
 * True when objects of `apiVersion` and `kind` are validated against a vendored CRD: an Istio
 * group, or a Gateway API group (`gateway.networking.k8s.io`, `gateway.networking.x-k8s.io`).
 */
export function isValidatedKind(apiVersion: string, kind: string): boolean {
  return groupMatches(apiVersion, kind, (group) => isIstioGroup(group) || isGatewayApiGroup(group));
}

function groupMatches(apiVersion: string, kind: string, predicate: (group: string) => boolean): boolean {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || kind === '') return false;
  const split = splitApiVersion(apiVersion);
  return split !== undefined && predicate(split.group);
}

/**
 * The reasons the API server would reject `obj`; [] when it is valid or not a validated kind
 * (`isValidatedKind`). Never throws: input that cannot be read at all yields one violation at the root.
 */
export function validateCrdObject(obj: unknown): SchemaViolation[] {
  try {
    return validate(obj);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return [{ path: [], message: `<root>: could not be validated: ${why}`, kind: 'schema' }];
  }
}

function validate(obj: unknown): SchemaViolation[] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return [];
  const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !isValidatedKind(apiVersion, kind)) return [];
  const { group, version } = splitApiVersion(apiVersion)!;
  const crd = tryFindCrd(group, kind);
  const served = crd?.versions.find((v) => v.served && v.name === version);
  if (!served) return [unknownKind(apiVersion, group, kind, crd)];

  const schema = served.schema;
  const normalized = normalize(obj, schema);
  const out = validateOpenApi(normalized, served.schemaId);
  out.push(...nonFiniteNumbers(normalized, out));
  const tree = checkTree(schema);
  if (tree) runChecks(tree, normalized, [], { out, invalid: out.map((v) => v.path) });
  return out;
}

function unknownKind(apiVersion: string, group: string, kind: string, crd: Crd | undefined): SchemaViolation {
  if (crd) {
    const versions = crd.versions.filter((v) => v.served).map((v) => `${group}/${v.name}`);
    return {
      path: ['apiVersion'], kind: 'unknown-kind',
      message: `apiVersion: ${kind} is not served as ${apiVersion}; use one of ${versions.join(', ')}`,
    };
  }
  const kinds = kindsInGroup(group);
  const renamed = RENAMED_KINDS.get(`${group}/${kind}`);
  if (renamed) return { path: ['kind'], kind: 'unknown-kind', message: `kind: ${group} no longer serves ${kind}: ${renamed}` };
  return {
    path: ['kind'], kind: 'unknown-kind',
    message: kinds.length > 0
      ? `kind: ${group} has no kind ${JSON.stringify(kind)}; its kinds are ${kinds.join(', ')}`
      : `kind: no ${isIstioGroup(group) ? 'Istio' : 'Gateway API'} CRD serves ${kind} in API group ${group}`,
  };
}

/** Kinds a Gateway API release replaced, with where they went (the vendored CRDs no longer define them). */
const RENAMED_KINDS: ReadonlyMap<string, string> = new Map([
  ['gateway.networking.x-k8s.io/XListenerSet', 'Gateway API v1.5 made it the standard ListenerSet; write apiVersion: gateway.networking.k8s.io/v1, kind: ListenerSet (the spec is the same), and point routes\' parentRefs at kind: ListenerSet, group: gateway.networking.k8s.io'],
]);

const trees = new WeakMap<StructuralSchema, CheckNode | null>();

function checkTree(schema: StructuralSchema): CheckNode | undefined {
  let tree = trees.get(schema);
  if (tree === undefined) {
    tree = buildCheckTree(schema, (s) => [...listTypeChecks(s), ...celChecks(s)]) ?? null;
    trees.set(schema, tree);
  }
  return tree ?? undefined;
}
