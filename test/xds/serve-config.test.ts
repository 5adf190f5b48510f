/**
 * `xds serve` serves the mesh `meshproof check` judges: meshproof.config.yaml's cluster domain,
 * MeshConfig and context paths apply, and editing a context file, the MeshConfig file or the config
 * file itself reloads and pushes, as editing an input does.
 */
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServe, type XdsServeHandle } from '../../src/cli/xds-command.js';
import { CONFIG_YAML, configProject, MESH_CONFIG_YAML } from '../_config-project.js';

async function until(f: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The outbound clusters served to shop/web, name → connect timeout in seconds. */
function clusters(h: XdsServeHandle): Map<string, number> {
  const snapshot = h.cache.getSnapshot('shop/web');
  return new Map((snapshot?.resources.clusters ?? []).filter((c) => c.name.startsWith('outbound|')).map((c) => [c.name, Number(c.connectTimeout?.seconds ?? -1)]));
}

for (const check of [true, false]) {
  test(`GIVEN a project whose meshproof.config.yaml names clusterDomain, a MeshConfig and a context folder WHEN xds serve${check ? '' : ' --no-check'} runs and each of those files is edited THEN the served clusters follow every edit`, async () => {
    const dir = configProject('xds-serve-config');
    const logs: string[] = [];
    const published = () => logs.filter((l) => /snapshot\(s\) published/.test(l)).length;
    const h = await startServe({ paths: ['dist'], listen: '127.0.0.1:0', cwd: dir, watch: true, debounceMs: 50, check, log: (l) => logs.push(l) });
    const served = () => `served: ${[...clusters(h)].join(', ')}\nlog:\n${logs.join('\n')}`;
    try {
      assert.is(clusters(h).get('outbound|8080||cart.shop.svc.corp.example'), 7, served());
      assert.not.ok([...clusters(h).keys()].some((k) => k.endsWith('.cluster.local')), served());

      await new Promise((r) => setTimeout(r, 100));
      appendFileSync(join(dir, 'platform', 'dist', 'cart.yaml'), '---\napiVersion: v1\nkind: Service\nmetadata: { name: pay, namespace: shop }\nspec: { selector: { app: cart }, ports: [{ name: http, port: 8081 }] }\n');
      await until(() => clusters(h).has('outbound|8081||pay.shop.svc.corp.example'), 30_000, () => `the context file's new Service; ${served()}`);

      await new Promise((r) => setTimeout(r, 100));
      writeFileSync(join(dir, 'platform', 'mesh-config.yaml'), MESH_CONFIG_YAML.replace('7s', '9s'));
      await until(() => clusters(h).get('outbound|8080||cart.shop.svc.corp.example') === 9, 30_000, () => `the MeshConfig's connectTimeout 9s; ${served()}`);

      await new Promise((r) => setTimeout(r, 100));
      const before = published();
      writeFileSync(join(dir, 'meshproof.config.yaml'), CONFIG_YAML.replace('corp.example', 'corp2.example'));
      await until(() => clusters(h).has('outbound|8080||cart.shop.svc.corp2.example'), 30_000, () => `the config file's new clusterDomain; ${served()}`);
      assert.ok(published() > before);
      assert.is(readFileSync(join(dir, 'dist', 'app.yaml'), 'utf8').includes('corp'), false, 'the input itself never changed');
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('GIVEN xds serve on a project WHEN meshproof.config.yaml is broken, then fixed THEN the last good config keeps serving, the reason is logged, and the fix is served', async () => {
  const dir = configProject('xds-serve-config-bad');
  const logs: string[] = [];
  const h = await startServe({ paths: ['dist'], listen: '127.0.0.1:0', cwd: dir, watch: true, debounceMs: 50, log: (l) => logs.push(l) });
  try {
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(dir, 'meshproof.config.yaml'), `${CONFIG_YAML}clusterDomian: x\n`);
    await until(() => h.publish().outcome === 'unusable', 30_000, () => logs.join('\n'));
    assert.match(h.publish().errors.join('\n'), /meshproof\.config\.yaml:4:1: .*clusterDomian/);
    assert.ok(logs.some((l) => /keeping the last good config/.test(l)), logs.join('\n'));
    assert.ok(clusters(h).has('outbound|8080||cart.shop.svc.corp.example'));
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(dir, 'meshproof.config.yaml'), CONFIG_YAML.replace('corp.example', 'corp3.example'));
    await until(() => clusters(h).has('outbound|8080||cart.shop.svc.corp3.example'), 30_000, () => logs.join('\n'));
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
