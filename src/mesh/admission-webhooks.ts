/**
 * The webhooks of MutatingWebhookConfiguration and ValidatingWebhookConfiguration objects
 * (admissionregistration.k8s.io/v1) as Istio's analyzers read them, and Kubernetes label selector
 * matching as `metav1.LabelSelectorAsSelector` does it. istioctl decodes such an object into its Go
 * type; a field of the wrong type (an unquoted `true` among `matchLabels`) fails the decode and the
 * whole object is skipped, which {@link webhooksOf} reports as `undecodable`.
 */
import { readByIstioAnalysis } from './analysis-versions.js';
import { isRecord, type MeshObject } from './object.js';
import type { FieldPath } from './types.js';

/** One entry of a webhook configuration's `webhooks`. */
export interface AdmissionWebhook {
  /** The MutatingWebhookConfiguration or ValidatingWebhookConfiguration it belongs to. */
  readonly config: MeshObject;
  /** `webhooks[].name`. */
  readonly name: string;
  /** `['webhooks', i]`. */
  readonly path: FieldPath;
  /** `clientConfig.url` when set. */
  readonly url?: string;
  /** `clientConfig.service` when set (`name`, `namespace` as written, `''` when absent). */
  readonly service?: { readonly name: string; readonly namespace: string };
  /** `namespaceSelector` as written; undefined or null selects every namespace. */
  readonly namespaceSelector: unknown;
  /** `objectSelector` as written; undefined or null selects every object. */
  readonly objectSelector: unknown;
}

/** The webhooks of a configuration istioctl reads, or why it skips the object. */
export type WebhookConfiguration =
  | { readonly webhooks: readonly AdmissionWebhook[] }
  | { readonly skipped: string };

const isOptString = (v: unknown) => v === undefined || v === null || typeof v === 'string';

/** Why a label selector does not decode into `metav1.LabelSelector`, or undefined. */
function selectorDecodeProblem(s: unknown, where: string): string | undefined {
  if (s === undefined || s === null) return undefined;
  if (!isRecord(s)) return `${where} is not a mapping`;
  if (s.matchLabels !== undefined && s.matchLabels !== null) {
    if (!isRecord(s.matchLabels)) return `${where}.matchLabels is not a mapping`;
    for (const [k, v] of Object.entries(s.matchLabels)) if (typeof v !== 'string') return `${where}.matchLabels.${k} is ${JSON.stringify(v)}, not a string (quote it)`;
  }
  if (s.matchExpressions !== undefined && s.matchExpressions !== null) {
    if (!Array.isArray(s.matchExpressions)) return `${where}.matchExpressions is not a list`;
    for (const [i, e] of s.matchExpressions.entries()) {
      if (!isRecord(e) || !isOptString(e.key) || !isOptString(e.operator)) return `${where}.matchExpressions[${i}] is not a {key, operator, values} mapping of strings`;
      if (e.values !== undefined && e.values !== null && (!Array.isArray(e.values) || e.values.some((v) => typeof v !== 'string'))) return `${where}.matchExpressions[${i}].values is not a list of strings`;
    }
  }
  return undefined;
}

/**
 * The webhooks of a MutatingWebhookConfiguration or ValidatingWebhookConfiguration, or why
 * istioctl skips it: an apiVersion other than admissionregistration.k8s.io/v1, or a field that does
 * not decode.
 */
export function webhooksOf(config: MeshObject): WebhookConfiguration {
  if (!readByIstioAnalysis(config)) return { skipped: `apiVersion ${config.apiVersion} is not read (only admissionregistration.k8s.io/v1)` };
  const list = config.body.webhooks;
  if (list !== undefined && list !== null && !Array.isArray(list)) return { skipped: 'webhooks is not a list' };
  const out: AdmissionWebhook[] = [];
  for (const [i, w] of (list ?? []).entries()) {
    if (!isRecord(w) || !isOptString(w.name)) return { skipped: `webhooks[${i}] is not a mapping with a string name` };
    const cc = w.clientConfig;
    if (cc !== undefined && cc !== null && !isRecord(cc)) return { skipped: `webhooks[${i}].clientConfig is not a mapping` };
    const url = isRecord(cc) ? cc.url : undefined;
    const svc = isRecord(cc) ? cc.service : undefined;
    if (!isOptString(url)) return { skipped: `webhooks[${i}].clientConfig.url is not a string` };
    if (svc !== undefined && svc !== null && (!isRecord(svc) || !isOptString(svc.name) || !isOptString(svc.namespace))) return { skipped: `webhooks[${i}].clientConfig.service is not a {name, namespace} mapping of strings` };
    const bad = selectorDecodeProblem(w.namespaceSelector, `webhooks[${i}].namespaceSelector`) ?? selectorDecodeProblem(w.objectSelector, `webhooks[${i}].objectSelector`);
    if (bad) return { skipped: bad };
    out.push({
      config,
      name: typeof w.name === 'string' ? w.name : '',
      path: ['webhooks', i],
      ...(typeof url === 'string' ? { url } : {}),
      ...(isRecord(svc) ? { service: { name: typeof svc.name === 'string' ? svc.name : '', namespace: typeof svc.namespace === 'string' ? svc.namespace : '' } } : {}),
      namespaceSelector: w.namespaceSelector,
      objectSelector: w.objectSelector,
    });
  }
  return { webhooks: out };
}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Whether `key` is a valid label key: `[prefix/]name`, prefix a DNS subdomain (≤ 253), name ≤ 63 characters. */
function validLabelKey(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1]!;
  const prefix = parts.length === 2 ? parts[0]! : undefined;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) return false;
  return name.length > 0 && name.length <= 63 && NAME.test(name);
}

const validLabelValue = (v: string) => v.length <= 63 && VALUE.test(v);

/**
 * Whether a webhook selector selects an object with `labels`, as the Kubernetes API server (and
 * Istio's webhook analyzer) decide: undefined or null selects everything (the webhook default), so
 * does `{}`; a selector `LabelSelectorAsSelector` refuses (an unknown operator, `In` without values,
 * `Exists` with values, a malformed key or value) selects nothing.
 */
export function webhookSelectorMatches(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  if (selector === undefined || selector === null) return true;
  if (!isRecord(selector)) return false;
  const has = (k: string) => Object.hasOwn(labels, k);
  const matchLabels = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  let matches = true;
  for (const [k, v] of Object.entries(matchLabels)) {
    if (!validLabelKey(k) || typeof v !== 'string' || !validLabelValue(v)) return false;
    if (!has(k) || labels[k] !== v) matches = false;
  }
  for (const e of expressions) {
    if (!isRecord(e)) return false;
    const key = typeof e.key === 'string' ? e.key : '';
    const values = Array.isArray(e.values) ? e.values.filter((v): v is string => typeof v === 'string') : [];
    if (!validLabelKey(key) || values.some((v) => !validLabelValue(v))) return false;
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) return false;
        if (e.operator === 'In' ? !(has(key) && values.includes(labels[key]!)) : has(key) && values.includes(labels[key]!)) matches = false;
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length !== 0) return false;
        if (has(key) !== (e.operator === 'Exists')) matches = false;
        break;
      default:
        return false;
    }
  }
  return matches;
}
