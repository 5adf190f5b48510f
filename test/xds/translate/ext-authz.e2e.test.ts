/**
 * CUSTOM authorization over real sockets, from the mesh to the wire: an AuthorizationPolicy
 * `action: CUSTOM` naming an `envoyExtAuthzHttp` provider of the istio ConfigMap, translated for the
 * workload (RBAC shadow rules, then ext_authz toward the provider's cluster), served by our ADS server
 * to the reference proxy as verify's runtime serves an inbound sidecar (`inboundResources`, which brings
 * the authorizer's cluster and endpoints along), with a real HTTP authorizer and a real application.
 */
import * as http from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { inboundResources } from '../../../src/verify/runtime/inbound.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { freePort, get, loopbackNeighbours } from '../../proxy/_harness.js';
import { startSidecar } from '../../proxy/security/_e2e.js';
import { testPki } from '../../proxy/security/_pki.js';

type Obj = Record<string, unknown>;
/** The sidecar, its application and the authorizer, on neighbouring loopback addresses. */
const [SIDECAR, APP, AUTHZ] = loopbackNeighbours(3);

function mesh(appPort: number, authzPort: number, provider: Obj): Obj[] {
  const deploy = (name: string, namespace: string, port: number): Obj => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace },
    spec: { template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: name, containers: [{ name: 'app', ports: [{ containerPort: port }] }] } } },
  });
  const service = (name: string, namespace: string, port: number, targetPort: number): Obj => ({
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ name: 'http', port, targetPort }] },
  });
  const meshText = `extensionProviders:\n- name: ext\n  envoyExtAuthzHttp: ${JSON.stringify(provider)}\n`;
  return [
    deploy('ledger', 'pay', appPort), service('ledger', 'pay', 80, appPort),
    deploy('authz', 'auth', authzPort), service('authz', 'auth', 8000, authzPort),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: meshText } },
    { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'admin-ext', namespace: 'pay' },
      spec: { selector: { matchLabels: { app: 'ledger' } }, action: 'CUSTOM', provider: { name: 'ext' }, rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }] } },
  ];
}

interface Started { port: number; calls: string[]; seen: http.IncomingHttpHeaders[]; close(): Promise<void> }

/** An HTTP server on `host`: the application (echoes) or the authorizer (200 with x-user for `x-allow: yes`, else 403). */
async function serve(host: string, port: number, role: 'app' | 'authz'): Promise<Started> {
  const calls: string[] = [];
  const seen: http.IncomingHttpHeaders[] = [];
  const srv = http.createServer((req, res) => {
    calls.push(`${req.method} ${req.url}`);
    seen.push(req.headers);
    if (role === 'app') { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(`app ${req.url}`); return; }
    if (req.headers['x-allow'] === 'yes') { res.writeHead(200, { 'x-user': 'alice' }); res.end(); return; }
    res.writeHead(403, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' });
    res.end('denied by the authorizer');
  });
  await new Promise<void>((r) => srv.listen(port, host, r));
  return { port, calls, seen, close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); }) };
}

async function withSidecar(provider: (authzPort: number) => Obj, body: (port: number, app: Started, authz: Started) => Promise<void>, authzUp = true): Promise<void> {
  const appPort = await freePort(SIDECAR);
  const authzPort = await freePort(AUTHZ);
  const app = await serve(APP, appPort, 'app');
  const authz = authzUp ? await serve(AUTHZ, authzPort, 'authz') : { port: authzPort, calls: [], seen: [], close: async () => undefined };
  let sidecar: Awaited<ReturnType<typeof startSidecar>> | undefined;
  try {
    const set = translateProxy(buildProxyView(graphOf(mesh(appPort, authzPort, provider(authzPort))), describeProxy({ name: 'ledger', namespace: 'pay', labels: { app: 'ledger' }, serviceAccount: 'ledger' })), [
      { name: 'authz-1', namespace: 'auth', address: AUTHZ, labels: { app: 'authz' }, ports: { http: authzPort } },
    ]);
    const { listeners, clusters, endpoints } = inboundResources(set, SIDECAR, APP);
    assert.ok(clusters.some((c) => c.name === 'outbound|8000||authz.auth.svc.cluster.local'), 'the authorizer\'s cluster comes with the inbound side');
    const pki = await testPki();
    sidecar = await startSidecar({ clusters, endpoints, listeners, routes: [] }, await pki.workload('pay', 'ledger'), pki.ca.rootCertificatePem);
    await sidecar.ready();
    assert.equal(sidecar.proxy.ads.nacks.map((n) => n.message), [], 'the proxy accepts istiod\'s ext_authz config');
    await body(appPort, app, authz);
  } finally {
    await sidecar?.close();
    await app.close();
    await authz.close();
  }
}

test('GIVEN a CUSTOM policy on /admin/* with an HTTP authorizer WHEN requests arrive THEN /admin calls the authorizer (allowed: the app sees its x-user header; denied: its 403 and body reach the caller) and other paths never call it', async () => {
  await withSidecar(() => ({ service: 'authz.auth.svc.cluster.local', port: 8000, headersToUpstreamOnAllow: ['x-user'], headersToDownstreamOnDeny: ['www-authenticate'], includeRequestHeadersInCheck: ['x-allow'] }), async (port, app, authz) => {
    const allowed = await get(port, '/admin/report', { 'x-allow': 'yes' }, 'GET', undefined, SIDECAR);
    assert.equal([allowed.status, allowed.body], [200, 'app /admin/report'], JSON.stringify(allowed));
    assert.is(app.seen.at(-1)!['x-user'], 'alice', 'headersToUpstreamOnAllow: the authorizer\'s header reaches the app');
    assert.is(authz.calls.length, 1);

    const denied = await get(port, '/admin/report', {}, 'GET', undefined, SIDECAR);
    assert.equal([denied.status, denied.body, denied.headers['www-authenticate']], [403, 'denied by the authorizer', 'Bearer'], JSON.stringify(denied));
    assert.is(authz.calls.length, 2);

    const open = await get(port, '/public', {}, 'GET', undefined, SIDECAR);
    assert.equal([open.status, open.body], [200, 'app /public']);
    assert.is(authz.calls.length, 2, 'a request no CUSTOM rule matches is never checked');
    assert.equal(app.calls, ['GET /admin/report', 'GET /public'], 'the denied request never reached the app');
  });
});

test('GIVEN the authorizer down WHEN a request the CUSTOM rule matches arrives THEN it is refused (statusOnError, 403 by default), and with failOpen it passes', async () => {
  await withSidecar(() => ({ service: 'authz.auth.svc.cluster.local', port: 8000, timeout: '1s' }), async (port, app) => {
    const r = await get(port, '/admin/x', { 'x-allow': 'yes' }, 'GET', undefined, SIDECAR);
    assert.is(r.status, 403, JSON.stringify(r));
    assert.equal(app.calls, []);
  }, false);
  await withSidecar(() => ({ service: 'authz.auth.svc.cluster.local', port: 8000, timeout: '1s', failOpen: true }), async (port, app) => {
    const r = await get(port, '/admin/x', {}, 'GET', undefined, SIDECAR);
    assert.equal([r.status, r.body], [200, 'app /admin/x'], JSON.stringify(r));
    assert.equal(app.calls, ['GET /admin/x']);
  }, false);
});

test.run();
