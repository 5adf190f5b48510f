/**
 * `xds serve` and node ids: an id that can never name a node ends its stream with INVALID_ARGUMENT
 * saying which forms are accepted (an Envoy would otherwise wait, initializing, with nothing said);
 * a well-formed id of a node not in the input stays open (a reload may bring it) and is logged.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe } from '../../src/cli/xds-command.js';
import { TYPE_URL } from '../../src/xds/resources.js';
import { openAds } from './_ads-client.js';
import { APP, rule } from './_one-service-app.js';

test('GIVEN xds serve WHEN streams identify as malformed node ids THEN each ends INVALID_ARGUMENT naming the accepted forms; a well-formed unknown node stays open; a known one is served', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-node-ids-'));
  writeFileSync(join(work, 'app.yaml'), APP + rule('50'));
  const logs: string[] = [];
  const h = await startServe({ paths: ['app.yaml'], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, log: (l) => logs.push(l) });
  try {
    for (const id of ['../../etc/passwd', 'Shop/Web', 'shop/web/extra', 'grpc:', 'sidecar~10.0.0.1~no-namespace~x']) {
      const s = openAds(h.port);
      s.send({ node: { id }, typeUrl: TYPE_URL.cluster });
      const status = await s.ended;
      assert.is(status.code, grpc.status.INVALID_ARGUMENT, id);
      assert.match(status.details, `node.id "${id}" names no node: expected "<namespace>/<workload>"`);
      s.close();
    }
    const unknown = openAds(h.port);
    const known = openAds(h.port);
    try {
      unknown.send({ node: { id: 'shop/nothing' }, typeUrl: TYPE_URL.cluster });
      assert.ok(await unknown.silentFor(300), 'open, nothing to send yet');
      assert.ok(logs.some((l) => l.includes('"shop/nothing" has no snapshot')), logs.join('\n'));
      known.send({ node: { id: 'shop/web' }, typeUrl: TYPE_URL.cluster });
      assert.ok((await known.next()).resources.length > 0);
    } finally {
      unknown.close();
      known.close();
    }
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
