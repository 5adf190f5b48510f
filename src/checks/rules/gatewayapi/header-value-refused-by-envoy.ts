import { convertedByIstiod, gatewayApiOf } from '../../../mesh/gateway-api.js';
import { routeFilters } from '../../../mesh/gateway-api-filters.js';
import { isRecord } from '../../../mesh/object.js';
import { headerFormatError } from '../../../validate/envoy-header-format.js';
import type { Rule } from '../../rule.js';

type Raw = Readonly<Record<string, unknown>>;

const records = (v: unknown): Raw[] => (Array.isArray(v) ? v.filter(isRecord) : []);

/**
 * `gatewayapi/header-value-refused-by-envoy`: an HTTPRoute or GRPCRoute header modifier value that Envoy's header
 * formatter cannot parse (`%` starts a variable), which istiod copies into the route as written.
 */
const headerValueRefusedByEnvoy: Rule = {
  id: 'gatewayapi/header-value-refused-by-envoy',
  severity: 'error',
  summary: 'An HTTPRoute or GRPCRoute RequestHeaderModifier or ResponseHeaderModifier value that Envoy cannot parse (`100%`, `50% off`, `%lower%`, `%REQ%`): istiod copies it into the route, and every proxy that receives it refuses the whole route configuration.',
  docs: [
    'Envoy reads every header value it adds or sets as a format string: `%` starts a command (`%DOWNSTREAM_REMOTE_ADDRESS%`,',
    '`%REQ(x-id)%`) that must be one Envoy knows, written in capitals, with the argument it takes, and `%%` is a literal',
    'percent sign (Envoy\'s SubstitutionFormatParser). Istio\'s webhook refuses a VirtualService whose `%` is never closed',
    '(`validation/header-value`), but an HTTPRoute\'s or GRPCRoute\'s header modifier values pass the Gateway API CRD and',
    'istiod converts them unescaped (conversion.go `createHeadersFilter`), so the gateway (or, for a mesh route, every client',
    'sidecar) NACKs the route configuration: it keeps the previous one, and none of the other routes of that port changes',
    'either. Judged for the rule filters and the `backendRefs[].filters` of routes istiod converts. Fix: write `%%` for a',
    'literal percent sign, or a complete, known `%COMMAND%`.',
  ].join(' '),
  kinds: ['HTTPRoute', 'GRPCRoute'],
  check(graph, ctx) {
    const k8s = gatewayApiOf(graph);
    for (const route of [...k8s.ofKind('HTTPRoute'), ...k8s.ofKind('GRPCRoute')]) {
      if (!convertedByIstiod(route, k8s)) continue;
      for (const { filter, path } of routeFilters(route)) {
        for (const key of ['requestHeaderModifier', 'responseHeaderModifier'] as const) {
          const m = filter[key];
          if (!isRecord(m)) continue;
          for (const op of ['set', 'add'] as const) {
            records(m[op]).forEach((h, n) => {
              if (typeof h.value !== 'string') return;
              const problem = headerFormatError(h.value);
              if (!problem) return;
              ctx.report(route, `Header ${JSON.stringify(h.name)} value ${JSON.stringify(h.value)} (${key}.${op}) is not a valid Envoy header value (${problem}): istiod copies it into the route unescaped, ` +
                'so every proxy that receives it refuses the whole route configuration and keeps the previous one; write %% for a literal percent sign and a command as Envoy names it (e.g. %DOWNSTREAM_REMOTE_ADDRESS%, %REQ(x-id)%)', { path: [...path, key, op, n, 'value'] });
            });
          }
        }
      }
    }
  },
};

export default headerValueRefusedByEnvoy;
