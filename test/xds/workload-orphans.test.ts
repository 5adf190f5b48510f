/**
 * Workload-file entries that back no Service (a namespace no object of the input has, labels no
 * Service selects) are said at load, one line each, bounded: past five, one line counts the rest.
 * They are endpoints of nothing, so a typo there would otherwise only show as missing traffic.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe } from '../../src/cli/xds-command.js';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../cli/_io.js';
import { APP } from './_one-service-app.js';

const work = mkdtempSync(join(tmpdir(), 'meshproof-workload-orphans-'));
test.after(() => rmSync(work, { recursive: true, force: true }));
writeFileSync(join(work, 'app.yaml'), APP);

const entry = (name: string, namespace: string, labels: Record<string, string>, i: number) => ({ name, namespace, address: `10.0.0.${i}`, labels });

test('GIVEN a workload file with an entry of a mistyped namespace and one whose labels no Service selects WHEN xds compile loads it THEN one line names each, with what to fix; the entry that backs shop/web is not named', async () => {
  writeFileSync(join(work, 'two.json'), JSON.stringify({ workloads: [entry('web-1', 'shop', { app: 'web' }, 1), entry('web-2', 'shpo', { app: 'web' }, 2), entry('web-3', 'shop', { app: 'wbe' }, 3)] }));
  const io = captureIO(work);
  assert.is(await main(['xds', 'compile', 'app.yaml', '--workloads', 'two.json', '--out', join(work, 'out'), '--no-check'], io.io), 0, io.stderr());
  assert.equal(io.stderr().split('\n').filter((l) => l.includes('backs no Service')), [
    'xds compile: two.json: workloads[1] (shpo/web-2 at 10.0.0.2): namespace "shpo" has no object in the input (did you mean "shop"?), so it backs no Service and gets no traffic',
    'xds compile: two.json: workloads[2] (shop/web-3 at 10.0.0.3): its labels {app: wbe} match no Service selector in namespace shop, so it backs no Service and gets no traffic',
  ]);
});

test('GIVEN a workload file entry labelled as a pod of a Gateway API Gateway of the input WHEN xds compile loads it THEN it is not named (it backs the Service istiod creates with the Gateway); the same label naming no Gateway is', async () => {
  const gateway = 'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: web, namespace: shop}\nspec:\n  gatewayClassName: istio\n  listeners: [{name: http, port: 80, protocol: HTTP}]\n';
  writeFileSync(join(work, 'gw.yaml'), `${APP}\n---\n${gateway}`);
  const label = 'gateway.networking.k8s.io/gateway-name';
  writeFileSync(join(work, 'gw.json'), JSON.stringify({ workloads: [entry('web-istio', 'shop', { [label]: 'web' }, 1), entry('edge-istio', 'shop', { [label]: 'edge' }, 2)] }));
  const io = captureIO(work);
  assert.is(await main(['xds', 'compile', 'gw.yaml', '--workloads', 'gw.json', '--out', join(work, 'out-gw'), '--no-check'], io.io), 0, io.stderr());
  assert.equal(io.stderr().split('\n').filter((l) => l.includes('backs no Service')).map((l) => l.replace(/:.*?\(/, ': (')), [
    `xds compile: (shop/edge-istio at 10.0.0.2): its labels {${label}: edge} match no Service selector in namespace shop, so it backs no Service and gets no traffic`,
  ]);
});

test('GIVEN a workload file with seven entries that back no Service WHEN xds serve loads it, then reloads it unchanged THEN five lines name the first five and one counts the other two, once', async () => {
  writeFileSync(join(work, 'many.json'), JSON.stringify({ workloads: [entry('web-0', 'shop', { app: 'web' }, 10), ...Array.from({ length: 7 }, (_, i) => entry(`ghost-${i}`, 'shop', { app: `ghost-${i}` }, 20 + i))] }));
  const logs: string[] = [];
  const h = await startServe({ paths: ['app.yaml'], workloads: 'many.json', listen: '127.0.0.1:0', cwd: work, watch: false, check: false, log: (l) => logs.push(l) });
  try {
    await h.reload();
    const told = logs.filter((l) => l.includes('back no Service') || l.includes('backs no Service'));
    assert.equal(told.map((l) => l.replace(/ at 10\.0\.0\.\d+\).*/, ')')), [
      'xds serve: many.json: workloads[1] (shop/ghost-0)',
      'xds serve: many.json: workloads[2] (shop/ghost-1)',
      'xds serve: many.json: workloads[3] (shop/ghost-2)',
      'xds serve: many.json: workloads[4] (shop/ghost-3)',
      'xds serve: many.json: workloads[5] (shop/ghost-4)',
      'xds serve: … and 2 more workload entries that back no Service',
    ], logs.join('\n'));
  } finally {
    await h.close();
  }
});

test.run();
