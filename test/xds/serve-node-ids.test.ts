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

test('GIVEN xds serve WHEN node ids carry a newline or a terminal escape THEN each is logged and told quoted and escaped, one line per message, never raw', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-node-ids-'));
  writeFileSync(join(work, 'app.yaml'), APP + rule('50'));
  const logs: string[] = [];
  const h = await startServe({ paths: ['app.yaml'], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, log: (l) => logs.push(l) });
  try {
    const forged = 'xds serve: 9 snapshot(s) published';
    const cases: [string, string][] = [
      [`shop/web\n${forged}`, `node.id "shop/web\\n${forged}" names no node`],
      ['shop/web\u001b[2J', 'node.id "shop/web\\u001b[2J" names no node'],
      [`shop/web?bind=127.0.0.1&as=shop/x\n${forged}`, `as="shop/x\\n${forged}" is not`],
      [`sidecar~10.0.0.1~nothing-7d4f9.shop~shop.svc.cluster.local\n${forged}`, `node "sidecar~10.0.0.1~nothing-7d4f9.shop~shop.svc.cluster.local\\n${forged}" (shop/nothing-7d4f9) has no snapshot`],
    ];
    for (const [id, said] of cases) {
      const s = openAds(h.port);
      s.send({ node: { id }, typeUrl: TYPE_URL.cluster });
      const ended = await Promise.race([s.ended, s.silentFor(300).then(() => undefined)]);
      if (ended) assert.ok(ended.details.includes(said), ended.details);
      s.close();
      assert.ok(logs.some((l) => l.includes(said)), `${said}\n${logs.join('\n')}`);
    }
    for (const l of logs) assert.not.match(l, /[\n\u001b]/, JSON.stringify(l));
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN xds serve WHEN a client cycles through 60 unknown node ids THEN at most 20 are logged in the minute (a client cannot grow the log at will), every stream still gets its answer', async () => {
  const work = mkdtempSync(join(tmpdir(), 'meshproof-node-ids-'));
  writeFileSync(join(work, 'app.yaml'), APP + rule('50'));
  const logs: string[] = [];
  const h = await startServe({ paths: ['app.yaml'], listen: '127.0.0.1:0', cwd: work, watch: false, check: false, log: (l) => logs.push(l) });
  try {
    for (let i = 0; i < 60; i++) {
      const s = openAds(h.port);
      s.send({ node: { id: i % 2 === 0 ? `shop/nothing-${i}` : `Shop/Bad-${i}` }, typeUrl: TYPE_URL.cluster });
      // A malformed id ends its stream (waited for, however loaded the machine); an unknown one stays open, silent.
      const ended = i % 2 === 1 ? await Promise.race([s.ended, s.silentFor(10_000).then(() => undefined)]) : await Promise.race([s.ended, s.silentFor(50).then(() => undefined)]);
      if (i % 2 === 1) assert.is(ended?.code, grpc.status.INVALID_ARGUMENT, `stream ${i} is told why`);
      s.close();
    }
    const told = logs.filter((l) => /has no snapshot|names no node/.test(l));
    assert.is(told.length, 20, logs.join('\n'));
  } finally {
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
