/**
 * Per-route TypeScript lines in the source map (`SourceOrigin.fields`): a finding on one HTTP route
 * of a RouteTable points at the `addRoute` call that added it (or the CanaryRelease that did), not
 * at `new RouteTable(...)`. End to end, as a user runs it: an app process synthesizes dist/ and
 * `.meshproof/sourcemap.json`, then `meshproof check` reads them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../../..');

const APP = (src: (f: string) => string): string[] => [
  `import { Chart } from 'cdk8s';`,
  `import { MeshApp } from ${src('app/mesh-app.ts')};`,
  `import { CanaryRelease } from ${src('constructs/canary-release.ts')};`,
  `import { MeshService } from ${src('constructs/mesh-service.ts')};`,
  `import { RouteTable } from ${src('constructs/route-table.ts')};`,
  `import { Duration } from ${src('constructs/duration.ts')};`,
  `import { StringMatch } from ${src('constructs/string-match.ts')};`,
  `const app = new MeshApp();`,
  `const chart = new Chart(app, 'shop', { namespace: 'shop' });`,
  `const cart = new MeshService(chart, 'cart', { name: 'cart', ports: [{ port: 8080, protocol: 'http' }], versions: [{ name: 'v1', image: 'cart:1' }, { name: 'v2', image: 'cart:2' }] });`,
  `const web = new MeshService(chart, 'web', { name: 'web', ports: [{ port: 8080, protocol: 'http' }], versions: [{ name: 'v1', image: 'web:1' }] });`,
  `const routes = new RouteTable(chart, 'web-routes', { hosts: [web] });`,
  `routes.addRoute({ name: 'beta', match: [{ headers: { 'x-beta': StringMatch.exact('1') } }], route: [{ destination: web, subset: 'v1' }] });`,
  ``,
  `routes.addRoute({ name: 'default', route: [{ destination: web, subset: 'v1' }], timeout: Duration.seconds(2),`,
  `  retries: { attempts: 3, retryOn: ['5xx'] } });`,
  `new CanaryRelease(chart, 'cart-canary', { service: cart, stable: 'v1', canary: 'v2', canaryWeight: 10, timeout: Duration.seconds(2), retries: { attempts: 2 } });`,
  `app.synth();`,
  ``,
];

test('GIVEN an app whose RouteTable gets its routes from addRoute calls on other lines (one with retries but no perTryTimeout) and a CanaryRelease WHEN synthesized and checked THEN the source map holds a line per route AND the finding on the route points at its addRoute line, the object at its RouteTable line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-route-lines-'));
  try {
    fs.mkdirSync(path.join(dir, 'apps'));
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    const lines = APP((f) => JSON.stringify(path.join(ROOT, 'src', f)));
    fs.writeFileSync(path.join(dir, 'apps/shop.ts'), lines.join('\n'));
    const lineOf = (text: string) => lines.findIndex((l) => l.includes(text)) + 1;
    const synth = spawnSync(process.execPath, ['--import', 'tsx', 'apps/shop.ts'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CDK8S_OUTDIR: '' }, timeout: 120_000 });
    assert.is(synth.status, 0, synth.stderr);

    const map = JSON.parse(fs.readFileSync(path.join(dir, '.meshproof/sourcemap.json'), 'utf8')) as { objects: Record<string, { kind: string; name: string; line?: number; fields?: Record<string, { file: string; line: number }> }> };
    const entry = (kind: string, name: string) => Object.values(map.objects).find((e) => e.kind === kind && e.name === name)!;
    const web = entry('VirtualService', 'web');
    assert.is(web.line, lineOf(`new RouteTable(chart, 'web-routes'`));
    assert.equal(web.fields, {
      'spec.http.0': { file: 'apps/shop.ts', line: lineOf(`routes.addRoute({ name: 'beta'`) },
      'spec.http.1': { file: 'apps/shop.ts', line: lineOf(`routes.addRoute({ name: 'default'`) },
    });
    const cart = entry('VirtualService', 'cart');
    assert.is(cart.fields, undefined, 'the CanaryRelease made the VirtualService and its routes on one line: nothing to add');

    const check = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/dev-cli.ts'), 'check', '--format', 'json', 'dist'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    const findings = (JSON.parse(check.stdout) as { findings: { ruleId: string; resource: { name: string } | null; source: { file: string; line: number; fields?: unknown } | null }[] }).findings;
    const retries = findings.filter((f) => f.ruleId === 'resilience/retries-without-per-try-timeout' && f.resource?.name === 'web');
    assert.equal(retries.map((f) => f.source), [{ constructPath: 'shop/web-routes/Resource', file: 'apps/shop.ts', line: lineOf(`routes.addRoute({ name: 'default'`) }], JSON.stringify(findings, null, 1));
    const objectLevel = findings.filter((f) => f.resource?.name === 'web' && f.ruleId !== 'resilience/retries-without-per-try-timeout');
    for (const f of objectLevel) assert.ok(f.source === null || f.source.fields === undefined, 'findings carry no per-field map');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
