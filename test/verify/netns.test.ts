import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { MeshGraph } from '../../src/mesh/graph.js';
import { loadInputs } from '../../src/mesh/load.js';
import type { Expectation } from '../../src/verify/expectations/types.js';
import { createRuntime } from '../../src/verify/runtime/index.js';
import { EchoBackend } from '../../src/verify/runtime/echo.js';
import { NetnsNetwork, netnsUnavailable } from '../../src/verify/runtime/netns.js';
import { ProcessRegistry } from '../../src/verify/runtime/registry.js';
import { RemoteWorkload } from '../../src/verify/runtime/remote-workload.js';
import { copyDist, ROOT } from './_dist.js';
import { PROOF_OPTIONS } from './_proof.js';

const why = netnsUnavailable();
if (why !== null) process.stdout.write(`netns.test.ts: the namespace tests are skipped: ${why}\n`);
const netnsTest = why === null ? test : test.skip;

/** Namespaces and links named after `pid` (the runtime's naming scheme), left on this machine. */
function leftovers(pid: number): string[] {
  const ns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!);
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '');
  return [...ns, ...links].filter((n) => new RegExp(`^mp${pid}(-|br|v)`).test(n));
}

/** A project with only the customers app (4 workloads): enough for mesh traffic, quick to start. */
function customersOnly(): string {
  const work = copyDist();
  for (const f of fs.readdirSync(path.join(work, 'dist'))) if (!/^(customers|platform)\./.test(f)) fs.rmSync(path.join(work, 'dist', f));
  return work;
}

const EXPECTATIONS = (JSON.parse(fs.readFileSync(path.join(ROOT, '.meshproof/expectations.json'), 'utf8')) as { expectations: Expectation[] }).expectations;
const byId = (id: string) => EXPECTATIONS.find((e) => e.id === id)!;

test('GIVEN no `ip` on PATH WHEN verify --netns runs THEN it exits 2 saying what is missing, and --netns with --static-only is a usage error', async () => {
  const saved = process.env.PATH;
  const work = customersOnly();
  const err: string[] = [];
  const io = { cwd: work, stdout: { write: () => true, isTTY: false }, stderr: { write: (s: string) => { err.push(s); return true; } } };
  try {
    process.env.PATH = '/nonexistent';
    const reason = netnsUnavailable();
    assert.ok(reason !== null);
    if (process.getuid?.() === 0) assert.match(reason!, /needs the `ip` command \(iproute2\)/);
    else assert.match(reason!, /needs root/);
    const code = await main(['verify', work, '--netns', '--no-check'], io as never);
    assert.is(code, 2);
    assert.match(err.join(''), /verify: --netns needs (the `ip` command|root)/);
  } finally {
    process.env.PATH = saved;
  }
  try {
    err.length = 0;
    const code = await main(['verify', work, '--netns', '--static-only'], io as never);
    assert.is(code, 2);
    assert.match(err.join(''), /--netns .* does not go with --static-only/);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

netnsTest('GIVEN namespaces left by a killed run WHEN a new network is made THEN they are swept; its own are gone after close', async () => {
  let dead = 4_000_000;
  while (dead > 100_000) {
    try { process.kill(dead, 0); dead--; } catch { break; }
  }
  execFileSync('ip', ['netns', 'add', `mp${dead}-2`]);
  execFileSync('ip', ['link', 'add', `mp${dead}br`, 'type', 'bridge']);
  try {
    const net = await NetnsNetwork.create();
    assert.equal(leftovers(dead), [], 'the killed run\'s namespace and bridge are swept');
    const host = await net.addHost('test/one');
    assert.match(host.address, /^10\.213\.\d+\.2$/);
    assert.equal(leftovers(process.pid).sort(), [`mp${process.pid}-2`, `mp${process.pid}br`, `mp${process.pid}v2`]);
    await net.close();
    assert.equal(leftovers(process.pid), []);
  } finally {
    for (const n of leftovers(dead)) execFileSync('ip', n.includes('-') ? ['netns', 'del', n] : ['link', 'del', n], { stdio: 'ignore' });
  }
});

netnsTest('GIVEN a workload whose backend cannot listen in its namespace WHEN it starts THEN the error names the workload and the address, and closing the registry leaves nothing behind', async () => {
  const registry = new ProcessRegistry();
  try {
    const net = registry.add(await NetnsNetwork.create());
    const host = await net.addHost('test/broken');
    const identity = { namespace: 'test', workload: 'broken', labels: { version: 'v1' } };
    const ledgers = [new EchoBackend(identity, host.address, 8080), new EchoBackend(identity, host.address, 8080)];
    let error = '';
    try {
      await RemoteWorkload.start({ network: net, host, label: 'test/broken', ledgers, start: { identity, echoHost: host.address, ports: [8080, 8080] } }, (w) => registry.add(w));
    } catch (e) {
      error = (e as Error).message;
    }
    assert.match(error, new RegExp(`workload test/broken in netns ${host.namespace} .*echo ${host.address.replace(/\./g, '\\.')}:8080: cannot listen \\(EADDRINUSE\\)`));
  } finally {
    assert.equal(await registry.closeAll(), []);
  }
  assert.equal(leftovers(process.pid), []);
});

netnsTest('GIVEN the customers app WHEN its promises are proven with --netns THEN mTLS routing, the mirror and STRICT hold across namespaces, and every namespace is gone afterwards', async () => {
  const work = customersOnly();
  try {
    const graph = MeshGraph.from((await loadInputs([path.join(work, 'dist')], { cwd: work })).files);
    const ids = ['customers/customers-canary#customers-canary-pinned.reaches', 'customers/customers-canary#customers-canary-split.mirror', 'customers/namespace#mtls-strict'];
    let during: string[] = [];
    const { verdicts } = await createRuntime({ netns: true }).run(graph, ids.map(byId), (done) => {
      if (done === 1) during = leftovers(process.pid);
    }, PROOF_OPTIONS);
    for (const id of ids) assert.is(verdicts.get(id)?.status, 'held', `${id}: ${verdicts.get(id)?.detail}`);
    assert.match(verdicts.get(ids[0]!)!.detail, /^20× 200 customers\/customers-v2$/);
    // Copies counted by the parent from the children's reports.
    assert.match(verdicts.get(ids[1]!)!.detail, /copies \(-shadow\) at v3: 100\.0 %/);
    assert.ok(during.filter((n) => n.startsWith(`mp${process.pid}-`)).length >= 4, `namespaces during the run: ${during.join(' ')}`);
    assert.equal(leftovers(process.pid), []);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

netnsTest('GIVEN verify --netns running WHEN it gets Ctrl-C (SIGINT) THEN its workloads stop and its namespaces and bridge are removed', async () => {
  const work = customersOnly();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/dev-cli.ts'), 'verify', work, '--netns', '--no-check', '--app', 'customers'], { cwd: ROOT, stdio: 'ignore' });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    const deadline = Date.now() + 60_000;
    while (leftovers(child.pid!).filter((n) => n.includes('-')).length < 2) {
      assert.ok(Date.now() < deadline, 'no namespaces within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    const result = await exited;
    assert.ok(result.signal === 'SIGINT' || result.code === 130, JSON.stringify(result));
    assert.equal(leftovers(child.pid!), []);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test.run();
