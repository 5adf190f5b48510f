/**
 * Which webhook configurations Istio's analyzers take for its own: the sidecar injector
 * configurations the webhook analyzer compares (analyzers/webhook/webhook.go), and the injector and
 * validator configurations the external control plane analyzer reads
 * (analyzers/externalcontrolplane/externalcontrolplane.go).
 */
import { webhooksOf, type AdmissionWebhook } from './admission-webhooks.js';
import { isRecord, type MeshObject } from './object.js';

/** The `istio.io/rev` label key. */
export const REVISION_LABEL = 'istio.io/rev';

/** An injector MutatingWebhookConfiguration with its webhooks and the revisions it names. */
export interface InjectorConfiguration {
  readonly config: MeshObject;
  readonly webhooks: readonly AdmissionWebhook[];
  /** Every `istio.io/rev` value on the configuration's labels or in a webhook's selectors, sorted. */
  readonly revisions: readonly string[];
}

function selectorRevisions(selector: unknown, into: Set<string>): void {
  if (!isRecord(selector)) return;
  if (isRecord(selector.matchLabels) && typeof selector.matchLabels[REVISION_LABEL] === 'string') into.add(selector.matchLabels[REVISION_LABEL]);
  for (const e of Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []) {
    if (isRecord(e) && e.key === REVISION_LABEL && Array.isArray(e.values)) for (const v of e.values) if (typeof v === 'string') into.add(v);
  }
}

/**
 * The MutatingWebhookConfigurations Istio's webhook analyzer takes for sidecar injectors: those
 * naming a revision (label `istio.io/rev` on the configuration, or the key `istio.io/rev` in a
 * webhook's namespaceSelector or objectSelector, any operator) or having a webhook whose name ends
 * in `istio.io`. Input order; configurations istioctl cannot read are left out.
 */
export function injectorConfigurations(objects: readonly MeshObject[]): InjectorConfiguration[] {
  const out: InjectorConfiguration[] = [];
  for (const config of objects) {
    const read = webhooksOf(config);
    if (!('webhooks' in read)) continue;
    const revisions = new Set<string>();
    if (Object.hasOwn(config.labels, REVISION_LABEL)) revisions.add(config.labels[REVISION_LABEL]!);
    for (const w of read.webhooks) {
      selectorRevisions(w.namespaceSelector, revisions);
      selectorRevisions(w.objectSelector, revisions);
    }
    if (revisions.size === 0 && !read.webhooks.some((w) => w.name.endsWith('istio.io'))) continue;
    out.push({ config, webhooks: read.webhooks, revisions: [...revisions].sort() });
  }
  return out;
}

/** Name of the default revision's ValidatingWebhookConfiguration. */
const DEFAULT_VALIDATOR = 'istiod-default-validator';

/**
 * Whether the external control plane analyzer reads this webhook configuration: a
 * MutatingWebhookConfiguration whose name starts with `istio-sidecar-injector`, or a
 * ValidatingWebhookConfiguration named `istiod-default-validator` or starting with `istio-validator`
 * (the names Istio's charts give them, any revision and namespace suffix).
 */
export function isIstioControlPlaneWebhookConfiguration(config: MeshObject): boolean {
  if (config.kind === 'MutatingWebhookConfiguration') return config.name.startsWith('istio-sidecar-injector');
  if (config.kind === 'ValidatingWebhookConfiguration') return config.name === DEFAULT_VALIDATOR || config.name.startsWith('istio-validator');
  return false;
}
