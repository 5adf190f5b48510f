/**
 * What a failing synth prints: one line starting at the user's file:line:col, then construct
 * path, field, value and code; the stack only under DEBUG. Duration and Percent errors name the
 * construct and field that used them; NaN and Infinity print as themselves.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { enableSourceTracking } from '../../src/app/source-tracking.js';
import { formatError, PropError, showValue } from '../../src/constructs/_errors.js';
import { CanaryRelease } from '../../src/constructs/canary-release.js';
import { Duration } from '../../src/constructs/duration.js';
import { HeaderSplit } from '../../src/constructs/header-split.js';
import { StringMatch } from '../../src/constructs/string-match.js';
import { MeshService } from '../../src/constructs/mesh-service.js';
import { Percent } from '../../src/constructs/percent.js';
import { RouteTable } from '../../src/constructs/route-table.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const THIS_FILE = 'test/constructs/error-report.test.ts';

function caught(fn: () => void): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.unreachable('expected an error');
  return undefined;
}

function chartWithService(): { chart: Chart; svc: MeshService } {
  const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
  const svc = new MeshService(chart, 'cart', {
    name: 'cart', ports: [{ port: 8080, protocol: 'http' }], versions: [{ name: 'v1', image: 'cart:1' }, { name: 'v2', image: 'cart:2' }],
  });
  return { chart, svc };
}

test('GIVEN a bad canaryWeight WHEN formatted THEN one line: file:line:col, path, field, value, what is valid, code', () => {
  const { chart, svc } = chartWithService();
  const err = caught(() => new CanaryRelease(chart, 'cart-canary', { service: svc, stable: 'v1', canary: 'v2', canaryWeight: 120 }));
  const line = formatError(err, { root: ROOT, debug: false });
  assert.not.match(line, /\n/);
  assert.match(line, new RegExp(`^${THIS_FILE.replace(/\./g, '\\.')}:\\d+:\\d+ shop/cart-canary: canaryWeight is 120; expected an integer from 0 to 100 \\[MP_INVALID_WEIGHT\\]$`));
});

test('GIVEN a bad header name validated many frames below the user\'s line, called through 12 more user frames WHEN formatted THEN the line still starts at this file (Node keeps 10 frames by default)', () => {
  const { chart, svc } = chartWithService();
  const deep = (n: number): void => {
    if (n > 0) return deep(n - 1);
    new HeaderSplit(chart, 'cart-split', { service: svc, rules: [{ name: 'beta', match: { headers: { 'X-Tenant': StringMatch.regex('beta-.*') } }, subset: 'v2' }], defaultSubset: 'v1' });
  };
  const err = caught(() => deep(12));
  assert.instance(err, PropError);
  assert.match(formatError(err, { root: ROOT, debug: false }), new RegExp(`^${THIS_FILE.replace(/\./g, '\\.')}:\\d+:\\d+ shop/cart-split: .*X-Tenant.*\\[MP_INVALID_HEADER_NAME\\]$`));
  assert.is(Error.stackTraceLimit, 10, 'the default is restored');
});

test('GIVEN the same error WHEN formatted with debug THEN the stack follows the line', () => {
  const { chart, svc } = chartWithService();
  const err = caught(() => new CanaryRelease(chart, 'cart-canary', { service: svc, stable: 'v1', canary: 'v2', canaryWeight: 120 }));
  const [first, ...rest] = formatError(err, { root: ROOT, debug: true }).split('\n');
  assert.match(first!, /\[MP_INVALID_WEIGHT\]$/);
  assert.ok(rest.some((l) => l.includes('new CanaryRelease')), rest.join('\n'));
});

test('GIVEN DEBUG in the environment WHEN formatted with defaults THEN the stack follows; without it, one line', () => {
  const err = new PropError('MP_INVALID_PROP', 'x/y', 'f', 1, 'expected 2');
  const saved = process.env.DEBUG;
  try {
    process.env.DEBUG = '1';
    assert.ok(formatError(err, { root: ROOT }).split('\n').length > 1);
    delete process.env.DEBUG;
    assert.is(formatError(err, { root: ROOT }).split('\n').length, 1);
  } finally {
    if (saved === undefined) delete process.env.DEBUG;
    else process.env.DEBUG = saved;
  }
});

test('GIVEN Duration.seconds(NaN) as a timeout WHEN the construct uses it THEN the error names construct, field and NaN', () => {
  const { chart, svc } = chartWithService();
  const timeout = Duration.seconds(NaN);
  const err = caught(() => new CanaryRelease(chart, 'cart-canary', { service: svc, stable: 'v1', canary: 'v2', canaryWeight: 10, timeout }));
  assert.ok(err instanceof PropError);
  assert.is(err.code, 'MP_INVALID_DURATION');
  assert.is(err.message.split(';')[0], 'shop/cart-canary: timeout is Duration.seconds(NaN)');
});

test('GIVEN Percent.of(Infinity) as mirrorToCanary WHEN the construct uses it THEN the error names construct, field and Infinity', () => {
  const { chart, svc } = chartWithService();
  const err = caught(() => new CanaryRelease(chart, 'cart-canary', { service: svc, stable: 'v1', canary: 'v2', canaryWeight: 10, mirrorToCanary: Percent.of(Infinity) }));
  assert.ok(err instanceof PropError);
  assert.is(err.code, 'MP_INVALID_PERCENT');
  assert.is(err.message.split(';')[0], 'shop/cart-canary: mirrorToCanary is Infinity');
});

test('GIVEN a bare NaN weight WHEN refused THEN the message says NaN, not null', () => {
  const { chart, svc } = chartWithService();
  const err = caught(() => new CanaryRelease(chart, 'c', { service: svc, stable: 'v1', canary: 'v2', canaryWeight: NaN })) as PropError;
  assert.is(err.message.split(';')[0], 'shop/c: canaryWeight is NaN');
});

test('GIVEN nested non-finite numbers, cycles and a toString that is not a function WHEN shown THEN nothing throws and numbers read as themselves', () => {
  const cyclic: Record<string, unknown> = { a: -Infinity };
  cyclic.self = cyclic;
  assert.is(showValue({ w: [NaN, Infinity], toString: 'x' }), '{"w":[NaN,Infinity],"toString":"x"}');
  assert.is(showValue(cyclic), '{"a":-Infinity,"self":…}');
  assert.is(showValue(undefined), 'missing');
  assert.is(showValue('x'.repeat(500)).length, 160);
});

test('GIVEN an invalid Duration used without a construct WHEN rendered THEN it still throws a PropError rather than emitting garbage', () => {
  const err = caught(() => Duration.parse('2 s').toIstio());
  assert.ok(err instanceof PropError);
  assert.is(err.code, 'MP_INVALID_DURATION');
});

test('GIVEN a cdk8s validation failure WHEN formatted with the app THEN each entry starts at the line that created its construct', () => {
  enableSourceTracking();
  const app = Testing.app();
  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  new RouteTable(chart, 'empty', { name: 'empty', hosts: ['cart'] }); const createdAt = lineOf('new RouteTable(chart, \'empty\'');
  const err = caught(() => app.synth());
  assert.is(formatError(err, { root: ROOT, app, debug: false }),
    `${THIS_FILE}:${createdAt} shop/empty: VirtualService empty has no routes; Istio rejects it. Add a route (addRoute) or a defaultRoute [MP_VALIDATION]`);
});

/** The 1-based line of this file holding `text`. */
function lineOf(text: string): number {
  return fs.readFileSync(path.join(ROOT, THIS_FILE), 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
}

test('GIVEN an app process with a bad prop WHEN it runs THEN stderr is one line at apps/…:line:col and it exits 1', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-errors-'));
  try {
    fs.mkdirSync(path.join(dir, 'apps'));
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    const src = (f: string) => JSON.stringify(path.join(ROOT, 'src', f));
    fs.writeFileSync(path.join(dir, 'apps/shop.ts'), [
      `import { Chart } from 'cdk8s';`,
      `import { MeshApp } from ${src('app/mesh-app.ts')};`,
      `import { CanaryRelease } from ${src('constructs/canary-release.ts')};`,
      `import { MeshService } from ${src('constructs/mesh-service.ts')};`,
      `const app = new MeshApp();`,
      `const chart = new Chart(app, 'shop', { namespace: 'shop' });`,
      `const cart = new MeshService(chart, 'cart', { name: 'cart', ports: [{ port: 8080, protocol: 'http' }],`,
      `  versions: [{ name: 'v1', image: 'cart:1' }, { name: 'v2', image: 'cart:2' }] });`,
      `const weight: number = 120;`,
      `  new CanaryRelease(chart, 'cart-canary', { service: cart, stable: 'v1', canary: 'v2', canaryWeight: weight });`,
      `app.synth();`,
      ``,
    ].join('\n'));
    const run = (env: Record<string, string>) => spawnSync(process.execPath, ['--import', 'tsx', 'apps/shop.ts'], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, DEBUG: '', CDK8S_OUTDIR: '', ...env }, timeout: 60_000,
    });
    const plain = run({});
    assert.is(plain.status, 1, plain.stderr);
    assert.is(plain.stderr, 'apps/shop.ts:10:3 shop/cart-canary: canaryWeight is 120; expected an integer from 0 to 100 [MP_INVALID_WEIGHT]\n');
    assert.not.ok(fs.existsSync(path.join(dir, 'dist')), 'a failed synth writes no dist/');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GIVEN an app whose MeshApp outdir lies outside the project WHEN it runs THEN stderr is one line at apps/…:line:col naming outdir, no stack, exit 1', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-errors-'));
  try {
    fs.mkdirSync(path.join(dir, 'apps'));
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    fs.writeFileSync(path.join(dir, 'apps/shop.ts'), [
      `import { MeshApp } from ${JSON.stringify(path.join(ROOT, 'src/app/mesh-app.ts'))};`,
      `const app = new MeshApp({ outdir: '/abs/manifests' });`,
      `app.synth();`,
      ``,
    ].join('\n'));
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'apps/shop.ts'], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, DEBUG: '', CDK8S_OUTDIR: '' }, timeout: 60_000,
    });
    assert.is(run.status, 1, run.stderr);
    assert.is(run.stderr, `apps/shop.ts:2:13 MeshApp: outdir is "/abs/manifests"; expected a folder inside the project root ${dir} (e.g. "dist"), not the root itself or .meshproof/ [MP_INVALID_PROP]\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
