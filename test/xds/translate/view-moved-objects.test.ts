import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MeshGraph } from '../../../src/mesh/graph.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { prepareCarryOver } from '../../../src/xds/translate/carry-over.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { differences, findingLines, packedMesh, sharedObjects, viewDifferences } from './_carry.js';
import { type Doc, type MeshState, cloneState, graphOf } from './_mesh-state.js';
import { movedState } from './_view-base.js';

/**
 * Reloads that move objects (`src/mesh/graph-carry.ts`) on `_view-base-mesh.ts` MOVED_BASE, one
 * file as a cdk8s chart writes it: a document inserted in the middle moves every later one. The
 * graph keeps its view base, and everything the moved objects' positions reach (service views,
 * default routes, ServiceEntry endpoints, inbound mTLS, findings) shows their new lines, as a
 * from-scratch build does; the xDS resources, whose metadata names objects and fields but no line,
 * are the same bytes, and those of a moved VirtualService are found by content.
 */
const at = (s: MeshState, kind: string, name: string): number => s.placed.findIndex((p) => p.doc.kind === kind && p.doc.metadata?.name === name);

/** `s` with a Deployment `batch` (which no Service selects) inserted before document `kind/name`. */
function insertedBefore(s: MeshState, kind: string, name: string): MeshState {
  const next = cloneState(s);
  const doc: Doc = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'batch', namespace: 'shop' }, spec: { template: { metadata: { labels: { app: 'batch' } }, spec: { containers: [{ name: 'app' }] } } } };
  next.placed.splice(at(next, kind, name), 0, { doc, file: 0, pad: 0, flow: false });
  return next;
}

/** The line of `kind/shop/name` in `g`. */
const lineOf = (g: MeshGraph, kind: string, name: string, ns = 'shop'): number => g.get(kind, ns, name)!.location.line;

test('GIVEN MOVED_BASE in one file WHEN a Deployment is inserted before the api Service (api, the payments ServiceEntry, the policies, the Gateway and its VirtualService and the ingress pods move) THEN the graph keeps its view base with those objects moved, not changed, AND the views, xDS resources and findings equal a from-scratch build\'s, at the moved objects\' new lines, while the web host\'s views are the predecessor\'s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-moved-'));
  try {
    const start = movedState();
    const g1 = await graphOf(start, join(dir, 'm'), { carryOver: true });
    const before = packedMesh(g1, start.workloads);
    prepareCarryOver(g1);
    const next = insertedBefore(start, 'Service', 'api');
    const g2 = await graphOf(next, join(dir, 'm'), { previous: g1 });
    const base = g2.viewBase();
    assert.ok(base, 'the insertion keeps the view base');
    assert.equal(base.changed.map((o) => `${o.kind} ${o.name}`).sort(), ['Deployment batch', 'VirtualService web-public', 'VirtualService web-public'], 'changed: the new Deployment, and the moved VirtualService (its origins are in route metadata) both versions');
    assert.equal(base.moved.map((m) => m.next.kind).sort(), ['AuthorizationPolicy', 'Deployment', 'Deployment', 'Gateway', 'PeerAuthentication', 'Service', 'ServiceEntry', 'Sidecar']);
    assert.equal(g2.carried, { kept: 12, changed: 1 + 2 * 9, moved: 2 * 9 });
    assert.ok(lineOf(g2, 'Service', 'api') > lineOf(g1, 'Service', 'api'), 'the new graph holds the api Service at its new line');

    const fresh = await graphOf(next, join(dir, 'm'));
    assert.equal(viewDifferences(g2, fresh), []);
    const carried = packedMesh(g2, next.workloads);
    assert.equal(differences(carried, packedMesh(fresh, next.workloads, false)), []);
    assert.equal(findingLines(g2), findingLines(fresh));
    assert.equal(differences(before, carried).filter((d) => !d.startsWith('shop/batch ')), [], 'the moved objects changed no resource of any other proxy (Envoy metadata carries no line)');

    // What the web sidecar sees of api: the service view and the default route, at api's new line.
    const web = proxiesOf(g2).find((p) => p.name === 'web')!;
    const view = buildProxyView(g2, web);
    const api = view.services.find((s) => s.host === 'api.shop.svc.cluster.local')!;
    assert.is(api.origin.location.line, g2.get('Service', 'shop', 'api')!.locate(['metadata', 'name']).line, 'the api service view points at the moved Service');
    const apiRoute = view.routes.find((r) => r.host === 'api.shop.svc.cluster.local' && r.port === 9090)!;
    assert.is(apiRoute.http[0]!.origin.location.line, g2.get('Service', 'shop', 'api')!.locate(['metadata', 'name']).line, 'the default route to api points at the moved Service');
    const payments = view.clusters.find((c) => c.host === 'payments.example')!;
    assert.is(payments.endpoints![0]!.origin.location.line, g2.get('ServiceEntry', 'shop', 'payments')!.locate(['spec', 'endpoints', 0]).line, 'the ServiceEntry endpoints point at the moved ServiceEntry');
    // The route metadata Envoy gets for the api default route names the Service and field, no line.
    const rc = translateProxy(view, next.workloads).routes!.flatMap((r) => r.virtualHosts).find((v) => v.domains.includes('api.shop.svc.cluster.local'))!;
    assert.equal(rc.routes[0]!.metadata!.filterMetadata.meshproof!.origin, { kind: 'Service', namespace: 'shop', name: 'api', path: ['metadata', 'name'], file: api.origin.location.file });

    // The web host's cluster views (its DestinationRule and Service did not move) are shared.
    const oldWeb = buildProxyView(g1, proxiesOf(g1).find((p) => p.name === 'web')!);
    const webClusters = (v: typeof view) => v.clusters.filter((c) => c.host === 'web.front.svc.cluster.local');
    assert.ok(webClusters(view).length > 0 && webClusters(view).every((c, i) => c === webClusters(oldWeb)[i]), 'the web cluster views are the predecessor\'s objects');
    assert.ok(sharedObjects(g1, g2) > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN MOVED_BASE in one file WHEN a Deployment is inserted before the tools VirtualService (it moves, its Service and DestinationRule before it do not) THEN the VirtualService counts as changed AND the routes of static, which front\'s proxies share with other namespaces, carry its new lines in their view, as a from-scratch build\'s, AND its Envoy virtual host is the predecessor\'s very message, found by content (its metadata names no line)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-moved-'));
  try {
    const start = movedState();
    const g1 = await graphOf(start, join(dir, 'm'), { carryOver: true });
    packedMesh(g1, start.workloads);
    const staticHost = (g: MeshGraph, workloads: MeshState['workloads']) => translateProxy(buildProxyView(g, proxiesOf(g).find((p) => p.name === 'web')!), workloads).routes!
      .flatMap((r) => r.virtualHosts).find((v) => v.domains.includes('static.tools.svc.cluster.local'))!;
    const before = staticHost(g1, start.workloads);
    prepareCarryOver(g1);
    const next = insertedBefore(start, 'VirtualService', 'static');
    const g2 = await graphOf(next, join(dir, 'm'), { previous: g1 });
    const base = g2.viewBase();
    assert.ok(base, 'the insertion keeps the view base');
    assert.ok(base.changed.some((o) => o.kind === 'VirtualService' && o.name === 'static'), 'the moved VirtualService counts as changed');
    const vsLine = (g: MeshGraph) => g.get('VirtualService', 'tools', 'static')!.locate(['spec', 'http', 0]).line;
    assert.ok(vsLine(g2) > vsLine(g1));
    const fresh = await graphOf(next, join(dir, 'm'));
    assert.equal(viewDifferences(g2, fresh), []);
    assert.equal(differences(packedMesh(g2, next.workloads), packedMesh(fresh, next.workloads, false)), []);
    assert.equal(findingLines(g2), findingLines(fresh));
    const view = buildProxyView(g2, proxiesOf(g2).find((p) => p.name === 'web')!);
    const route = view.routes.find((r) => r.host === 'static.tools.svc.cluster.local')!.http[0]!;
    assert.is(route.origin.location.line, vsLine(g2), 'the static route points at the moved VirtualService');
    const vh = staticHost(g2, next.workloads);
    assert.ok(vh === before, 'the static virtual host is the predecessor\'s message: its route views were rebuilt at the new lines, and found it by content');
    assert.equal(vh.routes[0]!.metadata!.filterMetadata.meshproof!.origin, { kind: 'VirtualService', namespace: 'tools', name: 'static', path: ['spec', 'http', 0], file: route.origin.location.file });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN MOVED_BASE in one file WHEN the PeerAuthentication and the AuthorizationPolicy swap places THEN the view base is kept (one policy of each kind: their order is the same) AND the inbound mTLS view points at the PeerAuthentication\'s new line, and the resources equal a from-scratch build\'s; WHEN two PeerAuthentications of one namespace swap THEN the view base is kept AND the namespace mode, decided by the oldest (then by name, as istiod), and the output stay as a from-scratch build\'s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-view-moved-'));
  try {
    const start = movedState();
    const g1 = await graphOf(start, join(dir, 'm'), { carryOver: true });
    packedMesh(g1, start.workloads);
    const swapped = cloneState(start);
    const i = at(swapped, 'PeerAuthentication', 'default');
    const j = at(swapped, 'AuthorizationPolicy', 'api');
    [swapped.placed[i], swapped.placed[j]] = [swapped.placed[j]!, swapped.placed[i]!];
    const g2 = await graphOf(swapped, join(dir, 'm'), { previous: g1 });
    assert.ok(g2.viewBase(), 'policies that only moved keep the view base');
    const fresh = await graphOf(swapped, join(dir, 'm'));
    assert.equal(viewDifferences(g2, fresh), []);
    assert.equal(differences(packedMesh(g2, swapped.workloads), packedMesh(fresh, swapped.workloads, false)), []);
    assert.equal(findingLines(g2), findingLines(fresh));
    const inbound = buildProxyView(g2, proxiesOf(g2).find((p) => p.name === 'api')!).inbound!;
    assert.is(inbound.mtls.origin!.location.line, g2.get('PeerAuthentication', 'shop', 'default')!.locate(['spec', 'mtls']).line);

    // A second namespace-wide PeerAuthentication: the oldest decides shop's mode (istiod: creation
    // time, then name; neither has a creationTimestamp, so `default` before `second`), not input order.
    const two = cloneState(start);
    two.placed.splice(at(two, 'PeerAuthentication', 'default') + 1, 0, { doc: { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'second', namespace: 'shop' }, spec: { mtls: { mode: 'DISABLE' } } }, file: 0, pad: 0, flow: false });
    const g3 = await graphOf(two, join(dir, 'm'), { carryOver: true });
    packedMesh(g3, two.workloads);
    const reordered = cloneState(two);
    const a = at(reordered, 'PeerAuthentication', 'default');
    [reordered.placed[a], reordered.placed[a + 1]] = [reordered.placed[a + 1]!, reordered.placed[a]!];
    const g4 = await graphOf(reordered, join(dir, 'm'), { previous: g3 });
    assert.ok(g4.viewBase(), 'PeerAuthentications reordered: a view base, with shop\'s mode compared');
    const fresh4 = await graphOf(reordered, join(dir, 'm'));
    assert.is(g4.namespaceMtls('shop'), g3.namespaceMtls('shop'), 'the same (oldest, then first by name) policy decides shop\'s mode');
    assert.is.not(g4.namespaceMtls('shop'), 'DISABLE', 'default, not second, decides');
    const packed4 = packedMesh(g4, reordered.workloads);
    assert.equal(differences(packedMesh(g3, two.workloads, false), packed4), [], 'the output is unchanged');
    assert.equal(differences(packed4, packedMesh(fresh4, reordered.workloads, false)), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
