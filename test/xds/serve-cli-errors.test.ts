/**
 * `meshproof xds serve` start-up and reload messages: a busy --listen or --status port is a clear
 * exit-2 error naming the flag and address, and stops everything started; a reload that changes
 * nothing says so; a node without a snapshot is told why once; a rejected first load does not
 * claim a last good config.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main } from '../../src/cli/main.js';
import { exposedListenWarning } from '../../src/cli/xds-command.js';
import { hostPortOf, isLoopbackHost, ServeStartError, splitHostPort, startServe } from '../../src/cli/xds-serve.js';
import { bindFailure } from '../../src/proxy/main.js';
import { KubeConfigError, loadKubeConfig } from '../../src/xds/endpoints/kubernetes-source.js';
import { captureIO } from '../cli/_io.js';
import { makeCa } from '../runtime/_processes.js';
import { openAds } from './_ads-client.js';

const work = mkdtempSync(join(tmpdir(), 'meshproof-serve-errors-'));
const APP = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec: { mtls: { mode: STRICT } }
---
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { istio-injection: enabled } }
---
apiVersion: v1
kind: Namespace
metadata: { name: plain }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web, version: v1 } }
    spec: { containers: [{ name: web, image: nginx:1.27 }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: legacy, namespace: plain }
spec:
  selector: { matchLabels: { app: legacy } }
  template:
    metadata: { labels: { app: legacy } }
    spec: { containers: [{ name: legacy, image: nginx:1.27 }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec: { selector: { app: web }, ports: [{ name: http, port: 80 }] }
`;
writeFileSync(join(work, 'app.yaml'), APP);
writeFileSync(join(work, 'broken.yaml'), `${APP}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: shop }
spec: { hosts: [web], http: [{ route: [{ destination: { host: nope } }] }] }
`);

/** A port held by another server, and its release. */
async function busyPort(): Promise<{ port: number; close(): Promise<void> }> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { port: (srv.address() as net.AddressInfo).port, close: () => new Promise((r) => srv.close(() => r())) };
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const b = await busyPort();
  await b.close();
  return b.port;
}

/** True when `port` can be bound now (nothing of ours kept it). */
async function bindable(port: number): Promise<boolean> {
  const srv = net.createServer();
  const ok = await new Promise<boolean>((r) => { srv.once('error', () => r(false)); srv.listen(port, '127.0.0.1', () => r(true)); });
  if (ok) await new Promise<void>((r) => srv.close(() => r()));
  return ok;
}

test('GIVEN --listen or --status that is not host:port WHEN "xds serve" starts THEN a usage error names the flag at once, before any input is read', async () => {
  for (const [flag, value] of [['--listen', 'notanaddress'], ['--listen', '127.0.0.1:99999'], ['--status', 'localhost']] as const) {
    const cap = captureIO(work);
    const code = await main(['xds', 'serve', '--input', 'does-not-exist.yaml', flag, value], cap.io);
    assert.is(code, 2, cap.stderr());
    assert.match(cap.stderr(), `xds serve: ${flag} "${value}" is not host:port`);
    assert.not.match(cap.stderr(), /does-not-exist|internal error|    at /);
  }
});

test('GIVEN --settle that is not a whole number of ms from 0 to 60000 WHEN "xds serve" starts THEN a usage error names the flag, the value and what is valid', async () => {
  for (const value of ['soon', '1.5', '60001', '']) {
    const cap = captureIO(work);
    const code = await main(['xds', 'serve', '--input', 'does-not-exist.yaml', '--settle', value], cap.io);
    assert.is(code, 2, cap.stderr());
    assert.match(cap.stderr(), `xds serve: --settle must be a whole number of milliseconds from 0 to 60000`);
    assert.match(cap.stderr(), `got "${value}"`);
    assert.not.match(cap.stderr(), /does-not-exist|internal error|    at /);
  }
});

test('GIVEN a busy --listen port WHEN "xds serve" starts THEN exit 2 naming --listen, the address and EADDRINUSE, no stack trace', async () => {
  const busy = await busyPort();
  try {
    const cap = captureIO(work);
    const code = await main(['xds', 'serve', '--input', 'app.yaml', '--listen', `127.0.0.1:${busy.port}`], cap.io);
    assert.is(code, 2, cap.stderr());
    assert.match(cap.stderr(), new RegExp(`--listen 127\\.0\\.0\\.1:${busy.port}: cannot listen there \\(EADDRINUSE`));
    assert.not.match(cap.stderr(), /internal error|    at /);
  } finally {
    await busy.close();
  }
});

test('GIVEN a busy --listen or --status port WHEN "xds serve" starts THEN the address is refused before the input is read (a missing input is not reached), and grpc-js logs nothing', async () => {
  const busy = await busyPort();
  const grpcLines: string[] = [];
  grpc.setLogger({ error: (...a: unknown[]) => grpcLines.push(a.join(' ')) });
  try {
    for (const [input, ...flags] of [
      ['does-not-exist.yaml', '--listen', `127.0.0.1:${busy.port}`], ['does-not-exist.yaml', '--listen', '127.0.0.1:0', '--status', `127.0.0.1:${busy.port}`],
      ['app.yaml', '--listen', `127.0.0.1:${busy.port}`],
    ]) {
      const cap = captureIO(work);
      const code = await main(['xds', 'serve', '--input', input!, ...flags], cap.io);
      assert.is(code, 2, cap.stderr());
      assert.is(cap.stderr(), `xds serve: ${flags.at(-2)} 127.0.0.1:${busy.port}: cannot listen there (EADDRINUSE: the address is in use); choose a free address (port 0 picks one) or stop the process that holds it\n`);
    }
    assert.equal(grpcLines, [], 'grpc-js logged');
  } finally {
    grpc.setLogger(console);
    await busy.close();
  }
});

test('GIVEN --status on the --listen address (or one overlapping it) WHEN "xds serve" starts THEN exit 2 before the input is read (a missing input is not reached), naming both flags, and both ports are free again', async () => {
  for (const [listenHost, statusHost] of [['127.0.0.1', '127.0.0.1'], ['0.0.0.0', '127.0.0.1']] as const) {
    const port = await freePort();
    const cap = captureIO(work);
    const code = await main(['xds', 'serve', '--input', 'does-not-exist.yaml', '--listen', `${listenHost}:${port}`, '--status', `${statusHost}:${port}`], cap.io);
    assert.is(code, 2, cap.stderr());
    assert.is(cap.stderr(), `xds serve: --status ${statusHost}:${port}: cannot listen there (EADDRINUSE: --listen ${listenHost}:${port} takes that port); give --status a port of its own (port 0 picks one)\n`);
    assert.ok(await bindable(port), 'the probes were closed');
  }
});

test('GIVEN a busy --status port WHEN "xds serve" starts THEN exit 2 naming --status, and the ADS port it had opened is released', async () => {
  const busy = await busyPort();
  const adsPort = await freePort();
  try {
    const cap = captureIO(work);
    const code = await main(['xds', 'serve', '--input', 'app.yaml', '--listen', `127.0.0.1:${adsPort}`, '--status', `127.0.0.1:${busy.port}`], cap.io);
    assert.is(code, 2, cap.stderr());
    assert.match(cap.stderr(), new RegExp(`--status 127\\.0\\.0\\.1:${busy.port}: cannot listen there \\(EADDRINUSE`));
    assert.not.match(cap.stderr(), /internal error|    at /);
    assert.ok(await bindable(adsPort), 'the ADS server was stopped');
  } finally {
    await busy.close();
  }
});

test('GIVEN a served input WHEN it reloads unchanged THEN the log says "unchanged: N snapshots still served"; a node without a snapshot is told why, once', async () => {
  const logs: string[] = [];
  const h = await startServe({ paths: [join(work, 'app.yaml')], listen: '127.0.0.1:0', cwd: work, watch: false, log: (l) => logs.push(l) });
  try {
    assert.ok(logs.some((l) => /\d+ snapshot\(s\) published/.test(l)), logs.join('\n'));
    logs.length = 0;
    assert.is(await h.reload(), true);
    const served = h.cache.nodeIds().length;
    assert.ok(served > 0);
    assert.equal(logs.length, 1, logs.join('\n'));
    // Nothing is connected: every snapshot waits for its node; the same objects keep the previous graph.
    assert.match(logs[0]!, new RegExp(`^xds serve: unchanged: ${served} snapshots still served \\(${served} deferred until their node connects\\); reloaded in \\d+ ms \\(no object changed, \\d+ kept; the previous graph kept\\)$`));

    logs.length = 0;
    for (let i = 0; i < 2; i++) {
      const s = openAds(h.port);
      try {
        s.send({ node: { id: 'plain/legacy' }, typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster' });
        assert.ok(await s.silentFor(200), 'nothing is served to it');
      } finally {
        s.close();
      }
    }
    const told = logs.filter((l) => l.includes('plain/legacy'));
    assert.is(told.length, 1, logs.join('\n'));
    assert.match(told[0]!, /has no snapshot and gets nothing: workload plain\/legacy runs no Istio proxy \(data plane/);
    const s = openAds(h.port);
    const toldNothere = () => logs.some((l) => /"shop\/nothere" has no snapshot .*no workload shop\/nothere/.test(l));
    try {
      s.send({ node: { id: 'shop/nothere' }, typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster' });
      // The stream's first request is read asynchronously: wait for the log line (a loaded machine may take a while).
      for (let waited = 0; !toldNothere() && waited < 30_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    } finally {
      s.close();
    }
    assert.ok(toldNothere(), logs.join('\n'));
  } finally {
    await h.close();
  }
});

test('GIVEN a --kubeconfig that is missing, not YAML, or names no cluster WHEN "xds serve" starts THEN exit 2 naming the flag, the file and what is wrong, no stack trace', async () => {
  writeFileSync(join(work, 'not-kube.json'), '{"workloads":[]}');
  writeFileSync(join(work, 'garbage.yaml'), 'clusters: [\n');
  for (const [file, said] of [['nosuch.yaml', 'cannot read it (ENOENT)'], ['garbage.yaml', 'is not a kubeconfig ('], ['not-kube.json', 'names no cluster to talk to (no current-context)']] as const) {
    const cap = captureIO(work);
    const code = await main(['xds', 'serve', '--input', 'app.yaml', '--kubeconfig', file, '--listen', '127.0.0.1:0'], cap.io);
    assert.is(code, 2, cap.stderr());
    assert.ok(cap.stderr().startsWith(`xds serve: --kubeconfig ${join(work, file)}: ${said}`), cap.stderr());
    assert.not.match(cap.stderr(), /internal error|    at /);
  }
});

test('GIVEN no Kubernetes service environment WHEN --in-cluster config is loaded THEN it says it is not in a pod, instead of going on to https://undefined:undefined', () => {
  assert.throws(() => loadKubeConfig(undefined, {}), (e: Error) => e instanceof KubeConfigError && e.message.startsWith('--in-cluster: not running in a Kubernetes pod (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)'));
});

test('GIVEN input the check suite rejects at start WHEN "xds serve" starts THEN it says nothing is served (no "last good config" that does not exist)', async () => {
  const logs: string[] = [];
  try {
    await startServe({ paths: [join(work, 'broken.yaml')], listen: '127.0.0.1:0', cwd: work, watch: false, log: (l) => logs.push(l) });
    assert.unreachable('start must fail');
  } catch (e) {
    assert.instance(e, ServeStartError);
  }
  const text = logs.join('\n');
  assert.match(text, /input rejected by the check suite \(1 error\), nothing is served/);
  assert.not.match(text, /last good config/);
});

test('GIVEN a served input WHEN its file is emptied and reloaded THEN the reload is refused saying serve needs manifests (no flag it does not have), and the last good config keeps serving', async () => {
  writeFileSync(join(work, 'emptied.yaml'), APP);
  const logs: string[] = [];
  const h = await startServe({ paths: [join(work, 'emptied.yaml')], listen: '127.0.0.1:0', cwd: work, watch: false, log: (l) => logs.push(l) });
  try {
    const before = h.cache.getSnapshot('shop/web')?.version;
    assert.ok(before, logs.join('\n'));
    writeFileSync(join(work, 'emptied.yaml'), '');
    assert.not.ok(await h.reload());
    const said = logs.join('\n');
    assert.match(said, 'xds serve needs manifests to translate: check the --input paths');
    assert.not.match(said, '--allow-empty');
    assert.is(h.cache.getSnapshot('shop/web')?.version, before);
  } finally {
    await h.close();
  }
});

test('GIVEN --listen without a host (":0") WHEN serve starts THEN it listens on loopback (gRPC could not bind the address as written)', async () => {
  const h = await startServe({ paths: [join(work, 'app.yaml')], listen: ':0', cwd: work, watch: false, log: () => {} });
  try {
    assert.ok(h.port > 0);
    const socket = net.connect(h.port, '127.0.0.1');
    await new Promise<void>((ok, fail) => { socket.once('connect', ok); socket.once('error', fail); });
    socket.destroy();
  } finally {
    await h.close();
  }
  assert.equal(splitHostPort(':15010'), ['127.0.0.1', 15010]);
  assert.is(hostPortOf('::1', 15010), '[::1]:15010');
  assert.is(hostPortOf('10.0.0.1', 0), '10.0.0.1:0');
});

test('GIVEN a --listen address that is not loopback WHEN "xds serve" starts THEN it warns that ADS has no client authentication and hands out identities; loopback does not', async () => {
  assert.equal(['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1'].map(isLoopbackHost), [true, true, true, true, true]);
  assert.equal(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com'].map(isLoopbackHost), [false, false, false, false, false]);
  assert.match(exposedListenWarning('0.0.0.0:15010') ?? '', /^xds serve: warning: --listen 0\.0\.0\.0:15010 is not a loopback address, and without --tls ADS has no client authentication: anyone who reaches it can name any workload's node id and receive its config and, over SDS, its certificate and private key.*; add --tls \(mutual TLS: clients need a certificate from the mesh CA, see meshproof xds client-cert/);
  assert.ok(exposedListenWarning('[::]:0'));
  assert.is(exposedListenWarning('127.0.0.1:0'), undefined);
  assert.is(exposedListenWarning(':15010'), undefined, 'no host is loopback');
});

test('GIVEN a listener the proxy cannot bind WHEN the reason is a privileged port THEN the fix is the privilege, not another port; a busy port says to free it', () => {
  const eacces = Object.assign(new Error('bind EACCES'), { code: 'EACCES' });
  assert.match(bindFailure(eacces, 80), /^EACCES: port 80 is privileged .* run the proxy as root or with CAP_NET_BIND_SERVICE, or .*ip_unprivileged_port_start=0/);
  assert.match(bindFailure(eacces, 8080), /^EACCES; choose a free address or port/);
  assert.match(bindFailure(Object.assign(new Error('x'), { code: 'EADDRINUSE' }), 80), /^EADDRINUSE; choose a free address or port/);
});

test('GIVEN a --ca-cert that expires within a day WHEN "xds serve" starts THEN exit 2 naming the flag and the fix (rotate the CA), not a TTL no flag sets; a CA valid for 30 days starts', async () => {
  const short = makeCa(mkdtempSync(join(work, 'ca1-')), 1);
  const cap = captureIO(work);
  assert.is(await main(['xds', 'serve', '--input', join(work, 'app.yaml'), '--listen', '127.0.0.1:0', '--ca-cert', short.cert, '--ca-key', short.key], cap.io), 2);
  assert.match(cap.stderr(), new RegExp(`^xds serve: --ca-cert ${short.cert.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the CA expires at \\S+Z, before the 24-hour workload certificates it signs would \\(\\S+Z\\); rotate the CA: give --ca-cert and --ca-key a CA valid for at least a day more\\n$`, 'm'), cap.stderr());
  const good = makeCa(mkdtempSync(join(work, 'ca30-')));
  const h = await startServe({ paths: [join(work, 'app.yaml')], listen: '127.0.0.1:0', cwd: work, watch: false, log: () => {}, caCert: good.cert, caKey: good.key });
  await h.close();
});

test('GIVEN a usage error of an xds sub-command WHEN reported THEN it points at that sub-command\'s help; a missing or misspelt sub-command is named as such', async () => {
  const run = async (...args: string[]) => { const cap = captureIO(work); const code = await main(args, cap.io); return { code, err: cap.stderr() }; };
  const bad = await run('xds', 'serve', '--input', join(work, 'app.yaml'), '--listen', 'nonsense');
  assert.is(bad.code, 2);
  assert.match(bad.err, /\nRun 'meshproof xds serve --help' for usage\.\n$/);
  assert.match((await run('xds')).err, /^meshproof: xds: a subcommand is needed; use "meshproof xds compile/);
  assert.match((await run('xds', 'srve')).err, /^meshproof: xds: unknown subcommand "srve" \(did you mean "serve"\?\)/);
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
