/**
 * `xds compile` and `xds serve` take `check`'s mesh-shaping flags (`-c/--config`, `--exclude`,
 * `--max-*`, `--mesh-config`, `--cluster-domain`, `--context`: src/cli/mesh-flags.ts) with the same
 * meaning and precedence: a flag wins over the config's key, `--exclude` and `--context` add to it,
 * and `xds serve` watches the files the flags name.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { meshFlags } from '../../src/cli/mesh-flags.js';
import { startServe, type XdsServeHandle } from '../../src/cli/xds-command.js';
import { captureIO } from '../cli/_io.js';
import { CONFIG_YAML, configProject, MESH_CONFIG_YAML } from '../_config-project.js';

/** The project of `_config-project.ts` with its meshproof.config.yaml moved away (to `elsewhere.yaml`): nothing is found by search. */
function flagProject(prefix: string): string {
  const dir = configProject(prefix);
  renameSync(join(dir, 'meshproof.config.yaml'), join(dir, 'elsewhere.yaml'));
  return dir;
}

const BY_FLAGS = ['--cluster-domain', 'corp.example', '--mesh-config', 'platform/mesh-config.yaml', '--context', 'platform/dist'];

/** Outbound cluster names of a dump, with their connect timeouts. */
function dumpClusters(file: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (o: unknown): void => {
    if (Array.isArray(o)) for (const v of o) walk(v);
    else if (o !== null && typeof o === 'object') {
      const c = o as { name?: unknown; connect_timeout?: unknown };
      if (typeof c.name === 'string' && c.name.startsWith('outbound|') && typeof c.connect_timeout === 'string') out.set(c.name, c.connect_timeout);
      for (const v of Object.values(o)) walk(v);
    }
  };
  walk(JSON.parse(readFileSync(file, 'utf8')));
  return out;
}

async function compile(dir: string, ...args: string[]): Promise<{ code: number; out: string; clusters: () => Map<string, string> }> {
  const cap = captureIO(dir);
  const code = await main(['xds', 'compile', 'dist', '--out', 'out', ...args], cap.io);
  return { code, out: cap.stderr() + cap.stdout(), clusters: () => dumpClusters(join(dir, 'out', 'shop.web.json')) };
}

for (const noCheck of [[], ['--no-check']]) {
  test(`GIVEN no meshproof.config.yaml WHEN xds compile ${noCheck.join(' ')} is given --cluster-domain, --mesh-config and --context THEN the dumps carry all three, as check reads them`, async () => {
    const dir = flagProject('xds-flags');
    try {
      const r = await compile(dir, ...BY_FLAGS, ...noCheck);
      assert.is(r.code, 0, r.out);
      assert.is(r.clusters().get('outbound|8080||cart.shop.svc.corp.example'), '7s', [...r.clusters().keys()].join(', '));
      const check = captureIO(dir);
      assert.is(await main(['check', 'dist', ...BY_FLAGS], check.io), 0, check.stdout());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('GIVEN a config file outside the search path WHEN xds compile -c names it THEN its domain, MeshConfig and context apply; --cluster-domain wins over it', async () => {
  const dir = flagProject('xds-flags-config');
  try {
    const named = await compile(dir, '-c', 'elsewhere.yaml');
    assert.is(named.code, 0, named.out);
    assert.ok(named.clusters().has('outbound|8080||cart.shop.svc.corp.example'), [...named.clusters().keys()].join(', '));
    const overridden = await compile(dir, '--config', 'elsewhere.yaml', '--cluster-domain', 'corp9.example');
    assert.is(overridden.code, 0, overridden.out);
    assert.ok(overridden.clusters().has('outbound|8080||cart.shop.svc.corp9.example'), [...overridden.clusters().keys()].join(', '));
    assert.is(overridden.clusters().get('outbound|8080||cart.shop.svc.corp9.example'), '7s', 'the config\'s MeshConfig still applies');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN an input file the check suite rejects WHEN xds compile --exclude leaves it out THEN the rest compiles; without it, exit 2; --max-documents 1 is a limit reached (exit 2)', async () => {
  const dir = configProject('xds-flags-exclude');
  try {
    writeFileSync(join(dir, 'dist', 'broken.yaml'), 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: broken, namespace: shop }\nspec: { hosts: [web], http: [{ route: [{ destination: { host: nowhere } }] }] }\n');
    const refused = await compile(dir);
    assert.is(refused.code, 2, refused.out);
    assert.match(refused.out, /rejected by the check suite/);
    const excluded = await compile(dir, '--exclude', 'dist/broken.yaml');
    assert.is(excluded.code, 0, excluded.out);
    const limited = await compile(dir, '--exclude', 'broken.yaml', '--max-documents', '1');
    assert.is(limited.code, 2, limited.out);
    assert.match(limited.out, /limit of 1 YAML document/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN a bad mesh flag WHEN xds compile or xds serve starts THEN the usage error is check\'s, word for word, before anything is read', async () => {
  const dir = flagProject('xds-flags-bad');
  try {
    for (const [flag, value, message] of [
      ['--mesh-config', 'nope.yaml', '--mesh-config file not found: nope.yaml'],
      ['--config', 'nope.yaml', '--config file not found: nope.yaml'],
      ['--context', 'nope/', '--context path not found: nope/'],
      ['--cluster-domain', 'bad..domain', '--cluster-domain "bad..domain" is not a DNS name'],
      ['--exclude', '[', '--exclude "[" is not a valid glob'],
      ['--max-depth', '0', '--max-depth must be a whole number of at least 1; got "0"'],
    ] as const) {
      for (const argv of [['check', 'dist'], ['xds', 'compile', 'dist', '--out', 'out'], ['xds', 'serve', '--input', 'dist', '--listen', '127.0.0.1:0']]) {
        const cap = captureIO(dir);
        const code = await main([...argv, flag, value], cap.io);
        assert.is(code, 2, `${argv.join(' ')} ${flag} ${value}: ${cap.stderr()}`);
        assert.ok(cap.stderr().startsWith(`meshproof: ${message}`), `${argv.join(' ')}: ${cap.stderr()}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function until(f: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function served(h: XdsServeHandle): Map<string, number> {
  const snapshot = h.cache.getSnapshot('shop/web');
  return new Map((snapshot?.resources.clusters ?? []).filter((c) => c.name.startsWith('outbound|')).map((c) => [c.name, Number(c.connectTimeout?.seconds ?? -1)]));
}

test('GIVEN no meshproof.config.yaml WHEN xds serve runs with --mesh-config, --context, --cluster-domain THEN it serves that mesh, and editing the files the flags name reloads', async () => {
  const dir = flagProject('xds-flags-serve');
  const logs: string[] = [];
  const mesh = meshFlags({ 'mesh-config': 'platform/mesh-config.yaml', context: ['platform/dist'], 'cluster-domain': 'corp.example' }, { cwd: dir });
  const h = await startServe({ paths: ['dist'], listen: '127.0.0.1:0', cwd: dir, watch: true, debounceMs: 50, mesh, log: (l) => logs.push(l) });
  const why = () => `served: ${[...served(h)].join(', ')}\nlog:\n${logs.join('\n')}`;
  try {
    assert.is(served(h).get('outbound|8080||cart.shop.svc.corp.example'), 7, why());
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(dir, 'platform', 'mesh-config.yaml'), MESH_CONFIG_YAML.replace('7s', '9s'));
    await until(() => served(h).get('outbound|8080||cart.shop.svc.corp.example') === 9, 30_000, () => `the MeshConfig's connectTimeout 9s; ${why()}`);
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(dir, 'platform', 'dist', 'pay.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: pay, namespace: shop }\nspec: { selector: { app: cart }, ports: [{ name: http, port: 8081 }] }\n');
    await until(() => served(h).has('outbound|8081||pay.shop.svc.corp.example'), 30_000, () => `the context folder's new Service; ${why()}`);
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN xds serve --config naming a file outside the search path WHEN that file breaks and is fixed THEN the last good config keeps serving, then the fix is served', async () => {
  const dir = flagProject('xds-flags-serve-config');
  const logs: string[] = [];
  const h = await startServe({ paths: ['dist'], listen: '127.0.0.1:0', cwd: dir, watch: true, debounceMs: 50, mesh: meshFlags({ config: 'elsewhere.yaml' }, { cwd: dir }), log: (l) => logs.push(l) });
  try {
    assert.ok(served(h).has('outbound|8080||cart.shop.svc.corp.example'), logs.join('\n'));
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(dir, 'elsewhere.yaml'), `${CONFIG_YAML}clusterDomian: x\n`);
    await until(() => h.publish().outcome === 'unusable', 30_000, () => logs.join('\n'));
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(dir, 'elsewhere.yaml'), CONFIG_YAML.replace('corp.example', 'corp3.example'));
    await until(() => served(h).has('outbound|8080||cart.shop.svc.corp3.example'), 30_000, () => logs.join('\n'));
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
