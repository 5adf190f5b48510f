import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzerMissesScheme, certificateProblem, credentialRef } from '../../../src/checks/rules/gateway/_credentials.js';
import type { MeshObject } from '../../../src/mesh/object.js';

/** A valid (2020-2100) certificate and its key, base64 as in a Secret's data, taken from the parity variants. */
function pemPair(): { crt: string; key: string } {
  const text = fs.readFileSync(path.resolve(import.meta.dirname, '../../fixtures/cases/istio-parity-variants/secret-v1-secret-in-pod-namespace.yaml'), 'utf8');
  return { crt: text.match(/tls\.crt: (\S+)/)![1]!, key: text.match(/tls\.key: (\S+)/)![1]! };
}
const secret = (data: Record<string, string>) => ({ body: { data } }) as unknown as MeshObject;
const NOW = new Date('2026-01-01T00:00:00Z');

test('GIVEN credentialName forms WHEN resolved for pods in "edge" THEN the Secret istiod reads is named', () => {
  const table: [string, ReturnType<typeof credentialRef>][] = [
    ['shop-tls', { namespace: 'edge', name: 'shop-tls' }],
    ['shop/shop-tls', { namespace: 'shop', name: 'shop-tls' }],
    ['kubernetes://shop-tls', { namespace: 'edge', name: 'shop-tls' }],
    ['kubernetes-gateway://shop/shop-tls', { namespace: 'shop', name: 'shop-tls' }],
    ['sds://vault/shop', undefined],
  ];
  for (const [cn, want] of table) assert.equal(credentialRef(cn, 'edge'), want, cn);
});

test('GIVEN a Secret whose certificate or key is present but EMPTY WHEN checked THEN it is refused like Istio hasValue() does, naming the empty key', () => {
  const { crt, key } = pemPair();
  assert.is(certificateProblem(secret({ 'tls.crt': crt, 'tls.key': key }), NOW), undefined);
  assert.is(certificateProblem(secret({ cert: crt, key }), NOW), undefined);
  const emptyKey = certificateProblem(secret({ 'tls.crt': crt, 'tls.key': '' }), NOW);
  assert.ok(emptyKey?.includes('(empty: tls.key)'), emptyKey);
  assert.ok(certificateProblem(secret({ cert: '', key }), NOW)?.includes('(empty: cert)'));
  // An empty generic pair falls back to a filled tls.* pair, as ExtractCertInfo does.
  assert.is(certificateProblem(secret({ cert: '', key: '', 'tls.crt': crt, 'tls.key': key }), NOW), undefined);
});

test('GIVEN credentialName forms WHEN asked whether istioctl analyze can find them THEN kubernetes:// and kubernetes-gateway:// names cannot (split at the first "/")', () => {
  assert.equal(['kubernetes://shop-tls', 'KUBERNETES-GATEWAY://shop/shop-tls', 'shop-tls', 'shop/shop-tls', 'sds://vault-cert'].map(analyzerMissesScheme), [true, true, false, false, false]);
});

test.run();
