/**
 * `serviceentry/host-letter-case` builds per-proxy views only for the namespaces that may see a capitalised
 * ServiceEntry host (or its lower-case twin) differently, plus one outsider whose outcome every other namespace
 * shares, and reports exactly what one view per namespace would (the reference below, the rule's former algorithm).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRules } from '../../../src/checks/engine.js';
import rule, { judgedNamespaces, type Client } from '../../../src/checks/rules/serviceentry/host-letter-case.js';
import type { MeshGraph } from '../../../src/mesh/graph.js';
import { buildProxyView, describeProxy, proxyOf } from '../../../src/mesh/view/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { deploy, ns, route, sidecar, svc, vs } from '../../mesh/view-fixtures.js';

const entry = (name: string, namespace: string, host: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name, namespace },
  spec: { hosts: [host], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS', location: 'MESH_EXTERNAL', ...extra },
});
const NAMESPACES = Array.from({ length: 40 }, (_, i) => `team-${String(i).padStart(2, '0')}`);
const mesh = (extra: Record<string, unknown>[]) => graphOf([
  ...NAMESPACES.flatMap((n) => [ns(n), deploy('app', n, { app: 'app' }), svc('app', n)]),
  ns('shop'), entry('partner', 'shop', 'API.Partner.example'), ...extra,
]);

/** What one view per client namespace reports (the rule's former algorithm), as `namespace list | message` lines. */
function reference(graph: MeshGraph): string[] {
  const clients = clientsOf(graph);
  const found = new Map<string, string[]>();
  for (const [n, c] of clients) for (const p of buildProxyView(graph, c.proxy).problems) {
    if (p.code !== 'view/host-letter-case' || p.origin.ref.kind !== 'ServiceEntry') continue;
    const key = `${p.origin.ref.namespace}/${p.origin.ref.name} ${p.message}`;
    found.set(key, [...(found.get(key) ?? []), n]);
  }
  return [...found].map(([k, list]) => `${list.length} ${list.slice(0, 5).join(', ')} | ${k.slice(k.indexOf(' ') + 1)}`).sort();
}

function clientsOf(graph: MeshGraph): Map<string, Client> {
  const out = new Map<string, Client>();
  for (const w of graph.workloads.all) if (!out.has(w.namespace) && graph.membershipOf(w).dataplane === 'sidecar') out.set(w.namespace, { proxy: proxyOf(graph, w), scoped: graph.sidecarsFor(w).length > 0 });
  if (!out.has('shop')) out.set('shop', { proxy: describeProxy({ name: 'x', namespace: 'shop' }), scoped: true });
  return out;
}

function actual(graph: MeshGraph): string[] {
  return runRules(graph, [rule], {}).map((f) => {
    const m = /^For the sidecars of namespaces? (.*?): (.*)$/.exec(f.message)!;
    const shown = m[1]!.replace(/ and \d+ more$/, '').split(', ');
    const more = /and (\d+) more$/.exec(m[1]!);
    return `${shown.length + (more ? Number(more[1]) : 0)} ${shown.join(', ')} | ${m[2]}`;
  }).sort();
}

test('GIVEN 40 namespaces and a capitalised ServiceEntry host exported everywhere WHEN checked THEN few views are judged and the finding equals one view per namespace', () => {
  const g = mesh([]);
  const judged = judgedNamespaces(g, clientsOf(g));
  assert.ok(judged.size <= 2, [...judged].join(' '));
  assert.equal(actual(g), reference(g));
  assert.match(actual(g)[0]!, /^41 team-00, team-01, team-02, team-03, team-04 \| /);
});

test('GIVEN one namespace routing the host as written and one whose Sidecar does not import it WHEN checked THEN those two are judged on their own and drop out of the list, as with one view each', () => {
  const g = mesh([
    vs('partner', 'team-07', { hosts: ['API.Partner.example'], exportTo: ['.'], http: [{ route: [route('API.Partner.example')] }] }),
    sidecar('local', 'team-09', { egress: [{ hosts: ['./*'] }] }),
  ]);
  const judged = judgedNamespaces(g, clientsOf(g));
  assert.ok(judged.has('team-07') && judged.has('team-09'), [...judged].join(' '));
  assert.ok(judged.size <= 4, [...judged].join(' '));
  const got = actual(g);
  assert.equal(got, reference(g));
  assert.match(got[0]!, /^39 /);
});

test('GIVEN a lower-case twin visible only to some namespaces WHEN checked THEN the error and the warning split the namespaces as one view each would', () => {
  const g = mesh([entry('partner-lower', 'team-03', 'api.partner.example', { exportTo: ['.', 'team-05'] })]);
  const got = actual(g);
  assert.equal(got, reference(g));
  assert.is(got.length, 2, got.join('\n'));
});

test('GIVEN a route match naming its client (sourceLabels) WHEN judged THEN every namespace is judged (routes may differ between look-alike namespaces)', () => {
  const g = mesh([vs('web', 'team-01', { hosts: ['app'], http: [{ match: [{ sourceLabels: { app: 'app' } }], route: [route('app')] }] })]);
  assert.is(judgedNamespaces(g, clientsOf(g)).size, clientsOf(g).size);
  assert.equal(actual(g), reference(g));
});

test.run();
