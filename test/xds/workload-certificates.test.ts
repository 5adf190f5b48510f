import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCa } from '../../src/pki/index.js';
import { WorkloadCertificates } from '../../src/xds/sds/workload-certificates.js';

test('GIVEN workload certificates on a clock WHEN it passes half their life THEN due() turns true and certificateFor re-issues, after which nothing is due', async () => {
  let clock = Date.now();
  const certs = new WorkloadCertificates(await createCa({ trustDomain: 'cluster.local' }), { ttlSeconds: 3600, now: () => clock });
  assert.is(await certs.due(), false, 'nothing held: nothing due');
  const first = await certs.certificateFor('spiffe://cluster.local/ns/shop/sa/default');
  assert.is(await certs.due(), false, 'just issued');
  clock += 1700 * 1000;
  assert.is(await certs.due(), false, 'before half its life');
  clock += 200 * 1000;
  assert.is(await certs.due(), true, 'past half its life');
  const second = await certs.certificateFor('spiffe://cluster.local/ns/shop/sa/default');
  assert.is.not(second, first, 're-issued');
  // The new certificate is issued at real time: back to it.
  clock = Date.now();
  assert.is(await certs.due(), false, 'the new one is not due');
});

test.run();
