/**
 * The numbers of core workload objects (Deployment, StatefulSet, ReplicaSet, DaemonSet, Job,
 * CronJob, Pod, ReplicationController, PodTemplate) the API server refuses: every `format: int32`
 * field of the Kubernetes OpenAPI must be an integer in the int32 range (the API server cannot
 * decode `replicas: 99999999999` into its Go int32 and refuses the object), and container, host and
 * gRPC probe ports must be port numbers. Checked with the same machinery as the CRDs: a structural
 * schema of just those paths (schemas/kubernetes/workload-ranges.json, every object preserving
 * unknown fields, so nothing else is judged here), compiled at build time by codegen.ts into an ajv
 * validator, read through validateOpenApi.
 */
import { generatedIndex, generatedSchema } from './generated.js';
import { normalize } from './normalize.js';
import { validateOpenApi } from './openapi.js';
import type { SchemaViolation } from './types.js';

let byKind: Map<string, string> | undefined;

/** Schema id by `apiVersion kind` (`apps/v1 Deployment`), from the generated index. */
function ids(): Map<string, string> {
  byKind ??= new Map(generatedIndex().kubernetes.map((k) => [`${k.apiVersion} ${k.kind}`, k.schema]));
  return byKind;
}

/** The `apiVersion`s and kinds {@link validateWorkloadNumbers} checks, e.g. `apps/v1 Deployment`, sorted. */
export function rangeCheckedKinds(): string[] {
  return [...ids().keys()].sort();
}

/**
 * The int32 and port fields of `obj` the API server refuses, each with its path and a message
 * naming the field, the range and the value (`spec.replicas: must be an integer from -2147483648 to
 * 2147483647: the field is an int32, and the API server refuses values outside its range (got
 * 99999999999)`); [] for a valid object or one of another apiVersion and kind.
 */
export function validateWorkloadNumbers(obj: unknown): SchemaViolation[] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return [];
  const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return [];
  const id = ids().get(`${apiVersion} ${kind}`);
  if (id === undefined) return [];
  return validateOpenApi(normalize(obj, generatedSchema(id)), id);
}
