/**
 * security/tls-disable-toward-strict also covers tls.mode SIMPLE: the client sidecar originates TLS without a client
 * certificate, and a STRICT inbound listener has only Istio mTLS filter chains (client certificate from the mesh CA),
 * so the handshake fails as plaintext does. PERMISSIVE servers and servers without a sidecar are left alone;
 * MUTUAL (which may carry mesh certificates) and ISTIO_MUTUAL are not reported.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/security/tls-disable-toward-strict.js';
import { findingsOf } from './_harness.js';

function findings(tls: string, serverMode = 'STRICT', podLabels = '{app: ledger}') {
  return findingsOf(`apiVersion: v1
kind: Namespace
metadata: {name: ledger, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Service
metadata: {name: ledger, namespace: ledger}
spec:
  selector: {app: ledger}
  ports: [{name: https-api, port: 8443}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ledger, namespace: ledger}
spec:
  selector: {matchLabels: {app: ledger}}
  template:
    metadata: {labels: ${podLabels}}
    spec: {containers: [{name: app, image: ledger:1, ports: [{containerPort: 8443}]}]}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: ledger}
spec: {mtls: {mode: ${serverMode}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ledger-tls, namespace: shop}
spec:
  host: ledger.ledger.svc.cluster.local
  trafficPolicy: {tls: ${tls}}
`, [rule]);
}

test('GIVEN tls.mode SIMPLE toward a STRICT sidecar WHEN checked THEN one error saying TLS without a client certificate', async () => {
  const found = await findings('{mode: SIMPLE, sni: ledger.ledger.svc.cluster.local}');
  assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
  assert.ok(found[0]!.message.includes('tls.mode SIMPLE') && found[0]!.message.includes('without a client certificate') && found[0]!.message.includes('PERMISSIVE port'), found[0]!.message);
});

test('GIVEN tls.mode SIMPLE toward a PERMISSIVE server WHEN checked THEN nothing (the app may serve TLS itself)', async () => {
  assert.equal((await findings('{mode: SIMPLE}', 'PERMISSIVE')).map((f) => f.message), []);
});

test('GIVEN tls.mode SIMPLE toward STRICT pods that opt out of injection WHEN checked THEN nothing', async () => {
  assert.equal((await findings('{mode: SIMPLE}', 'STRICT', '{app: ledger, sidecar.istio.io/inject: "false"}')).map((f) => f.message), []);
});

for (const mode of ['ISTIO_MUTUAL', 'MUTUAL, clientCertificate: /etc/certs/cert-chain.pem, privateKey: /etc/certs/key.pem']) {
  test(`GIVEN tls.mode ${mode.split(',')[0]} toward STRICT WHEN checked THEN nothing`, async () => {
    assert.equal((await findings(`{mode: ${mode}}`)).map((f) => f.message), []);
  });
}

test.run();
