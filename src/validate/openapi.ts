import type { ErrorObject } from 'ajv';
import { nonFiniteMessage } from './finite.js';
import { generatedValidator } from './generated.js';
import { HINT } from './object-meta.js';
import { formatPath, jsonType, showValue } from './path.js';
import { NUMBER_FORMAT, RANGE_WHY } from './structural.js';
import type { Path, SchemaViolation } from './types.js';

const FORMAT_WORDS: Record<string, string> = {
  'date-time': 'an RFC 3339 date-time, e.g. "2024-01-31T12:00:00Z"',
  date: 'a date, e.g. "2024-01-31"',
  byte: 'base64-encoded bytes',
  ipv4: 'an IPv4 address, e.g. "10.0.0.1"',
  ipv6: 'an IPv6 address, e.g. "2001:db8::1"',
};

/**
 * OpenAPI (structural, type, range, enum, unknown-field) violations of a normalized object,
 * against the generated validator of schema `schemaId` (see codegen.ts).
 */
export function validateOpenApi(obj: unknown, schemaId: string): SchemaViolation[] {
  const validate = generatedValidator(schemaId);
  if (validate(obj)) return [];
  const errors = validate.errors ?? [];
  // Errors inside a oneOf/anyOf/not are explained by the junctor's own message.
  const junctors = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'not' || e.keyword === 'propertyNames')
    .map((e) => `${e.schemaPath}/`);
  const out: SchemaViolation[] = [];
  for (const error of errors) {
    if (junctors.some((prefix) => error.schemaPath.startsWith(prefix))) continue;
    out.push(translate(error, obj, errors));
  }
  return out;
}

function translate(error: ErrorObject, root: unknown, all: readonly ErrorObject[]): SchemaViolation {
  const params = error.params as Record<string, unknown>;
  let path = pointerToPath(error.instancePath, root);
  let what: string;
  const data = error.data;
  const got = `(got ${showValue(data)})`;
  switch (error.keyword) {
    case 'type':
      if (typeof data === 'number' && !Number.isFinite(data)) {
        what = nonFiniteMessage(data);
        break;
      }
      what = `must be ${String(params.type).split(',').map(article).join(' or ')} (got ${jsonType(data)} ${showValue(data)})`;
      break;
    case 'required':
      path = [...path, String(params.missingProperty)];
      what = 'required field is missing';
      break;
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      path = [...path, field];
      what = unknownField(field, error.parentSchema);
      break;
    }
    case 'enum':
      what = `must be one of ${(params.allowedValues as unknown[]).map((v) => showValue(v)).join(', ')} ${got}`;
      break;
    case 'pattern': {
      const hint = error.parentSchema?.[HINT];
      what = typeof hint === 'string' ? `must be ${hint} ${got}` : `must match the pattern ${String(params.pattern)} ${got}`;
      break;
    }
    case 'format':
      what = `must be ${FORMAT_WORDS[String(params.format)] ?? `in format ${String(params.format)}`} ${got}`;
      break;
    case 'maxLength': case 'minLength':
      what = `must be ${error.keyword === 'maxLength' ? 'at most' : 'at least'} ${String(params.limit)} characters long (got ${typeof data === 'string' ? [...data].length : '?'})`;
      break;
    case 'maximum': case 'minimum': case 'exclusiveMaximum': case 'exclusiveMinimum': {
      const parent = error.parentSchema as Record<string, unknown> | undefined;
      what = typeof parent?.[RANGE_WHY] === 'string'
        ? `must be an integer from ${String(parent.minimum)} to ${String(parent.maximum)}: ${String(parent[RANGE_WHY])} ${got}`
        : parent?.[NUMBER_FORMAT] === 'int32'
        ? `must be an integer from ${String(parent.minimum)} to ${String(parent.maximum)}: the field is a protobuf int32, and Istio's webhook refuses values outside its range ${got}`
        : `must be ${String(params.comparison)} ${String(params.limit)} ${got}`;
      break;
    }
    case 'maxItems': case 'minItems':
      what = `must have ${error.keyword === 'maxItems' ? 'at most' : 'at least'} ${String(params.limit)} items (got ${Array.isArray(data) ? data.length : '?'})`;
      break;
    case 'maxProperties': case 'minProperties':
      what = `must have ${error.keyword === 'maxProperties' ? 'at most' : 'at least'} ${String(params.limit)} entries`;
      break;
    case 'propertyNames': {
      const key = String(params.propertyName);
      path = [...path, key];
      const hint = (error.schema as Record<string, unknown> | undefined)?.[HINT];
      what = `key ${JSON.stringify(key)} must be ${typeof hint === 'string' ? hint : 'a valid key'}`;
      break;
    }
    case 'oneOf': case 'anyOf': {
      const formats = formatErrorsWithin(error, all);
      if (formats.length > 0 && !hasRequired(error.schema, 0)) {
        // Gateway API addresses: `type: IPAddress` (the default) needs `value` in format ipv4 or ipv6.
        path = pointerToPath(formats[0]!.instancePath, root);
        const words = [...new Set(formats.map((f) => String((f.params as { format?: unknown }).format)))]
          .map((f) => FORMAT_WORDS[f] ?? `in format ${f}`);
        what = `must be ${words.join(', or ')} (got ${showValue(formats[0]!.data)})`;
        break;
      }
      what = exclusiveFields(error.keyword, error.schema, data);
      break;
    }
    default:
      what = `must satisfy ${error.keyword} ${got}`;
  }
  return { path, message: `${formatPath(path)}: ${what}`, kind: 'schema' };
}

function article(type: string): string {
  return type === 'object' || type === 'array' || type === 'integer' ? `an ${type}` : `a ${type}`;
}

function unknownField(field: string, parentSchema: unknown): string {
  const known = Object.keys((parentSchema as { properties?: object } | undefined)?.properties ?? {});
  if (known.length === 0) return `unknown field ${JSON.stringify(field)}: this object takes no fields`;
  const near = known.find((k) => k.toLowerCase() === field.toLowerCase() || editDistance(k, field) <= 2);
  const hint = near ? `; did you mean ${JSON.stringify(near)}?` : '';
  return `unknown field ${JSON.stringify(field)}${hint} (allowed: ${known.join(', ')})`;
}

/**
 * Istio encodes protobuf `oneof`s as `oneOf`/`anyOf` over `required` lists; say which fields
 * clash (or which one is needed) instead of "must match exactly one schema".
 */
function exclusiveFields(keyword: string, branches: unknown, data: unknown): string {
  const fields = new Set<string>();
  collectRequired(branches, fields, 0);
  const names = [...fields];
  if (names.length === 0) return `must match ${keyword === 'oneOf' ? 'exactly one' : 'at least one'} of the allowed shapes`;
  const set = data !== null && typeof data === 'object' ? names.filter((n) => Object.hasOwn(data, n)) : [];
  if (keyword === 'anyOf' && set.length === 0) return `one of ${names.join(', ')} is required`;
  if (set.length > 1) return `only one of ${names.join(', ')} may be set (got ${set.join(', ')})`;
  return `must set exactly one of ${names.join(', ')}`;
}

/** The `format` errors inside a failed oneOf/anyOf, all at one value. */
function formatErrorsWithin(junctor: ErrorObject, all: readonly ErrorObject[]): ErrorObject[] {
  const inside = all.filter((e) => e.schemaPath.startsWith(`${junctor.schemaPath}/`) && e.keyword === 'format');
  return inside.every((e) => e.instancePath === inside[0]!.instancePath) ? inside : [];
}

function hasRequired(schema: unknown, depth: number): boolean {
  const found = new Set<string>();
  collectRequired(schema, found, depth);
  return found.size > 0;
}

function collectRequired(schema: unknown, into: Set<string>, depth: number): void {
  if (depth > 8 || schema === null || typeof schema !== 'object') return;
  if (Array.isArray(schema)) {
    for (const s of schema) collectRequired(s, into, depth + 1);
    return;
  }
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.required)) for (const r of s.required) into.add(String(r));
  for (const k of ['oneOf', 'anyOf', 'allOf', 'not']) collectRequired(s[k], into, depth + 1);
}

/** JSON pointer to path segments; array indices become numbers. */
function pointerToPath(pointer: string, root: unknown): Path {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path.push(Number(key));
      node = node[Number(key)];
    } else {
      path.push(key);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
