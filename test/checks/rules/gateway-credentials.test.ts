import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { credentialRef } from '../../../src/checks/rules/gateway/_credentials.js';

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

test.run();
