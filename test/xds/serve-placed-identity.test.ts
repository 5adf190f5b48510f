/**
 * `xds serve` and a placed proxy's `as=<namespace>/<service account>`: node ids are trusted, so the
 * identity asked for gets its certificate, but one that matches no ServiceAccount of the input (a
 * typo, an account of another cluster) is logged once, naming the node: no policy naming a real
 * account admits it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe } from '../../src/cli/xds-command.js';
import { TYPE_URL } from '../../src/xds/resources.js';
import { openAds } from './_ads-client.js';
import { APP } from './_one-service-app.js';

test('GIVEN placed proxies WHEN their as= names no ServiceAccount of the input THEN one line per node says so, and an account the input has (an object, or one a workload runs as) is served silently', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-placed-identity-'));
  writeFileSync(join(work, 'app.yaml'), `${APP}---
apiVersion: v1
kind: ServiceAccount
metadata: { name: payments, namespace: shop }
`);
  const logs: string[] = [];
  const h = await startServe({ paths: ['app.yaml'], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, log: (l) => logs.push(l) });
  const served = async (id: string) => {
    const s = openAds(h.port);
    try {
      s.send({ node: { id }, typeUrl: TYPE_URL.listener, resourceNames: [] });
      assert.ok((await s.next(30_000)).resources.length > 0, `${id} gets its listeners`);
    } finally {
      s.close();
    }
  };
  try {
    const typo = 'shop/web?bind=127.0.0.1&as=shop/nosuchsa';
    await served(typo);
    await served(typo);
    await served('shop/web?bind=127.0.0.2&as=shop/payments');
    await served('shop/web?bind=127.0.0.3&as=shop/default');
    const told = logs.filter((l) => l.includes('matches no ServiceAccount'));
    assert.equal(told, [
      `xds serve: node "${typo}": its identity as=shop/nosuchsa (spiffe://cluster.local/ns/shop/sa/nosuchsa) matches no ServiceAccount of app.yaml (no ServiceAccount object, no workload runs as it); it gets that certificate, but no policy naming a real service account admits it`,
    ], logs.join('\n'));
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
