import type { JsonSchema } from './structural.js';

/** Annotation keyword: what a value must look like, in words, for messages about `pattern`. */
export const HINT = 'x-meshproof-hint';

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
/** `[prefix/]name`; name at most 63 characters (the prefix length is bounded by maxLength). */
const QUALIFIED_NAME = `^(${DNS1123_SUBDOMAIN}/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`;

const subdomain = {
  type: 'string', maxLength: 253, pattern: `^${DNS1123_SUBDOMAIN}$`,
  [HINT]: 'a DNS-1123 subdomain: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit',
};
const qualifiedKey = {
  type: 'string', maxLength: 317, pattern: QUALIFIED_NAME,
  [HINT]: 'a qualified name: an optional DNS subdomain prefix and "/", then at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
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
        type: 'string', maxLength: 63, pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$',
        [HINT]: 'a label value: empty, or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
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
