import { isRecord, stringList } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { asDelegated, catchAllMatchOf, destinationsOf, hostOf, hostPortsOf, httpRulesOf, isMeshBound, portsAllCaught, uncaughtPorts, type HttpRule } from './_helpers.js';

/** `routing/default-route-required`: a mesh VirtualService whose http rules all match on something has a fallback. */
const defaultRouteRequired: Rule = {
  id: 'routing/default-route-required',
  severity: 'error',
  summary: 'Every http rule of a mesh VirtualService has match conditions, so requests that match none get 404 (NR).',
  docs: [
    'A VirtualService replaces the default route for its hosts. When every `spec.http` rule has a `match`, a',
    'request that matches none of them has no route and the sidecar answers 404 with response flag `NR`: a',
    'header-based canary (`end-user: jason` → v2) without a final unmatched rule cuts off everyone else. Fix: end',
    '`spec.http` with a rule without `match` (or with `uri: {prefix: /}`) that routes to the stable version. A',
    'match on `port` alone counts as a default route when that is the only port of the VirtualService\'s hosts that',
    'carries HTTP (http routes apply only on HTTP, HTTP2, gRPC or sniffed ports; HTTPS, TLS and TCP ports take',
    '`tls`/`tcp` routes), and so do `port` matches that between them name every such port.',
    'Match entries whose `gateways` leave out `mesh` are ignored and `gateways: [mesh]` narrows nothing, since',
    'only the sidecars are judged here (Istio\'s route.go `sourceMatchHTTP`).',
    'Only VirtualServices bound to `mesh` are checked: on a gateway, serving only the listed paths and answering',
    '404 otherwise is usually deliberate. Delegate VirtualServices (no `hosts`) are covered by their parent: a parent',
    'rule that delegates stands for the delegate\'s rules merged under its match, as istiod merges them.',
  ].join(' '),
  kinds: ['VirtualService'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      if (!isMeshBound(vs) || (stringList(vs.spec.hosts) ?? []).length === 0) continue;
      // A rule that delegates stands for the delegate's rules merged under its match (istiod mergeHTTPRoute).
      const all = httpRulesOf(vs).map((r) => asDelegated(graph, vs, r));
      const delegated = all.some((r) => isRecord(r.rule.delegate));
      const rules = all.flatMap((r) => sidecarView(r) ?? []);
      const ports = hostPortsOf(graph, vs);
      // No port of the hosts carries HTTP: the http rules never apply (routing/routes-never-applied says so).
      if (ports !== null && ports.size === 0) continue;
      if (all.length === 0 || rules.some((r) => catchAllMatchOf(r, ports) !== undefined) || portsAllCaught(rules, ports)) continue;
      const hosts = (stringList(vs.spec.hosts) ?? []).join(', ');
      if (rules.length === 0) {
        ctx.report(vs, `No route for the sidecars: every match of every http rule names gateways without "mesh", so requests to ${hosts} ` +
          'from inside the mesh get 404 (NR); add "mesh" to a rule\'s match gateways, or a last rule without match', { path: [...all[all.length - 1]!.path, 'match'] });
        continue;
      }
      const last = rules[rules.length - 1]!;
      const which = rules.length === 1 ? 'its only http rule has' : `all ${rules.length} http rules have`;
      const host = destinationsOf(vs).map((d) => hostOf(d.destination)).find((h) => h !== undefined);
      const example = host ? `, e.g. "- route: [{destination: {host: ${host}}}]"` : '';
      // Port-only matches catch some HTTP ports: name the ones left without a default route.
      const left = ports === null ? [] : uncaughtPorts(rules, ports);
      const where = ports !== null && left.length > 0 && left.length < ports.size
        ? ` (a port-only match catches ${[...ports].filter((p) => !left.includes(p)).join(', ')}, but nothing catches port${left.length > 1 ? 's' : ''} ${left.join(', ')})` : '';
      ctx.report(
        vs,
        `No default route: ${which} match conditions${delegated ? ' (once istiod merges the delegate VirtualServices into it)' : ''}, so requests to ${hosts} that match none get 404 (NR)${where}; ` +
          `add a last rule without match${delegated ? ' (in this VirtualService or at the end of its delegate)' : ''} that routes to the stable destination${example}`,
        { path: [...last.path, 'match'] },
      );
    }
  },
};

/**
 * The rule as the sidecars see it: match entries restricted to gateways other than `mesh` dropped,
 * `gateways` removed from the rest; undefined when every match is for gateways only.
 */
function sidecarView(r: HttpRule): HttpRule | undefined {
  if (r.matches.length === 0) return r;
  const matches = r.matches.flatMap((m) => {
    const gateways = stringList(m.gateways);
    if (gateways && gateways.length > 0 && !gateways.includes('mesh')) return [];
    const { gateways: _ignored, ...rest } = m;
    return [rest];
  });
  return matches.length > 0 ? { ...r, matches } : undefined;
}

export default defaultRouteRequired;
