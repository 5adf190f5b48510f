import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../cli/_io.js';
import { breakObject, copyDist } from './_dist.js';

async function verify(cwd: string, ...args: string[]) {
  const cap = captureIO(cwd);
  const code = await main(['verify', ...args], cap.io);
  return { code, out: cap.stdout(), err: cap.stderr() };
}

test('GIVEN a broken copy of dist/ WHEN meshproof verify runs THEN it exits 1 and the text, JSON and Markdown reports name the broken promise', async () => {
  const work = copyDist();
  try {
    breakObject(work, 'customers.k8s.yaml', 'VirtualService', 'customers', (o) => {
      const route = o.spec.http[1].route;
      [route[0].weight, route[1].weight] = [route[1].weight, route[0].weight];
    });
    const text = await verify(work, '--static-only', '--app', 'customers');
    assert.is(text.code, 1, text.err);
    assert.match(text.out, /✗ BROKEN {2}GET customers\.customers\.svc\.cluster\.local\/: split 90 % to customers v1, 10 % to customers v2/);
    assert.match(text.out, /promised at apps\/customers\.ts:\d+ \(customers\/customers-canary\)/);
    assert.match(text.out, /sends 10 % to customers v1, not 90 %/);
    assert.match(text.out, /traffic: not sent — no traffic runtime \(--static-only\)/);
    const json = await verify(work, '--static-only', '--app', 'customers', '--format', 'json');
    const report = JSON.parse(json.out);
    assert.is(report.results.find((r: { expectation: { id: string } }) => r.expectation.id === 'customers/customers-canary#customers-canary-split.split').static.status, 'broken');
    const md = await verify(work, '--static-only', '--app', 'customers', '--format', 'markdown', '-o', 'summary.md');
    assert.is(md.code, 1);
    assert.match(fs.readFileSync(path.join(work, 'summary.md'), 'utf8'), /## meshproof verify: 1 promise broken[\s\S]*\| ❌ \| GET customers/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN input verify cannot work with WHEN it runs THEN it exits 2 with a message that says what to do', async () => {
  const work = copyDist();
  try {
    const unknown = await verify(work, '--static-only', '--app', 'shop');
    assert.is(unknown.code, 2);
    // The command's own error starts with its name, as xds serve's and proxy's do (README, the CLI).
    assert.match(unknown.err, /^verify: no app named shop in \.meshproof\/expectations\.json; apps with promises: bookinfo, customers, httpbin\n$/);
    // A typo gets the nearest app, as a mistyped flag or rule id does; each of several typos its own.
    const typo = await verify(work, '--static-only', '--app', 'custmers');
    assert.is(typo.code, 2);
    assert.is(typo.err, 'verify: no app named custmers in .meshproof/expectations.json (did you mean "customers"?); apps with promises: bookinfo, customers, httpbin\n');
    const typos = await verify(work, '--static-only', '--app', 'bookinfo', '--app', 'httbin', '--app', 'shop', '--app', 'bokinfo');
    assert.is(typos.code, 2);
    assert.match(typos.err, /^verify: no app named httbin, shop, bokinfo in \.meshproof\/expectations\.json \(did you mean "httpbin" \(for httbin\), "bookinfo" \(for bokinfo\)\?\); apps with promises: bookinfo, customers, httpbin\n$/);
    // Letter case alone is a typo too (the edit distance of CUSTOMERS is too far for closest), and an
    // empty name is shown as "", not as a gap in the sentence.
    const upper = await verify(work, '--static-only', '--app', 'CUSTOMERS');
    assert.is(upper.err, 'verify: no app named CUSTOMERS in .meshproof/expectations.json (did you mean "customers"?); apps with promises: bookinfo, customers, httpbin\n');
    const listed = await verify(work, '--static-only', '--app', 'bookinfo,httpbin');
    assert.is(listed.err, 'verify: no app named bookinfo,httpbin in .meshproof/expectations.json (--app takes one name: give it once per app, --app bookinfo --app httpbin); apps with promises: bookinfo, customers, httpbin\n');
    const empty = await verify(work, '--static-only', '--app', '');
    assert.is(empty.code, 2);
    assert.is(empty.err, 'verify: no app named "" in .meshproof/expectations.json; apps with promises: bookinfo, customers, httpbin\n');
    fs.mkdirSync(path.join(work, 'empty'));
    const noDist = await verify(path.join(work, 'empty'), '--static-only');
    assert.is(noDist.code, 2);
    assert.match(noDist.err, /has no dist\/: synthesize the app first \(npx cdk8s synth\)/);
    // The PR gate passes its check target: `verify dist` means the project that holds dist/.
    const viaDist = await verify(work, 'dist', '--static-only', '--app', 'httpbin');
    assert.is(viaDist.code, 0, viaDist.err);
    assert.match(viaDist.out, /verify httpbin: 7 promises: 7 held/);
    // A dist/ that fails the checks: a route to a subset no DestinationRule defines.
    breakObject(work, 'bookinfo.k8s.yaml', 'VirtualService', 'reviews', (o) => { o.spec.http[0].route[0].destination.subset = 'v9'; });
    const failing = await verify(work, '--static-only', '--app', 'bookinfo');
    assert.is(failing.code, 2);
    assert.match(failing.err, /dist\/ fails the checks \(\d+ errors?\)[\s\S]*dist\/bookinfo\.k8s\.yaml:\d+ references\/subset-exists/);
    const usage = await verify(work, '--confidence', '2');
    assert.is(usage.code, 2);
    // A usage error is the CLI's: `meshproof:` and where to look.
    assert.match(usage.err, /^meshproof: --confidence must be a number strictly between 0 and 1/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('GIVEN verify -o report.md or report.json and no --format WHEN it runs THEN the file holds Markdown or JSON, as the extension says', async () => {
  const work = copyDist();
  try {
    const md = await verify(work, '--static-only', '-o', path.join(work, 'out', 'report.md'));
    assert.is(md.code, 0, md.err);
    assert.match(fs.readFileSync(path.join(work, 'out', 'report.md'), 'utf8'), /^## meshproof verify/m);
    const json = await verify(work, '--static-only', '-o', path.join(work, 'out', 'report.json'));
    assert.is(json.code, 0, json.err);
    assert.ok(Array.isArray(JSON.parse(fs.readFileSync(path.join(work, 'out', 'report.json'), 'utf8')).results));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
