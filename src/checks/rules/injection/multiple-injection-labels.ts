import type { Rule } from '../../rule.js';

/** `injection/multiple-injection-labels` (IST0123): a Namespace with more than one injection / data plane label. */
const multipleInjectionLabels: Rule = {
  id: 'injection/multiple-injection-labels',
  istioCode: 'IST0123',
  severity: 'warning',
  summary: 'A Namespace carries more than one of `istio-injection`, `istio.io/rev` and `istio.io/dataplane-mode`.',
  docs: [
    'The injection webhooks and ambient mode each read their own label, and `istio-injection` wins over',
    '`istio.io/rev`: a namespace labelled both is injected by the default revision, not the one named, and one also',
    'labelled `istio.io/dataplane-mode` may be captured twice. As `istioctl analyze` IST0123',
    '(NamespaceMultipleInjectionLabels) does, `istio.io/rev` and `istio.io/dataplane-mode` count only when',
    '`istio-injection` is absent or `enabled`. Fix: keep one label.',
  ].join(' '),
  kinds: ['Namespace'],
  check(graph, ctx) {
    for (const ns of graph.ofKind('Namespace')) {
      if (ns.name === 'istio-system') continue;
      const injection = ns.labels['istio-injection'];
      const found: string[] = injection !== undefined ? [`istio-injection=${injection}`] : [];
      for (const l of ['istio.io/rev', 'istio.io/dataplane-mode']) {
        if (ns.labels[l] !== undefined && (injection === undefined || injection === 'enabled')) found.push(`${l}=${ns.labels[l]}`);
      }
      if (found.length > 1) ctx.report(ns, `The namespace has multiple Istio injection labels: ${found.join(', ')}; keep one`, { path: ['metadata', 'labels'] });
    }
  },
};

export default multipleInjectionLabels;
