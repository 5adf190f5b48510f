/**
 * `keyPairProblem`: a Gateway API certificateRef Secret as istiod loads it (ExtractCertInfo, then Go tls.X509KeyPair):
 * a CERTIFICATE block (the first one the leaf) and a private key of that certificate, PKCS #8, SEC 1 or PKCS #1,
 * not encrypted; validity dates are not judged.
 */
import { createPrivateKey } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keyPairProblem } from '../../../src/checks/rules/gateway/_key-pair.js';
import type { MeshObject } from '../../../src/mesh/object.js';
import { createCa } from '../../../src/pki/ca.js';
import { issueServerCertificate } from '../../../src/pki/issue.js';

const secret = (stringData: Record<string, string>) => ({ body: { stringData } }) as unknown as MeshObject;

test('GIVEN issued server certificates WHEN their Secrets are judged THEN a matching key passes in every encoding, a chain passes, and a wrong, encrypted or switched key is named', async () => {
  const ca = await createCa({ trustDomain: 'cluster.local' });
  const a = await issueServerCertificate(ca, { dnsNames: ['shop.example.com'] });
  const b = await issueServerCertificate(ca, { dnsNames: ['api.example.com'] });
  const key = createPrivateKey(a.privateKeyPem);
  assert.is(keyPairProblem(secret({ 'tls.crt': a.certificatePem, 'tls.key': a.privateKeyPem })), undefined, 'PKCS #8');
  assert.is(keyPairProblem(secret({ 'tls.crt': a.certificateChainPem, 'tls.key': key.export({ format: 'pem', type: 'sec1' }) as string })), undefined, 'SEC 1 key, leaf then CA');
  assert.is(keyPairProblem(secret({ cert: a.certificatePem, key: a.privateKeyPem, 'tls.crt': 'unread' })), undefined, 'cert and key first');
  assert.match(keyPairProblem(secret({ 'tls.crt': a.certificatePem, 'tls.key': b.privateKeyPem }))!, 'tls.key is not the key of the certificate in tls.crt');
  const encrypted = key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' }) as string;
  assert.match(keyPairProblem(secret({ 'tls.crt': a.certificatePem, 'tls.key': encrypted }))!, 'it is encrypted');
  assert.match(keyPairProblem(secret({ 'tls.crt': a.privateKeyPem, 'tls.key': a.certificatePem }))!, 'tls.crt holds a private key, not a certificate');
  assert.match(keyPairProblem(secret({ 'tls.crt': a.certificatePem, 'tls.key': a.certificatePem }))!, 'tls.key holds a certificate rather than a private key');
  assert.match(keyPairProblem(secret({ 'tls.crt': a.certificatePem, 'tls.key': '' }))!, 'needs non-empty tls.crt and tls.key');
});

test.run();
