import type { StructuralSchema } from './types.js';

/**
 * The object as the API server validates it: a copy, following the schema, in which `null`
 * values of non-nullable fields are removed (the API server prunes them before validating, so
 * `timeout: null` means "unset", not "wrong type"). Copied objects have no prototype, so keys
 * such as `__proto__` or `constructor` are plain data for ajv and CEL. Parts the schema does not
 * describe (unknown fields, preserved-unknown subtrees) are kept by reference and never walked.
 */
export function normalize(value: unknown, schema: StructuralSchema | undefined): unknown {
  if (!schema || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items = schema.items;
    return items ? value.map((v) => normalize(v, items)) : value;
  }
  const { properties, additionalProperties } = schema;
  const mapValues = typeof additionalProperties === 'object' ? additionalProperties : undefined;
  if (!properties && !mapValues) return value;
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    const own = properties && Object.hasOwn(properties, key) ? properties[key] : mapValues;
    if (v === null && own && !own.nullable) continue;
    out[key] = normalize(v, own);
  }
  return out;
}
