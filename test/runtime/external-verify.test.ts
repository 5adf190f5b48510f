/**
 * `meshproof verify --runtime` against a runtime it did not start, wired on loopback the way the
 * cluster wires it, each piece its own process: `meshproof xds serve` (the mesh CA from files, as
 * the cluster's Secret), `meshproof echo` on the pod's "127.0.0.1" (here a second loopback
 * address), `meshproof proxy --node '<ns>/<workload>?inbound=<pod ip>&app=<ip>'` as the inbound
 * sidecar on the pod address (its workload certificate over SDS), and a caller sidecar
 * (`?bind=<ip>&as=<identity>`) for routing promises, around bookinfo's details-v1. The promises hold;
 * when the running xDS server is given broken config (STRICT turned PERMISSIVE) while verify reads
 * the good dist/, the STRICT promise breaks with traffic.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import type { VerifyReport } from '../../src/verify/report/types.js';
import { captureIO } from '../cli/_io.js';
import { type Cli, ROOT, loopbackBlock, makeCa, startCli, stopAll, writeJson } from './_processes.js';
import { PROOF_CONFIDENCE_ARG } from '../verify/_proof.js';

const TLS_MODE = { 'security.istio.io/tlsMode': 'istio' };

/** A project folder: a copy of the repository's dist/ and the promises `keep` selects. */
function project(keep: (id: string) => boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-ext-'));
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(ROOT, '.meshproof'), join(dir, '.meshproof'), { recursive: true });
  const file = join(dir, '.meshproof', 'expectations.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { expectations: { id: string }[] };
  writeFileSync(file, JSON.stringify({ ...doc, expectations: doc.expectations.filter((e) => keep(e.id)) }));
  return dir;
}

interface Pod { namespace: string; workload: string; labels: Record<string, string>; port: number; pod: string; app: string }

/** xds serve over `served` (a copy of dist/ it watches), an echo and an inbound sidecar per pod, and callers. */
async function startRuntime(served: string, ca: { cert: string; key: string }, pods: Pod[], callers: { workload: string; as: string; address: string }[]): Promise<{ clis: Cli[]; admins: string[] }> {
  const clis: Cli[] = [];
  try {
    const workloads = writeJson(join(served, '..', 'workloads.json'), { workloads: pods.map((p) => ({ name: p.workload, namespace: p.namespace, address: p.pod, labels: { ...p.labels, ...TLS_MODE }, ports: {} })) });
    const xds = startCli('xds', ['xds', 'serve', '--input', served, '--workloads', workloads, '--listen', '127.0.0.1:0', '--ca-cert', ca.cert, '--ca-key', ca.key]);
    clis.push(xds);
    for (const p of pods) clis.push(startCli(`echo ${p.workload}`, ['echo', '--namespace', p.namespace, '--workload', p.workload, ...Object.entries(p.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), '--listen', `${p.app}:${p.port}`]));
    const ads = (await xds.waitFor(/ADS on (127\.0\.0\.1:\d+)/, 25_000))[1]!;
    const proxy = (name: string, node: string, admin: string, accessLog: string) => startCli(name, ['proxy', '--xds', ads, '--node', node, '--admin', `${admin}:0`, '--prometheus', 'off', '--readiness', 'off', '--access-log', accessLog, '--drain-timeout', '100']);
    for (const p of pods) clis.push(proxy(`inbound ${p.workload}`, `${p.namespace}/${p.workload}?inbound=${p.pod}&app=${p.app}`, p.pod, 'off'));
    // Callers keep an access log: verify reads response flags and RBAC placement from their admin /access_log.
    const callerClis = callers.map((c, i) => proxy(`caller ${c.workload}`, `${c.workload}?bind=${c.address}&as=${c.as}`, c.address, join(served, '..', `caller-${i}.log`)));
    clis.push(...callerClis);
    const admins = await Promise.all(callerClis.map(async (c, i) => `${callers[i]!.address}:${(await c.waitFor(/admin [^\s,]*:(\d+)/))[1]}`));
    await Promise.all(clis.filter((c) => c.name.startsWith('echo')).map((c) => c.waitFor(/HTTP\/1\.1 and h2c/)));
    return { clis, admins };
  } catch (e) {
    await stopAll(clis);
    throw e;
  }
}

async function verify(dir: string, targets: string, extra: string[] = []): Promise<{ code: number; report: VerifyReport; stderr: string }> {
  const cap = captureIO(dir);
  const code = await main(['verify', dir, '--runtime', targets, '--format', 'json', ...PROOF_CONFIDENCE_ARG, ...extra], cap.io);
  return { code, report: (cap.stdout() ? JSON.parse(cap.stdout()) : { results: [] }) as VerifyReport, stderr: cap.stderr() };
}

const traffic = (r: VerifyReport, id: string) => r.results.find((x) => x.expectation.id === id)?.traffic;

/** A plaintext GET straight at `address:port`: the HTTP status, or 0 when no HTTP answer came. */
function plaintext(address: string, port: number): Promise<number> {
  return new Promise((res) => {
    const req = request({ host: address, port, path: '/', agent: false, timeout: 2000 }, (r) => { r.resume(); res(r.statusCode ?? 0); });
    req.on('timeout', () => req.destroy());
    req.on('error', () => res(0));
    req.end();
  });
}

async function until(what: string, ms: number, ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('GIVEN bookinfo details behind an inbound sidecar process and a caller process, fed by xds serve, WHEN verify --runtime runs THEN STRICT mTLS, default deny, the details AllowPolicy and the details route hold with traffic; served PERMISSIVE, the mTLS promise breaks', async () => {
  const at = loopbackBlock();
  const ca = makeCa();
  const keep = new Set(['bookinfo/namespace#mtls-strict', 'bookinfo/namespace#default-deny', 'bookinfo/allow-details#allow.0', 'bookinfo/details-routes#route0.reaches']);
  const dir = project((id) => keep.has(id));
  const served = join(dir, 'served');
  cpSync(join(dir, 'dist'), served, { recursive: true });
  const details: Pod = { namespace: 'bookinfo', workload: 'details-v1', labels: { app: 'details', version: 'v1' }, port: 9080, pod: at(4), app: at(5) };
  const caller = { workload: 'bookinfo/productpage-v1', as: 'bookinfo/productpage', address: at(10) };
  // verify's modules load while the runtime's processes start (other processes, other cores).
  const warm = Promise.all([import('../../src/verify/run.js'), import('../../src/verify/external/runner.js'), import('../../src/checks/api.js')]);
  const { clis, admins } = await startRuntime(served, ca, [details], [caller]);
  await warm;
  const targets = writeJson(join(dir, 'targets.json'), { version: 1, callers: [{ ...caller, admin: admins[0] }], workloads: [{ workload: 'bookinfo/details-v1', address: details.pod }], ca, waitSeconds: 20 });
  try {
    const good = await verify(dir, targets);
    assert.is(good.code, 0, good.stderr + JSON.stringify(good.report.results.filter((r) => r.traffic?.status !== 'held').map((r) => [r.expectation.id, r.static.status, r.traffic])));
    assert.equal(good.report.results.map((r) => r.traffic?.status), ['held', 'held', 'held', 'held']);
    assert.match(traffic(good.report, 'bookinfo/namespace#mtls-strict')!.detail, /^bookinfo\/details-v1 port 9080: plaintext \S+, mTLS 403$/);
    assert.match(traffic(good.report, 'bookinfo/namespace#default-deny')!.detail, /details-v1:9080 GET \/: 403 "RBAC: access denied"/);
    // The principal's certificate from the CA the xDS server signs with; the echo behind the sidecar answers.
    assert.match(traffic(good.report, 'bookinfo/allow-details#allow.0')!.detail, /as cluster\.local\/ns\/bookinfo\/sa\/productpage: .* 200 from bookinfo\/details-v1/);
    // Caller process → mTLS (ISTIO_MUTUAL, holding productpage's certificate) → details' inbound sidecar, whose RBAC refuses
    // GET / (allow-details admits /details/* only); the caller's /access_log places each 403 at details-v1, as embedded.
    assert.match(traffic(good.report, 'bookinfo/details-routes#route0.reaches')!.detail, /^20× 403 RBAC: access denied at bookinfo\/details-v1$/);

    // The runtime now serves PERMISSIVE; verify still reads the STRICT dist/, so only traffic can tell.
    const file = join(served, 'bookinfo.k8s.yaml');
    const strict = '    argocd.argoproj.io/sync-wave: "-1"\n  name: default\n  namespace: bookinfo\nspec:\n  mtls:\n    mode: STRICT';
    const text = readFileSync(file, 'utf8');
    assert.ok(text.includes(strict), 'bookinfo\'s PeerAuthentication as the test expects it');
    writeFileSync(file, text.replace(strict, strict.replace('"-1"\n', '"-1"\n    meshproof.dev/mtls-exception-reason: test of a runtime that drifted from dist/\n').replace('STRICT', 'PERMISSIVE')));
    try {
      await until('the inbound sidecar answers plaintext', 15_000, async () => (await plaintext(details.pod, 9080)) !== 0);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${clis.map((c) => `--- ${c.name}\n${c.output().slice(-1500)}`).join('\n')}`);
    }
    const broken = await verify(dir, targets);
    assert.is(broken.code, 1, broken.stderr);
    assert.is(traffic(broken.report, 'bookinfo/namespace#mtls-strict')?.status, 'broken');
    assert.match(traffic(broken.report, 'bookinfo/namespace#mtls-strict')!.detail, /answered plaintext with 403: plaintext gets through/);
  } finally {
    await stopAll(clis);
    rmSync(dir, { recursive: true, force: true });
    rmSync(dirname(ca.cert), { recursive: true, force: true });
  }
});

test('GIVEN a targets file that is wrong WHEN verify --runtime reads it THEN exit 2 naming the field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshproof-ext-'));
  const targets = writeJson(join(dir, 'targets.json'), { version: 1, callers: [{ workload: 'bookinfo', address: '127.0.0.1' }] });
  const cap = captureIO(ROOT);
  assert.is(await main(['verify', ROOT, '--runtime', targets], cap.io), 2);
  assert.match(cap.stderr(), /targets\.json: callers\[0\]\.workload: is "bookinfo"; expected <namespace>\/<workload>/);
  rmSync(dir, { recursive: true, force: true });
});

test.run();
