import { OBJECT_META } from './object-meta.js';
import type { StructuralSchema } from './types.js';

/** A JSON Schema (draft-07 dialect, as ajv reads it). */
export type JsonSchema = Record<string, unknown>;

/** Value validations copied as they are: Kubernetes and JSON Schema agree on their meaning. */
const VALUE_KEYWORDS = [
  'enum', 'maxLength', 'minLength', 'pattern', 'maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum',
  'multipleOf', 'maxItems', 'minItems', 'uniqueItems', 'maxProperties', 'minProperties', 'required',
] as const;

/**
 * String formats the API server checks. Other formats are not checked as formats: `int32`
 * becomes a range (below) and `double` needs a finite number (ajv's `strictNumbers`).
 */
export const CHECKED_FORMATS = new Set(['date-time', 'date', 'byte', 'ipv4', 'ipv6']);

/** Annotation keyword: the protobuf number type behind a range, for messages about `minimum`/`maximum`. */
export const NUMBER_FORMAT = 'x-meshproof-format';

/**
 * Annotation keyword: why a number has the range it has, as the message states it after the range
 * (`the field is an int32, and the API server refuses values outside its range`). Set by the
 * schemas of schemas/kubernetes/ (scripts/gen-k8s-ranges.mjs); the CRDs have none.
 */
export const RANGE_WHY = 'x-meshproof-range-why';

/** The range of a protobuf `int32`, which Istio's webhook enforces when it decodes the field. */
export const INT32_RANGE = { minimum: -2147483648, maximum: 2147483647 } as const;

/**
 * Translates the `openAPIV3Schema` of a CRD version into the JSON Schema the API server
 * effectively enforces with strict field validation:
 * - unknown fields are errors (`additionalProperties: false`) unless the node has
 *   `x-kubernetes-preserve-unknown-fields` or declares `additionalProperties`;
 * - `x-kubernetes-int-or-string` accepts integers and strings; `nullable` adds `null`;
 * - an `integer` with `format: int32` must lie in the int32 range: the API server ignores the
 *   format, but Istio's webhook decodes the field into a protobuf int32 and refuses the object;
 * - `apiVersion`, `kind` and `metadata` are implicit at the root; `metadata` is a required
 *   ObjectMeta (the API server needs at least a name). With `objectMeta: false` (the partial
 *   schemas of core kinds, whose metadata schema/object-meta checks) the root is left as it is.
 * Nulls in non-nullable fields never reach the schema: `normalize()` prunes them first, as the
 * API server does.
 */
export function toJsonSchema(root: StructuralSchema, options: { readonly objectMeta?: boolean } = {}): JsonSchema {
  const out = translate(root, false);
  if (options.objectMeta === false) return out;
  const properties = { ...(out.properties as Record<string, JsonSchema> | undefined) };
  properties.apiVersion = { type: 'string' };
  properties.kind = { type: 'string' };
  properties.metadata = OBJECT_META;
  const required = [...((out.required as string[] | undefined) ?? []), 'metadata'];
  return { ...out, type: 'object', properties, required };
}

/** `inJunctor` is true inside oneOf/anyOf/allOf/not, which only hold value validations. */
function translate(s: StructuralSchema, inJunctor: boolean): JsonSchema {
  const out: JsonSchema = {};
  const types: string[] = [];
  if (s['x-kubernetes-int-or-string']) types.push('integer', 'string');
  else if (typeof s.type === 'string') types.push(s.type);
  if (s.nullable && types.length > 0) types.push('null');
  if (types.length > 0) out.type = types.length === 1 ? types[0] : types;

  for (const keyword of VALUE_KEYWORDS) {
    if (s[keyword] !== undefined) out[keyword] = s[keyword];
  }
  if (s.nullable && Array.isArray(s.enum)) out.enum = [...s.enum, null];
  if (typeof s.format === 'string' && CHECKED_FORMATS.has(s.format)) out.format = s.format;
  if (s.format === 'int32' && s.type === 'integer') {
    out.minimum = Math.max(typeof s.minimum === 'number' ? s.minimum : -Infinity, INT32_RANGE.minimum);
    out.maximum = Math.min(typeof s.maximum === 'number' ? s.maximum : Infinity, INT32_RANGE.maximum);
    out[NUMBER_FORMAT] = 'int32';
  }
  if (typeof s[RANGE_WHY] === 'string') out[RANGE_WHY] = s[RANGE_WHY];

  if (s.properties) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, translate(v, inJunctor)]));
  }
  if (typeof s.additionalProperties === 'object') out.additionalProperties = translate(s.additionalProperties, inJunctor);
  else if (s.additionalProperties === true || s['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = true;
  else if (!inJunctor && (s.type === 'object' || s.properties)) out.additionalProperties = false;

  if (s.items) out.items = translate(s.items, inJunctor);
  // An int-or-string node's `anyOf: [{type: integer}, {type: string}]` only restates its type.
  const junctors = s['x-kubernetes-int-or-string'] ? ['allOf'] as const : ['oneOf', 'anyOf', 'allOf'] as const;
  for (const junctor of junctors) {
    const branches = s[junctor];
    if (branches) out[junctor] = branches.map((b) => translate(b, true));
  }
  if (s.not) out.not = translate(s.not, true);
  return out;
}
