/**
 * `meshproof map` draws the mesh `meshproof check` judges: hosts named with meshproof.config.yaml's
 * cluster domain, destinations resolved against its context files; context VirtualServices are
 * not drawn (they belong to another repository's map).
 */
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../cli/_io.js';
import { configProject } from '../_config-project.js';

test('GIVEN a project whose meshproof.config.yaml sets clusterDomain corp.example and a context folder WHEN meshproof map dist runs THEN the input\'s hosts carry that domain and the context\'s VirtualService is not drawn', async () => {
  const dir = configProject('map-config');
  try {
    appendFileSync(join(dir, 'platform', 'dist', 'cart.yaml'), '---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: platform-only, namespace: shop }\nspec: { hosts: [platform-only.example.com], http: [{ route: [{ destination: { host: cart } }] }] }\n');
    const c = captureIO(dir);
    assert.is(await main(['map', 'dist', '--out', 'map.html'], c.io), 0, c.stderr());
    const html = readFileSync(join(dir, 'map.html'), 'utf8');
    assert.ok(html.includes('cart.shop.svc.corp.example'), 'the host under the configured domain');
    assert.not.ok(html.includes('svc.cluster.local'), 'nothing under the default domain');
    assert.not.ok(html.includes('platform-only'), 'the context VirtualService is not drawn');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
