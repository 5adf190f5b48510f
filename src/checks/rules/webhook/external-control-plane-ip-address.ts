import { isGoIp, parseGoUrl } from '../../../mesh/go-url.js';
import type { Rule } from '../../rule.js';
import { controlPlaneWebhooks } from './_control-plane-webhooks.js';

/**
 * `webhook/external-control-plane-ip-address` (IST0164): an Istio injector or validator webhook
 * reaches the external control plane by IP address. Mirrors Istio's
 * `externalcontrolplane.ExternalControlPlaneAnalyzer` (analyzers/externalcontrolplane/externalcontrolplane.go).
 */
const externalControlPlaneIpAddress: Rule = {
  id: 'webhook/external-control-plane-ip-address',
  istioCode: 'IST0164',
  severity: 'info',
  summary: 'An Istio injector or validator webhook reaches the external control plane by IP address instead of a host name.',
  docs: [
    'The remote cluster\'s sidecar injector and validator webhooks (MutatingWebhookConfiguration `istio-sidecar-injector*`,',
    'ValidatingWebhookConfiguration `istio-validator*` or `istiod-default-validator`) call istiod on the external',
    'control plane by `clientConfig.url`. As `istioctl analyze` IST0164 (ExternalControlPlaneAddressIsNotAHostname),',
    'a url whose host Go reads as an IP address (IPv4 dotted quad, or IPv6 in brackets) is reported: a load',
    'balancer\'s address changes when it is recreated, and the serving certificate is issued for a DNS name. Host',
    'names are never resolved. Fix: publish the ingress gateway under a DNS name and use it in the url.',
  ].join(' '),
  kinds: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
  check(graph, ctx) {
    for (const w of controlPlaneWebhooks(graph)) {
      if (w.url === undefined) continue;
      const parsed = parseGoUrl(w.url);
      if (!parsed.ok || !isGoIp(parsed.hostname)) continue;
      ctx.report(w.config, `webhook ${w.name} clientConfig.url ${JSON.stringify(w.url)} reaches the external control plane at IP address ${parsed.hostname}: ` +
        'not recommended in production (the address changes with the load balancer, the certificate names a host); use a DNS name for the ingress gateway', { path: [...w.path, 'clientConfig', 'url'] });
    }
  },
};

export default externalControlPlaneIpAddress;
