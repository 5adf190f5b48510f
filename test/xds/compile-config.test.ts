/**
 * `meshproof xds compile` translates the mesh `meshproof check` judges: meshproof.config.yaml's
 * cluster domain, MeshConfig and context paths apply to the dumps, with and without `--no-check`.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../cli/_io.js';
import { configProject } from '../_config-project.js';

interface Named { readonly name?: string; readonly connect_timeout?: string }

/** Every object with a `name` in the dump, by name (clusters, virtual hosts, routes…). */
function named(dump: unknown): Map<string, Named> {
  const out = new Map<string, Named>();
  const walk = (o: unknown): void => {
    if (Array.isArray(o)) for (const v of o) walk(v);
    else if (o !== null && typeof o === 'object') {
      const n = (o as Named).name;
      if (typeof n === 'string' && !out.has(n)) out.set(n, o as Named);
      for (const v of Object.values(o)) walk(v);
    }
  };
  walk(dump);
  return out;
}

for (const flags of [[], ['--no-check']]) {
  test(`GIVEN meshproof.config.yaml with clusterDomain corp.example, a REGISTRY_ONLY MeshConfig with connectTimeout 7s and a context folder holding Service cart WHEN xds compile ${flags.join(' ')} THEN the dumps carry all three`, async () => {
    const dir = configProject('xds-compile-config');
    try {
      const cap = captureIO(dir);
      const code = await main(['xds', 'compile', 'dist', '--out', 'out', ...flags], cap.io);
      assert.is(code, 0, cap.stderr() + cap.stdout());
      const web = named(JSON.parse(readFileSync(join(dir, 'out', 'shop.web.json'), 'utf8')));
      const cart = web.get('outbound|8080||cart.shop.svc.corp.example');
      assert.ok(cart, `the context Service cart is a cluster named with the configured domain; clusters: ${[...web.keys()].filter((k) => k.startsWith('outbound|')).join(', ')}`);
      assert.is(cart!.connect_timeout, '7s', 'MeshConfig connectTimeout');
      assert.ok(web.has('outbound|80||web.shop.svc.corp.example'));
      assert.not.ok([...web.keys()].some((k) => k.endsWith('.svc.cluster.local')), 'no host under the default domain');
      assert.ok(web.has('block_all:8080'), `REGISTRY_ONLY: unknown hosts get the block_all virtual host; names: ${[...web.keys()].filter((k) => k.includes(':')).join(', ')}`);
      assert.not.ok([...web.keys()].some((k) => k.startsWith('allow_any')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
