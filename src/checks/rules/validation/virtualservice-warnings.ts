import { isRecord } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import type { FieldPath } from '../../types.js';
import { isIpAddress } from './_dns.js';
import { SCHEMA_WARNING } from './_schema-warning.js';

/**
 * The legacy-name warning `validateGatewayNames` gives a gateway list: only for the first entry
 * without a `/` (Istio returns after it), when that entry holds a dot: `name.namespace`.
 */
function legacyGatewayName(list: unknown, at: FieldPath): [string, FieldPath] | undefined {
  if (!Array.isArray(list)) return undefined;
  const i = list.findIndex((g) => typeof g === 'string' && !g.includes('/'));
  const name = list[i] as string | undefined;
  if (name === undefined || !name.includes('.')) return undefined;
  const parts = name.split('.');
  const recommended = `${parts[1]}/${parts[0]}`;
  return [`using legacy gatewayName format ${JSON.stringify(name)}; prefer the <namespace>/<name> format: ${JSON.stringify(recommended)}`, [...at, i]];
}

/** validateHTTPDirectResponse's thresholds: a warning above 100 KB, an error (validation/http-route-values) above 1 MB. */
const LARGE_BODY = 100 * 1024;
const MAX_BODY = 1024 * 1024;

/** The size in bytes of a directResponse `body` as Istio measures it: the UTF-8 `string`, or the decoded base64 `bytes`. */
function directResponseBodySize(directResponse: unknown): number {
  const body = isRecord(directResponse) && isRecord(directResponse.body) ? directResponse.body : {};
  if (typeof body.string === 'string') return Buffer.byteLength(body.string, 'utf8');
  return typeof body.bytes === 'string' ? Buffer.from(body.bytes, 'base64').length : 0;
}

/**
 * `validation/virtualservice-warnings` (IST0133): what Istio's webhook accepts on a VirtualService
 * with a warning. Mirrors the warnings of `ValidateVirtualService`, `validateGatewayNames`,
 * `validateTLSMatch`/`validateSniHost` (`pkg/config/validation/validation.go`) and
 * `validateHTTPRoute` (`virtualservice.go`) that reach `istioctl analyze`'s `schema.ValidationAnalyzer`.
 */
const virtualServiceWarnings: Rule = {
  id: 'validation/virtualservice-warnings',
  istioCode: 'IST0133',
  severity: 'warning',
  summary: 'A VirtualService uses something Istio accepts with a warning: a legacy name.namespace gateway reference, the deprecated mirrorPercent, an IP address as a TLS SNI host, or a directResponse body over 100 KB.',
  docs: [
    'Istio\'s webhook accepts these with a warning, which `istioctl analyze` reports as IST0133 (SchemaWarning):',
    'a `spec.gateways` (or `tls[].match[].gateways`) entry written `name.namespace`, the legacy form (only the first',
    'entry without a `/` is looked at, as Istio returns after it); `http[].mirrorPercent`, deprecated for',
    '`mirrorPercentage`; an IP address in `tls[].match[].sniHosts`, which clients do not send as SNI; an',
    '`http[].directResponse.body` over 100 KB (up to the 1 MB that `validation/http-route-values` refuses: "large',
    'direct_responses may impact control plane performance"). Warnings Istio',
    'computes but drops before they reach the analyzer are not reported: legacy names in `http[].match[].gateways`',
    'and `tcp[].match[].gateways`, and a fault `abort` without an error type. Fix: write gateways as',
    '`<namespace>/<name>`, use `mirrorPercentage: {value: …}`, match TLS by host name, serve large bodies from a workload.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      if (vs.group !== 'networking.istio.io') continue;
      const out: [string, FieldPath][] = [];
      const top = legacyGatewayName(vs.spec.gateways, ['spec', 'gateways']);
      if (top) out.push(top);
      (Array.isArray(vs.spec.http) ? vs.spec.http : []).forEach((route, i) => {
        if (isRecord(route) && route.mirrorPercent !== undefined && route.mirrorPercent !== null) {
          out.push(['using deprecated setting "mirrorPercent", use "mirrorPercentage" instead (mirrorPercentage: {value: <percent>})', ['spec', 'http', i, 'mirrorPercent']]);
        }
        const size = isRecord(route) ? directResponseBodySize(route.directResponse) : 0;
        if (size > LARGE_BODY && size <= MAX_BODY) {
          out.push([`large direct_responses may impact control plane performance: spec.http[${i}].directResponse.body is ${size} bytes (over 100 KB), pushed to ` +
            'every proxy the route reaches with each configuration change; serve the content from a workload instead', ['spec', 'http', i, 'directResponse', 'body']]);
        }
      });
      (Array.isArray(vs.spec.tls) ? vs.spec.tls : []).forEach((route, i) => {
        if (!isRecord(route) || !Array.isArray(route.match)) return;
        route.match.forEach((m, j) => {
          if (!isRecord(m)) return;
          const at: FieldPath = ['spec', 'tls', i, 'match', j];
          (Array.isArray(m.sniHosts) ? m.sniHosts : []).forEach((sni, k) => {
            if (typeof sni === 'string' && isIpAddress(sni)) out.push([`using an IP address (${JSON.stringify(sni)}) goes against SNI spec and most clients do not support this; match the host name clients connect to`, [...at, 'sniHosts', k]]);
          });
          const legacy = legacyGatewayName(m.gateways, [...at, 'gateways']);
          if (legacy) out.push(legacy);
        });
      });
      for (const [message, path] of out) ctx.report(vs, `${SCHEMA_WARNING} ${message}`, { path });
    }
  },
};

export default virtualServiceWarnings;
