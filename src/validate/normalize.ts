import type { StructuralSchema } from './types.js';

/**
 * The object as the API server validates it: a copy, following the schema, in which
 * - `null` values of non-nullable fields are removed (the API server prunes them before
 *   validating, so `timeout: null` means "unset", not "wrong type"), unless the field has a
 *   default, which then replaces the null;
 * - missing fields that have a schema `default` are set to a copy of it, in every object that
 *   exists (also array items and map values, and objects that were themselves defaulted), never
 *   creating an absent parent: `tls.mode` is defaulted only where `tls` is written.
 * This is k8s.io/apiextensions-apiserver pkg/apiserver/schema/defaulting
 * (`PruneNonNullableNullsWithoutDefaults`, then `Default`), which runs when a request is
 * decoded, so OpenAPI and CEL validation see the defaulted object. The input is never changed:
 * the mesh model keeps what the user wrote, and findings locate paths in it.
 *
 * Copied objects have no prototype, so keys such as `__proto__` or `constructor` are plain data
 * for ajv and CEL. Parts the schema does not describe (unknown fields, preserved-unknown
 * subtrees) are kept by reference and never walked.
 */
export function normalize(value: unknown, schema: StructuralSchema | undefined): unknown {
  if (!schema || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items = schema.items;
    return items ? value.map((v) => normalize(v === null ? nullReplacement(items) : v, items)) : value;
  }
  const { properties, additionalProperties } = schema;
  const mapValues = typeof additionalProperties === 'object' ? additionalProperties : undefined;
  if (!properties && !mapValues) return value;
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    const own = properties && Object.hasOwn(properties, key) ? properties[key] : mapValues;
    if (v === null && own && !own.nullable) {
      if (hasDefault(own)) out[key] = normalize(structuredClone(own.default), own);
      continue;
    }
    out[key] = normalize(v, own);
  }
  if (properties) {
    for (const key of defaultedKeys(properties)) {
      if (!Object.hasOwn(out, key)) {
        const property = properties[key]!;
        out[key] = normalize(structuredClone(property.default), property);
      }
    }
  }
  return out;
}

const DEFAULTED = new WeakMap<Readonly<Record<string, StructuralSchema>>, readonly string[]>();

/**
 * The properties of a schema node that have a default, listed once per node: most nodes have none
 * (Istio's CRDs declare no defaults), so an object costs a look at its own keys, not at every
 * property its schema declares.
 */
function defaultedKeys(properties: Readonly<Record<string, StructuralSchema>>): readonly string[] {
  let keys = DEFAULTED.get(properties);
  if (!keys) DEFAULTED.set(properties, (keys = Object.keys(properties).filter((k) => hasDefault(properties[k]!))));
  return keys;
}

/** A null array item stays null (a type error) unless its non-nullable schema has a default. */
function nullReplacement(items: StructuralSchema): unknown {
  return !items.nullable && hasDefault(items) ? structuredClone(items.default) : null;
}

/** The API server reads `default: null` as no default (`Default.Object == nil`). */
function hasDefault(schema: StructuralSchema): boolean {
  return schema.default !== undefined && schema.default !== null;
}
