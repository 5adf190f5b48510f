import { isIP } from 'node:net';
import { hostMatches, hostsIntersect } from '../../../mesh/hosts.js';
import { isRecord, stringList, type MeshObject } from '../../../mesh/object.js';
import { formatPath } from '../../../mesh/parse.js';
import { routeRulesOf } from '../../../mesh/route-rules.js';
import type { Rule, RuleContext } from '../../rule.js';
import { httpRouteShapeProblems } from './_http-route-shape.js';
import { LABEL_FIX, labelProblems } from './_labels.js';
import { gatewayNameProblems } from './_gateway-names.js';

/** `validation/virtualservice-structure` (IST0106): what Istio's ValidateVirtualService refuses beyond the CRD schema. */
const virtualServiceStructure: Rule = {
  id: 'validation/virtualservice-structure',
  istioCode: 'IST0106',
  severity: 'error',
  summary: 'A VirtualService that Istio\'s admission webhook refuses: mesh host `*`, overlapping hosts, delegate shape, no routes, a negative destination weight or a total destination weight of 0, a tls SNI host outside its hosts or no SNI host, an http rule without action or with conflicting actions (route, redirect, directResponse, fault, rewrite, mirror and mirrors), a malformed redirect or rewrite, an unsupported fault type, the authority set twice, match sourceLabels that are not Kubernetes labels, a malformed gateway reference, a tcp or tls rule without route.',
  docs: [
    'Istio\'s `ValidateVirtualService` (pkg/config/validation) runs on admission and refuses what the CRD schema lets',
    'through: host `*` on a VirtualService bound to the mesh ("wildcard host * is not allowed for virtual services',
    'bound to the mesh gateway"); two hosts of one VirtualService that overlap (`*.foo.com` and `api.foo.com`, or the',
    'same host twice as written); a delegate (no `hosts`) with `gateways`, `tls` or `tcp`; a VirtualService with none',
    'of `http`, `tcp`, `tls`; an http rule with `delegate` that also has `route` or `redirect`; and a delegate\'s',
    'http rule that delegates again; a negative destination weight ("weight -10 < 0", `validateWeight`); a route of',
    'several destinations whose weights add up to 0, all 0 or unset ("total destination weight = 0"; any positive total',
    'is valid, weights being relative). Also every tls `match[].sniHosts` entry must lie within a host of the',
    'VirtualService as written (equal, or under a wildcard host; `psp` does not cover `psp.shop.svc.cluster.local`):',
    'Istio `validateSniHost`, and a tls match needs at least one. Per http rule (`validateHTTPRouteConflict`,',
    '`validateHTTPRedirect`, `validateHTTPRewrite`, `validateHTTPFaultInjection`, `validateAuthorityRewrite`): exactly',
    'one of `route`, `redirect`, `directResponse`; no `fault` or `rewrite` beside a redirect or direct response; not',
    'both `mirror` and `mirrors`; a redirect sets one of uri/prefixRewrite (prefixRewrite only under prefix uri',
    'matches), something to change, and scheme http or https; a rewrite sets uri or uriRegexRewrite (with match and',
    'rewrite) or authority; a fault has an abort or a delay, neither `http2Error` nor `exponentialDelay`; the authority',
    'is set once (rewrite.authority or a request header `:authority`/`host`); `sourceNamespace` is a DNS-1123 label;',
    'http, tcp and tls `match[].sourceLabels` keys and values have label syntax (`labels.Instance.Validate`).',
    'JWT claim routing (`@request.auth.claims.<claim>` match headers) on a VirtualService without `gateways` (a delegate',
    'too) or with `mesh` among them ("only supported for gateway");',
    '`validateGatewayNames` on `gateways` and `match[].gateways`: `<namespace>/<name>` with both parts DNS-1123 labels',
    '(so not a dotted Gateway name), or a name without `/` that is a valid FQDN; Istio stops at the first entry without `/`.',
    'A tcp or tls rule needs a route. `kubectl apply` fails with the webhook\'s message and `istioctl analyze` reports',
    'IST0106. Fix as the message says.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      const hosts = stringList(vs.spec.hosts) ?? [];
      const gateways = stringList(vs.spec.gateways) ?? [];
      const delegate = hosts.length === 0;
      const meshBound = gateways.length === 0 || gateways.includes('mesh');
      if (delegate) {
        for (const k of ['gateways', 'tls', 'tcp']) {
          if (Array.isArray(vs.spec[k]) && (vs.spec[k] as unknown[]).length > 0) {
            ctx.report(vs, `delegate virtual service must have no ${k === 'gateways' ? 'gateways specified' : `${k} route specified`}: a VirtualService without hosts is a delegate; remove ${k}`, { path: ['spec', k] });
          }
        }
      }
      hosts.forEach((h, i) => {
        if (h === '*' && meshBound) ctx.report(vs, 'wildcard host * is not allowed for virtual services bound to the mesh gateway: list the hosts it routes', { path: ['spec', 'hosts', i] });
      });
      for (let i = 0; i < hosts.length; i++) {
        for (let j = i + 1; j < hosts.length; j++) {
          if (hostsIntersect(hosts[i]!.toLowerCase(), hosts[j]!.toLowerCase())) {
            ctx.report(vs, `duplicate hosts in virtual service: ${hosts[i]} & ${hosts[j]} overlap; keep one of them`, { path: ['spec', 'hosts', j] });
          }
        }
      }
      if (!['http', 'tcp', 'tls'].some((k) => Array.isArray(vs.spec[k]) && (vs.spec[k] as unknown[]).length > 0)) {
        ctx.report(vs, 'http, tcp or tls must be provided in virtual service', { path: ['spec'] });
      }
      for (const r of routeRulesOf(vs)) {
        const route = Array.isArray(r.rule.route) ? r.rule.route : [];
        // Istio validateWeight: a negative weight is refused on its own, whatever the others add up to.
        route.forEach((d, j) => {
          if (isRecord(d) && typeof d.weight === 'number' && d.weight < 0) {
            ctx.report(vs, `weight ${d.weight} < 0 in ${formatPath([...r.path, 'route', j, 'weight'])}: weights are relative shares from 0 (no traffic) up; ` +
              'a negative one does not take traffic away from the others, the webhook refuses the object', { path: [...r.path, 'route', j, 'weight'] });
          }
        });
        const weights = route.map((d) => (isRecord(d) ? (d.weight ?? 0) : 0));
        if (route.length > 1 && route.every(isRecord) && weights.every((w) => typeof w === 'number') && (weights as number[]).reduce((a, w) => a + w, 0) === 0) {
          ctx.report(vs, `total destination weight = 0 in ${formatPath([...r.path, 'route'])}: with ${route.length} destinations at least one needs a weight > 0 ` +
            '(weights are relative: each destination gets weight / sum)', { path: [...r.path, 'route'] });
        }
      }
      reportSniHostsOutsideHosts(vs, hosts, ctx.report);
      (Array.isArray(vs.spec.http) ? vs.spec.http : []).forEach((rule, i) => {
        if (!isRecord(rule)) return;
        for (const [message, path] of httpRouteShapeProblems(rule, ['spec', 'http', i], !delegate && rule.delegate !== undefined)) ctx.report(vs, message, { path });
      });
      for (const [message, k] of gatewayNameProblems(Array.isArray(vs.spec.gateways) ? vs.spec.gateways : [])) ctx.report(vs, message, { path: ['spec', 'gateways', k] });
      for (const kind of ['http', 'tcp', 'tls'] as const) {
        (Array.isArray(vs.spec[kind]) ? vs.spec[kind] as unknown[] : []).forEach((rule, i) => {
          (isRecord(rule) && Array.isArray(rule.match) ? rule.match : []).forEach((m, j) => {
            if (!isRecord(m)) return;
            for (const [message, k] of gatewayNameProblems(Array.isArray(m.gateways) ? m.gateways : [])) {
              ctx.report(vs, message, { path: ['spec', kind, i, 'match', j, 'gateways', k] });
            }
            if (!isRecord(m.sourceLabels)) return;
            for (const [message, key] of labelProblems(m.sourceLabels)) {
              ctx.report(vs, `${message} in spec.${kind}[${i}].match[${j}].sourceLabels: ${LABEL_FIX}`, { path: ['spec', kind, i, 'match', j, 'sourceLabels', key] });
            }
          });
        });
      }
      for (const kind of ['tcp', 'tls'] as const) {
        (Array.isArray(vs.spec[kind]) ? vs.spec[kind] as unknown[] : []).forEach((rule, i) => {
          if (isRecord(rule) && !(Array.isArray(rule.route) && rule.route.length > 0)) {
            ctx.report(vs, `${kind.toUpperCase()} route is required: spec.${kind}[${i}] has no route; add route: [{destination: {host: <service>, port: {number: <port>}}}] or remove the rule`, { path: ['spec', kind, i] });
          }
        });
      }
      if (meshBound) reportJwtClaimRoutes(vs, gateways, ctx.report);
      (Array.isArray(vs.spec.http) ? vs.spec.http : []).forEach((rule, i) => {
        if (!isRecord(rule) || rule.delegate === undefined) return;
        if (delegate) {
          ctx.report(vs, `delegate HTTP route cannot contain delegate (spec.http[${i}]): Istio supports one level of delegation`, { path: ['spec', 'http', i, 'delegate'] });
          return;
        }
        for (const k of ['route', 'redirect']) {
          if (rule[k] !== undefined) ctx.report(vs, `root HTTP route spec.http[${i}] must not specify ${k}: a rule with delegate hands all of its traffic to the delegate`, { path: ['spec', 'http', i, k] });
        }
      });
    }
  },
};

/** Istio's jwt.ToRoutingClaim(key).Match: `@request.auth.claims.<claim>[.<claim>…]` or `@request.auth.claims[<claim>]…` (prefix in any case). */
export function isJwtClaimRoute(key: string): boolean {
  const prefix = '@request.auth.claims';
  if (!key.toLowerCase().startsWith(prefix)) return false;
  const rest = key.slice(prefix.length);
  return (rest.startsWith('.') && rest.length > 1) || (rest.startsWith('[') && rest.endsWith(']') && rest.length > 2);
}

/**
 * Istio `ValidateVirtualService`: JWT claim routing (`@request.auth.claims…` keys in `http[].match[].headers` or
 * `withoutHeaders`) is refused unless the VirtualService applies to gateways only: without `gateways` (a delegate
 * included) or with `mesh` among them, sidecars would have to route on claims, which they do not validate.
 */
function reportJwtClaimRoutes(vs: MeshObject, gateways: readonly string[], report: RuleContext['report']): void {
  (Array.isArray(vs.spec.http) ? vs.spec.http : []).forEach((rule, i) => {
    (isRecord(rule) && Array.isArray(rule.match) ? rule.match : []).forEach((m, j) => {
      for (const field of ['headers', 'withoutHeaders']) {
        const headers = isRecord(m) && isRecord(m[field]) ? m[field] : {};
        for (const key of Object.keys(headers).filter(isJwtClaimRoute)) {
          report(vs, `JWT claim based routing (key: ${key}) is only supported for gateway, found no gateways: [${gateways.join(' ')}]: ` +
            `${gateways.length === 0 ? 'the VirtualService applies to the mesh (sidecars)' : '"mesh" is among its gateways'}, and only gateways validate the JWT; ` +
            'bind it to the ingress gateway only (spec.gateways: [<namespace>/<gateway>]), or route on a header the gateway sets from the claim (outputClaimToHeaders)',
          { path: ['spec', 'http', i, 'match', j, field, key] });
        }
      }
    });
  });
}

/**
 * Istio `validateSniHost`: every `tls[].match[].sniHosts` entry must be a subset of a host of the
 * VirtualService as written (`host.Name.SubsetOf`: equal, or under a wildcard host; short names are not
 * expanded, so `psp` does not cover `psp.shop.svc.cluster.local`). IP addresses only get a webhook warning.
 */
function reportSniHostsOutsideHosts(vs: MeshObject, hosts: readonly string[], report: RuleContext['report']): void {
  if (hosts.length === 0) return;
  (Array.isArray(vs.spec.tls) ? vs.spec.tls : []).forEach((rule, i) => {
    const matches = isRecord(rule) && Array.isArray(rule.match) ? rule.match : [];
    matches.forEach((m, j) => {
      if (isRecord(m) && Array.isArray(m.sniHosts) && m.sniHosts.length === 0) {
        report(vs, `TLS match must have at least one SNI host: spec.tls[${i}].match[${j}].sniHosts is empty; list the SNI names this rule routes (within spec.hosts)`, { path: ['spec', 'tls', i, 'match', j, 'sniHosts'] });
      }
      (isRecord(m) ? stringList(m.sniHosts) ?? [] : []).forEach((sni, k) => {
        if (isIP(sni) || hosts.some((h) => hostMatches(h, sni))) return;
        // Only letter case differs: the webhook compares as written, while Envoy matches SNI case-insensitively.
        const twin = hosts.find((h) => hostMatches(h.toLowerCase(), sni.toLowerCase()));
        report(vs, `SNI host "${sni}" is not a compatible subset of any of the virtual service hosts: [${hosts.join(', ')}]; the webhook refuses the VirtualService. ` +
          (twin !== undefined
            ? `Hosts are compared as written, letter case included, and "${sni}" differs from "${twin}" only in case: write it in the case of spec.hosts (Envoy matches the SNI case-insensitively, so no client is lost)`
            : 'Hosts are compared as written (a short host does not cover its FQDN): add the SNI host to spec.hosts, or match an SNI this VirtualService declares'),
        { path: ['spec', 'tls', i, 'match', j, 'sniHosts', k] });
      });
    });
  });
}

export default virtualServiceStructure;
