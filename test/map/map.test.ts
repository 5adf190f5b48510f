import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { ROOT } from '../_project.js';
import { captureIO } from '../cli/_io.js';
import { ensureDebianTool } from '../_debian.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-map-'));
const page = path.join(dir, 'out', 'map.html');
fs.mkdirSync(path.dirname(page));

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('GIVEN the project dist/ WHEN meshproof map runs THEN it writes one page with every host, weights and source links, byte-identical on a second run', async () => {
  const c = captureIO(ROOT);
  assert.is(await main(['map', 'dist', '--out', page], c.io), 0, c.stderr());
  const html = fs.readFileSync(page, 'utf8');
  assert.match(c.stderr(), /8 hosts, \d+ routes written/);
  assert.match(html, /<h2>customers\.customers\.svc\.cluster\.local<\/h2>/);
  assert.match(html, /<text class="weight"[^>]*>90%<\/text>/);
  assert.match(html, /<text class="weight"[^>]*>mirror 100%<\/text>/);
  assert.match(html, /<a href="[^"]*\/apps\/customers\.ts">apps\/customers\.ts:\d+<\/a>/);
  assert.not.match(html, /<script/i, 'no script: the page renders offline as static SVG');
  // Routes are numbered in match order (first match wins): the pinned canary route before the split.
  assert.ok(html.indexOf('1. customers-canary-pinned') < html.indexOf('2. customers-canary-split') && html.includes('2. customers-canary-split'));
  const again = path.join(dir, 'again.html');
  assert.is(await main(['map', 'dist', '--out', again], captureIO(ROOT).io), 0);
  assert.is(fs.readFileSync(again, 'utf8').replace(/href="[^"]*"/g, ''), html.replace(/href="[^"]*"/g, ''));
});

test('GIVEN the page WHEN Chromium opens it headless THEN it loads with no console errors and the screenshot shows the graph', async () => {
  const executablePath = ensureDebianTool('chromium', 'chromium');
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    tab.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    tab.on('pageerror', (e) => problems.push(e.message));
    await tab.goto(`file://${page}`);
    assert.equal(problems, []);
    const svgs = await tab.locator('section svg').count();
    assert.is(svgs, 8);
    const box = await tab.locator('#host-1 svg').boundingBox();
    assert.ok(box && box.width > 200 && box.height > 50, `the customers graph is drawn: ${JSON.stringify(box)}`);
    const shot = await tab.locator('#host-1 .diagram').screenshot();
    assert.ok(shot.length > 5_000, `screenshot has content (${shot.length} bytes)`);
    fs.writeFileSync(path.join(dir, 'customers.png'), shot);
    const nodes = await tab.locator('section svg .node').count();
    assert.ok(nodes > 10, `${nodes} nodes drawn`);
  } finally {
    await browser.close();
  }
});

test('GIVEN no --out WHEN meshproof map runs THEN a usage error says it is required', async () => {
  const c = captureIO(ROOT);
  assert.is(await main(['map', 'dist'], c.io), 2);
  assert.match(c.stderr(), /--out <file\.html> is required/);
});

test('GIVEN YAML that does not parse WHEN meshproof map runs THEN exit 2 with the file and line, and no page is written', async () => {
  const bad = path.join(dir, 'bad');
  fs.mkdirSync(bad);
  fs.writeFileSync(path.join(bad, 'x.yaml'), 'kind: [\n');
  const out = path.join(dir, 'bad.html');
  const c = captureIO(dir);
  assert.is(await main(['map', 'bad', '--out', out], c.io), 2);
  assert.match(c.stderr(), /x\.yaml:\d+/);
  assert.not.ok(fs.existsSync(out));
});

test.run();
