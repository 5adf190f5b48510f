import { stringList } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { destinationsOf, hostOf, httpRulesOf, isMeshBound } from './_helpers.js';
import { clientsText, portsText, sidecarOutcomes, type SidecarOutcome } from './_sidecar-outcomes.js';

/** `routing/default-route-required`: a mesh VirtualService whose http rules all match on something has a fallback. */
const defaultRouteRequired: Rule = {
  id: 'routing/default-route-required',
  severity: 'error',
  summary: 'Every http rule a sidecar port or client of a mesh VirtualService gets has match conditions, so requests that match none get 404 (NR); where no rule applies the sidecar takes the next VirtualService for the host, else the default route.',
  docs: [
    'A VirtualService replaces the default route for its hosts. When every `spec.http` rule has a `match`, a',
    'request that matches none of them has no route and the sidecar answers 404 with response flag `NR`: a',
    'header-based canary (`end-user: jason` → v2) without a final unmatched rule cuts off everyone else. Fix: end',
    '`spec.http` with a rule without `match` (or with `uri: {prefix: /}`) that routes to the stable version.',
    'Judged per sidecar listener port and per client, as istiod builds the routes (route.go',
    'BuildHTTPRoutesForVirtualService, `sourceMatchHTTP`): a match entry counts only on the port its `port` names',
    '(http routes apply only on HTTP, HTTP2, gRPC or sniffed ports) and for the clients its `sourceLabels` and',
    '`sourceNamespace` select. Where no rule applies (every match names another port, other clients, gateways',
    'without `mesh`, or a dropped delegate), istiod builds nothing from the VirtualService and the sidecar takes',
    'the next VirtualService naming the host that routes there, else the service\'s default route: no 404 there. Where a match applies and takes every request once those',
    'conditions hold (`port: 8080` alone on port 8080), the port has its default. The message names the ports and',
    'clients left without one. Clients are the sidecars of the input (with the labels the injector adds) and',
    'sidecars it does not hold, taken to carry none of the `sourceLabels` asked for; a `sourceLabels` that selects',
    'no workload of the input (when it has any) selects no client. `gateways: [mesh]` narrows nothing here.',
    'Clients whose Sidecar `egress.hosts` do not import the VirtualService (istiod SelectVirtualServices: no entry',
    'names its namespace and one of its hosts, on the egress listener that builds the port) get no route from it and',
    'keep the service\'s default route: they are left out, and when no client imports it nothing is reported.',
    'Only VirtualServices bound to `mesh` are checked: on a gateway, serving only the listed paths and answering',
    '404 otherwise is usually deliberate. Delegate VirtualServices (no `hosts`) are covered by their parent: a parent',
    'rule that delegates stands for the delegate\'s rules merged under its match, as istiod merges them.',
  ].join(' '),
  kinds: ['VirtualService', 'Service', 'ServiceEntry', 'Deployment', 'Rollout', 'Pod'],
  check(graph, ctx) {
    for (const vs of graph.ofKind('VirtualService')) {
      if (!isMeshBound(vs) || (stringList(vs.spec.hosts) ?? []).length === 0) continue;
      const outcomes = sidecarOutcomes(graph, vs);
      const nr = outcomes.filter((o) => o.verdict === 'nr');
      if (nr.length === 0) continue;
      const http = httpRulesOf(vs);
      // The root rules whose routes leave requests unmatched somewhere, and the last of them (where the fix goes).
      const indices = [...new Set(nr.flatMap((o) => o.rules.map((r) => r.index)))].sort((a, b) => a - b);
      const last = http.find((r) => r.index === indices[indices.length - 1]) ?? http[http.length - 1]!;
      const delegated = nr.some((o) => o.rules.some((r) => r.delegate !== undefined));
      const which = indices.length === http.length
        ? (http.length === 1 ? 'its only http rule has' : `all ${http.length} http rules have`)
        : indices.length === 1 ? 'the only http rule the sidecars build routes from has' : `all ${indices.length} http rules the sidecars build routes from have`;
      const hosts = (stringList(vs.spec.hosts) ?? []).join(', ');
      const host = destinationsOf(vs).map((d) => hostOf(d.destination)).find((h) => h !== undefined);
      const example = host ? `, e.g. "- route: [{destination: {host: ${host}}}]"` : '';
      ctx.report(
        vs,
        `No default route: ${which} match conditions${delegated ? ' (once istiod merges the delegate VirtualServices into it)' : ''}, so requests to ${hosts} that match none get 404 (NR)` +
          `${where(outcomes, nr)}${who(outcomes, nr)}; ` +
          `add a last rule without match${delegated ? ' (in this VirtualService or at the end of its delegate)' : ''} that routes to the stable destination${example}`,
        { path: [...last.path, 'match'] },
      );
    }
  },
};

/**
 * What a sidecar routes by where a VirtualService gives it no route for a port (istiod
 * BuildSidecarVirtualHostWrapper skips it; BuildSidecarOutboundVirtualHosts keeps the first virtual
 * host per domain): the next VirtualService naming the host with routes there, else the default route.
 */
const FALLBACK = "take the next VirtualService for the host that routes there, else the service's default route";

/**
 * The ports left without a default, when not all: ` on port 9090 (a port-only match catches 8080; no rule applies on
 * port 7070, so the sidecars keep the service's default route there)`.
 */
function where(all: readonly SidecarOutcome[], nr: readonly SidecarOutcome[]): string {
  const ports = [...new Set(all.map((o) => o.port))];
  const left = ports.filter((p) => nr.some((o) => o.port === p));
  if (left.length === ports.length) return '';
  const rest = ports.filter((p) => !left.includes(p));
  const caught = rest.filter((p) => all.some((o) => o.port === p && o.verdict === 'caught'));
  const unrouted = rest.filter((p) => !caught.includes(p));
  const why = [
    caught.length > 0 ? `a port-only match catches ${portsText(caught).replace(/^ports? /, '')}` : '',
    unrouted.length > 0 ? `no rule applies on ${portsText(unrouted)}, so the sidecars build no route from it there and ${FALLBACK}` : '',
  ].filter(Boolean).join('; ');
  return ` on ${portsText(left)} (${why})`;
}

/**
 * The clients left without a default, when not all: ` for Deployment shop/web (other sidecars: no rule applies to
 * them, so they keep the service's default route)`.
 */
function who(all: readonly SidecarOutcome[], nr: readonly SidecarOutcome[]): string {
  const classes = [...new Set(all.map((o) => o.client))];
  const left = classes.filter((c) => nr.some((o) => o.client === c));
  if (left.length === classes.length) return '';
  const rest = classes.filter((c) => !left.includes(c));
  const defaulted = rest.filter((c) => all.every((o) => o.client !== c || o.verdict === 'default'));
  const hidden = defaulted.filter((c) => all.every((o) => o.client !== c || o.hiddenBy !== undefined));
  const unrouted = defaulted.filter((c) => !hidden.includes(c));
  const caught = rest.filter((c) => !defaulted.includes(c));
  const sidecars = [...new Set(all.filter((o) => hidden.includes(o.client)).map((o) => `${o.hiddenBy!.namespace}/${o.hiddenBy!.name}`))];
  const why = [
    hidden.length > 0 ? `${clientsText(hidden)}: the egress hosts of Sidecar ${sidecars.join(', Sidecar ')} do not import this VirtualService, so they keep the service's default route` : '',
    unrouted.length > 0 ? `${clientsText(unrouted)}: no rule applies to them, so they build no route from it and ${FALLBACK}` : '',
    caught.length > 0 ? `${clientsText(caught)}: a rule takes every request of theirs` : '',
  ].filter(Boolean).join('; ');
  return ` for ${clientsText(left)} (${why})`;
}

export default defaultRouteRequired;
