import { webhookSelectorMatches, type AdmissionWebhook } from '../../../mesh/admission-webhooks.js';
import { REVISION_LABEL, injectorConfigurations } from '../../../mesh/istio-webhooks.js';
import type { Rule } from '../../rule.js';
import { SHOWN, listSome } from '../_lists.js';

type Labels = Readonly<Record<string, string>>;

/** The label sets Istio's analyzer probes: none, the injection label's two values, each with every revision. */
function probes(key: string, values: readonly string[], revisions: readonly string[]): Labels[] {
  const base: Labels[] = [{}, ...values.map((v) => ({ [key]: v }))];
  return [...base, ...revisions.flatMap((rev) => base.map((b) => ({ ...b, [REVISION_LABEL]: rev })))];
}

const show = (l: Labels) => (Object.keys(l).length === 0 ? 'no labels' : Object.entries(l).map(([k, v]) => `${k}=${v}`).join(','));

/**
 * `webhook/overlapping-injection-webhooks` (IST0139): two Istio sidecar injector webhooks select the
 * same pod. Mirrors the overlap half of Istio's `webhook.Analyzer` (analyzers/webhook/webhook.go).
 */
const overlappingInjectionWebhooks: Rule = {
  id: 'webhook/overlapping-injection-webhooks',
  istioCode: 'IST0139',
  severity: 'error',
  summary: 'Two Istio sidecar injector webhooks select the same namespace and pod labels, so a pod may be injected twice.',
  docs: [
    'Each sidecar injector webhook (a MutatingWebhookConfiguration that names an `istio.io/rev` revision or has a webhook',
    'whose name ends in `istio.io`) admits the pods its namespaceSelector and objectSelector select. When two of them',
    'admit the same pod, both inject it: two proxies, or a pod the API server refuses. As `istioctl analyze` IST0139',
    '(InvalidWebhook), the selectors are probed with the namespace labels none, `istio-injection=enabled|disabled`',
    'and the pod labels none, `sidecar.istio.io/inject=true|false`, each also with `istio.io/rev=<r>` for every',
    'revision the configurations name; every webhook matched together with another is reported. A selector the API',
    'server would refuse selects nothing. Fix: make the selectors exclusive, as Istio\'s charts and revision tags do',
    '(`istio.io/rev` on one webhook, `istio-injection` on another, `DoesNotExist` for the other key), or remove the',
    'stale injector.',
  ].join(' '),
  kinds: ['MutatingWebhookConfiguration'],
  check(graph, ctx) {
    const injectors = injectorConfigurations(graph.ofKind('MutatingWebhookConfiguration'));
    const revisions = [...new Set(injectors.flatMap((i) => i.revisions))].sort();
    // Keyed as Istio keys them, `<configuration>/<webhook>`: two webhooks of one name in one configuration are one.
    const byKey = new Map<string, AdmissionWebhook>();
    for (const i of injectors) for (const w of i.webhooks) if (!byKey.has(`${i.config.name}/${w.name}`)) byKey.set(`${i.config.name}/${w.name}`, w);
    const all = injectors.flatMap((i) => i.webhooks.map((w) => ({ key: `${i.config.name}/${w.name}`, w })));
    const overlaps = new Map<string, { others: Set<string>; namespace: Labels; pod: Labels }>();
    for (const ns of probes('istio-injection', ['enabled', 'disabled'], revisions)) {
      for (const pod of probes('sidecar.istio.io/inject', ['true', 'false'], revisions)) {
        const matched = new Set(all.filter(({ w }) => webhookSelectorMatches(w.namespaceSelector, ns) && webhookSelectorMatches(w.objectSelector, pod)).map((m) => m.key));
        if (matched.size < 2) continue;
        for (const key of matched) {
          const entry = overlaps.get(key) ?? { others: new Set<string>(), namespace: ns, pod };
          for (const other of matched) if (other !== key) entry.others.add(other);
          overlaps.set(key, entry);
        }
      }
    }
    for (const [key, o] of overlaps) {
      const w = byKey.get(key)!;
      const others = [...o.others].sort();
      ctx.report(w.config, `injector webhook ${w.name} overlaps with ${listSome(others, SHOWN, others.length)} (configuration/webhook): ` +
        `a pod with ${show(o.pod)} in a namespace with ${show(o.namespace)} is selected by both, so it may be injected twice; ` +
        'make their namespaceSelector/objectSelector exclusive (istio.io/rev on one, istio-injection on the other) or remove the stale injector', { path: w.path });
    }
  },
};

export default overlappingInjectionWebhooks;
