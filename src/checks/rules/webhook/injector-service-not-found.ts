import { readByIstioAnalysis } from '../../../mesh/analysis-versions.js';
import { injectorConfigurations } from '../../../mesh/istio-webhooks.js';
import type { Rule } from '../../rule.js';

/**
 * `webhook/injector-service-not-found` (IST0139): an Istio sidecar injector webhook calls a Service
 * that is not in the input. Mirrors the service half of Istio's `webhook.Analyzer`
 * (analyzers/webhook/webhook.go).
 */
const injectorServiceNotFound: Rule = {
  id: 'webhook/injector-service-not-found',
  istioCode: 'IST0139',
  severity: 'error',
  summary: 'An Istio sidecar injector webhook\'s clientConfig.service names a Service that does not exist.',
  docs: [
    'The API server calls a webhook at `clientConfig.service` (namespace/name). When that Service does not exist, pod',
    'creation either fails (`failurePolicy: Fail`) or goes on without a sidecar (`Ignore`). As `istioctl analyze` IST0139',
    '(InvalidWebhook), every webhook of a sidecar injector configuration (one that names an `istio.io/rev` revision or',
    'has a webhook whose name ends in `istio.io`) that is called through a Service needs that Service in the input,',
    'in exactly the namespace written; webhooks called by `url` are not checked here (see',
    '`webhook/external-control-plane-url-invalid`). Fix: install istiod (the Service `istiod` or `istiod-<revision>`',
    'in the control plane namespace) or point clientConfig.service at the one that exists.',
  ].join(' '),
  kinds: ['MutatingWebhookConfiguration', 'Service'],
  check(graph, ctx) {
    for (const { webhooks } of injectorConfigurations(graph.ofKind('MutatingWebhookConfiguration'))) {
      for (const w of webhooks) {
        if (!w.service) continue;
        const { namespace, name } = w.service;
        const svc = graph.get('Service', namespace, name);
        if (svc && readByIstioAnalysis(svc)) continue;
        const full = namespace === '' ? name : `${namespace}/${name}`;
        const elsewhere = graph.ofKind('Service').filter((s) => s.name === name && s.namespace !== namespace).map((s) => s.namespace);
        ctx.report(w.config, `injector webhook ${w.name} calls Service ${full} (clientConfig.service), which does not exist` +
          `${elsewhere.length ? ` (a Service ${name} exists in namespace ${elsewhere.join(', ')})` : ''}: ` +
          'the API server cannot reach the injector, so pods are refused or start without a sidecar; deploy istiod there or correct clientConfig.service', { path: [...w.path, 'clientConfig', 'service'] });
      }
    }
  },
};

export default injectorServiceNotFound;
