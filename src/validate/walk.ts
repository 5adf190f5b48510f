import type { Path, SchemaViolation, StructuralSchema } from './types.js';

/** What a check sees besides the value: where to report, and where the schema already failed. */
export interface CheckContext {
  readonly out: SchemaViolation[];
  /** Paths of OpenAPI violations, so a check can stay quiet where its input is already known to be wrong. */
  readonly invalid: readonly Path[];
}

/** A check bound to one schema node, run on every value at that node. */
export type NodeCheck = (value: unknown, path: Path, ctx: CheckContext) => void;

/** The schema reduced to the nodes that carry checks and the nodes leading to them. */
export interface CheckNode {
  readonly schema: StructuralSchema;
  readonly checks: readonly NodeCheck[];
  readonly properties: ReadonlyMap<string, CheckNode>;
  readonly mapValues?: CheckNode;
  readonly items?: CheckNode;
}

/** Builds the check tree of `schema`; undefined when no node has a check. */
export function buildCheckTree(schema: StructuralSchema, checksFor: (s: StructuralSchema) => NodeCheck[]): CheckNode | undefined {
  const properties = new Map<string, CheckNode>();
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const node = buildCheckTree(child, checksFor);
    if (node) properties.set(key, node);
  }
  const mapValues = typeof schema.additionalProperties === 'object' ? buildCheckTree(schema.additionalProperties, checksFor) : undefined;
  const items = schema.items ? buildCheckTree(schema.items, checksFor) : undefined;
  const checks = checksFor(schema);
  if (checks.length === 0 && properties.size === 0 && !mapValues && !items) return undefined;
  return { schema, checks, properties, ...(mapValues && { mapValues }), ...(items && { items }) };
}

/**
 * Runs the checks of `node` and its descendants on `value`. Like the API server, a node whose
 * value is null or of the wrong type (already an OpenAPI violation) is not checked further.
 */
export function runChecks(node: CheckNode, value: unknown, path: Path, ctx: CheckContext): void {
  if (!typeMatches(node.schema, value)) return;
  for (const check of node.checks) check(value, path, ctx);
  if (Array.isArray(value)) {
    if (node.items) for (let i = 0; i < value.length; i++) runChecks(node.items, value[i], [...path, i], ctx);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const record = value as Record<string, unknown>;
  for (const [key, child] of node.properties) {
    if (Object.hasOwn(record, key)) runChecks(child, record[key], [...path, key], ctx);
  }
  if (node.mapValues) for (const key of Object.keys(record)) runChecks(node.mapValues, record[key], [...path, key], ctx);
}

function typeMatches(schema: StructuralSchema, value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (schema['x-kubernetes-int-or-string']) return typeof value === 'string' || Number.isInteger(value);
  switch (schema.type) {
    case 'object': return typeof value === 'object' && !Array.isArray(value);
    case 'array': return Array.isArray(value);
    case 'string': return typeof value === 'string';
    case 'integer': return Number.isInteger(value);
    case 'number': return typeof value === 'number';
    case 'boolean': return typeof value === 'boolean';
    default: return true;
  }
}

/** True when `inner` is `outer` or lies below it. */
export function isWithin(inner: Path, outer: Path): boolean {
  return outer.length <= inner.length && outer.every((segment, i) => inner[i] === segment);
}
