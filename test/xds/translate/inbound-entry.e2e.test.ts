/**
 * Over real sockets: the inbound side translated for a pod that only a ServiceEntry's
 * `workloadSelector` selects, served by our ADS server to the reference proxy (as verify's runtime
 * serves an inbound sidecar: `inboundResources`, one listener per inbound port on the workload's own
 * loopback address), with the workload certificate over SDS. STRICT refuses plaintext, the
 * AuthorizationPolicy admits namespace `web` and refuses others with 403, and an admitted call
 * reaches the application on the entry's `targetPort`.
 */
import * as http from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildProxyView, describeProxy } from '../../../src/mesh/view/index.js';
import { inboundResources } from '../../../src/verify/runtime/inbound.js';
import { translateProxy } from '../../../src/xds/translate/index.js';
import { graphOf } from '../../mesh/_graph.js';
import { freePort, get, loopbackNeighbours, startTestProxy, startXds } from '../../proxy/_harness.js';
import { httpsGet, startSidecar } from '../../proxy/security/_e2e.js';
import { testPki } from '../../proxy/security/_pki.js';

type Obj = Record<string, unknown>;
const NS = 'ledger';
/** The sidecar, its application on neighbouring loopback addresses. */
const [SIDECAR, APP] = loopbackNeighbours(2);

function mesh(targetPort: number): Obj[] {
  return [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ledger', namespace: NS },
      spec: { template: { metadata: { labels: { app: 'ledger' } }, spec: { serviceAccountName: 'ledger', containers: [{ name: 'app', ports: [{ containerPort: targetPort }] }] } } } },
    { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'ledger', namespace: NS },
      spec: { hosts: ['ledger.internal.example'], location: 'MESH_INTERNAL', resolution: 'STATIC', workloadSelector: { labels: { app: 'ledger' } }, ports: [{ number: 80, name: 'http', protocol: 'HTTP', targetPort }] } },
    { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'strict', namespace: NS }, spec: { mtls: { mode: 'STRICT' } } },
    { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'from-web', namespace: NS },
      spec: { selector: { matchLabels: { app: 'ledger' } }, rules: [{ from: [{ source: { namespaces: ['web'] } }] }] } },
  ];
}

test('GIVEN a pod only a ServiceEntry selects, STRICT mTLS and an ALLOW policy WHEN its translated inbound side serves real callers THEN plaintext is refused, namespace web reaches the app on targetPort, others get 403', async () => {
  const port = await freePort(SIDECAR);
  const received: string[] = [];
  const app = http.createServer((req, res) => { received.push(req.url ?? ''); res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ app: 'ledger', url: req.url })); });
  await new Promise<void>((r) => app.listen(port, APP, r));
  let xds: Awaited<ReturnType<typeof startXds>> | undefined;
  let proxy: Awaited<ReturnType<typeof startTestProxy>> | undefined;
  try {
    const set = translateProxy(buildProxyView(graphOf(mesh(port)), describeProxy({ name: 'ledger', namespace: NS, labels: { app: 'ledger' }, serviceAccount: 'ledger' })), []);
    const { listeners, clusters } = inboundResources(set, SIDECAR, APP);
    assert.equal(listeners.map((l) => l.filterChains.map((c) => c.name)), [[`inbound_0.0.0.0_${port}_mtls`]], 'one STRICT chain on the entry\'s target port');
    const pki = await testPki();
    const sidecar = await startSidecar({ clusters, endpoints: [], listeners, routes: [] }, await pki.workload(NS, 'ledger'), pki.ca.rootCertificatePem);
    xds = sidecar.xds;
    proxy = sidecar.proxy;
    await sidecar.ready();
    assert.equal(proxy.ads.nacks.map((n) => n.message), []);
    const as = async (ns: string, sa: string) => {
      const c = await pki.workload(ns, sa);
      return { host: SIDECAR, ca: pki.ca.rootCertificatePem, cert: c.certificateChainPem, key: c.privateKeyPem, checkServerIdentity: () => undefined };
    };

    const plain = await get(port, '/plain', {}, 'GET', undefined, SIDECAR).then((r) => `status ${r.status}`, (e: Error) => `error ${e.message}`);
    assert.match(plain, /^error /, 'STRICT: no raw_buffer chain');
    const web = await httpsGet(port, await as('web', 'frontend'), '/pay');
    assert.is(web.status, 200, JSON.stringify(web));
    assert.equal(JSON.parse(web.body!), { app: 'ledger', url: '/pay' });
    const other = await httpsGet(port, await as('shop', 'cart'), '/pay');
    assert.equal([other.status, other.body], [403, 'RBAC: access denied']);
    assert.equal(received, ['/pay'], 'only the admitted call reached the application');
  } finally {
    await proxy?.close();
    await xds?.close();
    await new Promise((r) => { app.closeAllConnections(); app.close(r); });
  }
});

test.run();
