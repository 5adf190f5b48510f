/**
 * security/workload-entry-without-tls-mode: its severity follows the consequence. A WorkloadEntry
 * without serviceAccount or tlsMode label gets TLS mode disabled from istiod (serviceentry/conversion.go
 * getTLSModeFromWorkloadEntry), so auto mTLS sends it plaintext: refused when the PeerAuthentication on
 * it is STRICT (error), merely unauthenticated otherwise (warning); an ISTIO_MUTUAL DestinationRule
 * makes clients originate mTLS whatever the endpoint's TLS mode, so STRICT then refuses nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import rule from '../../../src/checks/rules/security/workload-entry-without-tls-mode.js';
import { findingsOf } from './_harness.js';

/** billing behind a ServiceEntry, its VM's WorkloadEntry written as `entry`, plus `more`. */
async function findings(entry: string, more = '') {
  const found = await findingsOf(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: billing, namespace: vms}
spec:
  hosts: [billing.vms.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{name: http, number: 9000, protocol: HTTP}]
  workloadSelector: {labels: {app: billing}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: billing-vm, namespace: vms}
spec:
  address: 10.0.0.6
${entry}
${more}`, [rule]);
  return found.map((f) => [f.severity, f.location.line, f.message]);
}

const STRICT_SELECTING = `---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: billing, namespace: vms}
spec:
  selector: {matchLabels: {app: billing}}
  mtls: {mode: STRICT}`;

test('GIVEN a STRICT PeerAuthentication selecting a WorkloadEntry without serviceAccount or tlsMode label WHEN checked THEN an error: auto mTLS sends plaintext, the sidecar refuses it', async () => {
  const found = await findings('  labels: {app: billing}', STRICT_SELECTING);
  assert.equal(found.map(([s, l]) => [s, l]), [['error', 14]]);
  assert.match(String(found[0]![2]), /yet PeerAuthentication vms\/billing selects it; PeerAuthentication vms\/billing is STRICT on it, so its sidecar refuses that plaintext and calls to it fail\. Fix: set spec\.serviceAccount/);
});

test('GIVEN the same entry with a serviceAccount, or with the tlsMode label WHEN checked THEN nothing', async () => {
  assert.equal(await findings('  serviceAccount: billing\n  labels: {app: billing}', STRICT_SELECTING), []);
  assert.equal(await findings('  labels: {app: billing, security.istio.io/tlsMode: istio}', STRICT_SELECTING), []);
});

test('GIVEN a PERMISSIVE PeerAuthentication selecting it, or an ISTIO_MUTUAL DestinationRule toward its host under STRICT WHEN checked THEN a warning: calls arrive, without mTLS or with the identity unmatched', async () => {
  const permissive = STRICT_SELECTING.replace('STRICT', 'PERMISSIVE');
  assert.equal((await findings('  labels: {app: billing}', permissive)).map(([s]) => s), ['warning']);
  const mutual = `${STRICT_SELECTING}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: billing, namespace: vms}
spec:
  host: billing.vms.internal
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}`;
  const withMutual = await findings('  labels: {app: billing}', mutual);
  assert.equal(withMutual.map(([s]) => s), ['warning']);
  assert.match(String(withMutual[0]![2]), /DestinationRule vms\/billing's ISTIO_MUTUAL makes callers originate mTLS to it all the same/);
});

test('GIVEN only a namespace-wide STRICT policy and nothing else expecting a sidecar on the VM WHEN checked THEN nothing (a VM without the sidecar accepts plaintext)', async () => {
  const nsStrict = `---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: vms}
spec:
  mtls: {mode: STRICT}`;
  assert.equal(await findings('  labels: {app: billing}', nsStrict), []);
});

test.run();
