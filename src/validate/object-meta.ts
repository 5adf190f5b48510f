import { formatPath, jsonType, showValue } from './path.js';
import type { JsonSchema } from './structural.js';
import type { SchemaViolation } from './types.js';

/** Annotation keyword: what a value must look like, in words, for messages about `pattern`. */
export const HINT = 'x-meshproof-hint';

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL}$`);

/**
 * apimachinery `IsDNS1123Label`, as the API server checks names, namespaces and Service port
 * names: 1-63 lower-case letters, digits and `-`, starting and ending with a letter or digit.
 * (Istio's own `labels.IsDNS1123Label` also takes upper case: `checks/rules/validation/_dns.ts`.)
 */
export function isKubernetesDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL_RE.test(value);
}
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
/** `[prefix/]name`; name at most 63 characters (the prefix length is bounded by maxLength). */
const QUALIFIED_NAME = `^(${DNS1123_SUBDOMAIN}/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`;

const subdomain = {
  type: 'string', maxLength: 253, pattern: `^${DNS1123_SUBDOMAIN}$`,
  [HINT]: 'a DNS-1123 subdomain: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit',
};
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
const LABEL_VALUE_HINT = 'a label value: empty, or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit';
const QUALIFIED_HINT = 'a qualified name: an optional DNS subdomain prefix and "/", then at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit';
const qualifiedKey = {
  type: 'string', maxLength: 317, pattern: QUALIFIED_NAME,
  [HINT]: QUALIFIED_HINT,
};

/**
 * `metadata` as the API server checks it for a custom resource: known ObjectMeta fields only,
 * a DNS-1123 subdomain name (or generateName), a DNS-1123 label namespace, and
 * Kubernetes label and annotation syntax.
 */
export const OBJECT_META: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  anyOf: [{ required: ['name'] }, { required: ['generateName'] }],
  properties: {
    name: subdomain,
    generateName: { type: 'string' },
    namespace: {
      type: 'string', maxLength: 63, pattern: `^${DNS1123_LABEL}$`,
      [HINT]: 'a DNS-1123 label: at most 63 lower-case letters, digits or "-", starting and ending with a letter or digit',
    },
    labels: {
      type: 'object',
      propertyNames: qualifiedKey,
      additionalProperties: {
        type: 'string', maxLength: 63, pattern: LABEL_VALUE,
        [HINT]: LABEL_VALUE_HINT,
      },
    },
    annotations: { type: 'object', propertyNames: qualifiedKey, additionalProperties: { type: 'string' } },
    finalizers: { type: 'array', items: { type: 'string' } },
    ownerReferences: { type: 'array', items: { type: 'object' } },
    uid: { type: 'string' },
    resourceVersion: { type: 'string' },
    generation: { type: 'integer' },
    selfLink: { type: 'string' },
    creationTimestamp: { type: ['string', 'null'] },
    deletionTimestamp: { type: ['string', 'null'] },
    deletionGracePeriodSeconds: { type: 'integer' },
    managedFields: { type: 'array', items: { type: 'object' } },
  },
};

const QUALIFIED_RE = new RegExp(QUALIFIED_NAME);
const LABEL_VALUE_RE = new RegExp(LABEL_VALUE);
/** Kubernetes `TotalAnnotationSizeLimitB`: keys plus values of all annotations, in bytes. */
export const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/**
 * `metadata.labels` and `metadata.annotations` as the API server checks them for every kind
 * (apimachinery `ValidateLabels` / `ValidateAnnotations`): each a map of string to string;
 * keys qualified names (`[DNS-subdomain prefix (≤253) "/"]name`, name ≤63 characters,
 * alphanumeric at both ends); label values ≤63 characters of `[-A-Za-z0-9_.]`, alphanumeric at
 * both ends, or empty; annotation keys and values together ≤256 KiB. A YAML `on`, `true` or
 * `0100` unquoted is a boolean or number, which the API server refuses.
 * The same rules OBJECT_META states for Istio kinds, for objects no CRD schema covers.
 * Returns one violation per bad key or value, path from the object root: `at` is where this
 * metadata sits (default `metadata`; a pod template's `spec.template.metadata`).
 */
export function labelAndAnnotationViolations(metadata: unknown, at0: readonly (string | number)[] = ['metadata']): SchemaViolation[] {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return [];
  const out: SchemaViolation[] = [];
  const add = (path: (string | number)[], what: string) => out.push({ path, kind: 'schema', message: `${formatPath(path)}: ${what}` });
  for (const field of ['labels', 'annotations'] as const) {
    const map = (metadata as Record<string, unknown>)[field];
    if (map === undefined || map === null) continue;
    const at = [...at0, field];
    if (typeof map !== 'object' || Array.isArray(map)) {
      add(at, `must be a map of string keys to string values (got ${jsonType(map)} ${showValue(map)})`);
      continue;
    }
    let bytes = 0;
    for (const [key, value] of Object.entries(map as Record<string, unknown>)) {
      const slash = key.lastIndexOf('/');
      if (!QUALIFIED_RE.test(key) || (slash >= 0 && key.slice(0, slash).length > 253)) {
        add([...at, key], `key ${JSON.stringify(key)} must be ${QUALIFIED_HINT}`);
      }
      if (typeof value !== 'string') {
        add([...at, key], `must be a string (got ${jsonType(value)} ${showValue(value)}): ${field} hold strings only, so quote the value in YAML`);
        continue;
      }
      bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
      if (field === 'labels' && ([...value].length > 63 || !LABEL_VALUE_RE.test(value))) {
        add([...at, key], `must be ${LABEL_VALUE_HINT} (got ${showValue(value)})`);
      }
    }
    if (field === 'annotations' && bytes > ANNOTATIONS_MAX_BYTES) {
      add(at, `must be at most ${ANNOTATIONS_MAX_BYTES} bytes in total, keys and values (got ${bytes})`);
    }
  }
  return out;
}
