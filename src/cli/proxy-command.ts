/**
 * `meshproof proxy --xds <host:port> --node <id> [--role sidecar|gateway] [--admin <host:port>]
 * [--prometheus <host:port>] [--readiness <host:port>] [--drain-timeout <ms>] [--access-log <file|-|off>]
 * [--xds-ca <file> [--xds-cert <file> --xds-key <file>] [--xds-token <file>]]` (mutual TLS to `xds serve --tls`,
 * or TLS with a service-account token to `xds serve --tls --token-review`):
 * the reference proxy, configured only by ADS from the control plane (`meshproof xds serve`). Runs
 * until SIGTERM/SIGINT (or `POST /quitquitquit` on the admin port), then drains gracefully and exits 0.
 * A control plane that refuses the node id (INVALID_ARGUMENT: it can never name a node) ends it
 * with exit 2; an unreachable one is retried.
 */
import { type WriteStream, createWriteStream, openSync, readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { spiffeIdOfCertificate } from '../pki/index.js';
import { resolve } from 'node:path';
import { EXIT_OK, EXIT_USAGE, type ExitCode } from '../checks/exit-code.js';
import { parseArgs } from './args.js';
import type { CliIO } from './io.js';
import { UsageError } from './usage.js';

function hostPortOption(v: string | undefined, flag: string): string | undefined {
  if (v === undefined || v === 'off') return v;
  if (!/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/.test(v) || Number(v.slice(v.lastIndexOf(':') + 1)) > 65535) {
    throw new UsageError(`proxy: ${flag} "${v}" is not <host>:<port> (port 0..65535; 0 picks a free port) or off`);
  }
  return v;
}

/**
 * Opens `path` for appending, checked up front (a missing directory or a read-only file is a usage
 * error, exit 2). A later write error (disk full, file removed with its directory) is reported once on
 * stderr and ends the access log; the proxy keeps serving.
 */
function openAccessLog(path: string, io: CliIO): WriteStream {
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new UsageError(`proxy: --access-log "${path}" cannot be opened for appending (${code}); pass a writable file, - for stdout, or off`);
  }
  const stream = createWriteStream(path, { fd, flags: 'a' });
  stream.on('error', (e: NodeJS.ErrnoException) => {
    io.stderr.write(`proxy: access log ${path}: ${e.code ?? e.message}; access logging stopped\n`);
    stream.destroy();
  });
  return stream;
}

/**
 * The mutual-TLS material of `--xds-ca/--xds-cert/--xds-key`, read and checked up front (each file PEM,
 * the key the certificate's): a usage error naming the flag and file otherwise. Undefined when none is given.
 */
function readXdsTls(values: { 'xds-ca'?: string; 'xds-cert'?: string; 'xds-key'?: string; 'xds-token'?: string }, io: CliIO): { caPem: string; certificateChainPem?: string; privateKeyPem?: string; spiffeId: string | undefined } | undefined {
  const given = (['xds-ca', 'xds-cert', 'xds-key'] as const).filter((f) => values[f] !== undefined);
  if (values['xds-token'] !== undefined) {
    if (values['xds-ca'] === undefined) throw new UsageError('proxy: --xds-token sends a service-account token over TLS only: add --xds-ca <file> (the root xds serve --tls\'s certificate chains to, root-cert.pem)');
    try {
      if (!readFileSync(resolve(io.cwd, values['xds-token']), 'utf8').trim()) throw new Error('the file is empty');
    } catch (e) {
      throw new UsageError(`proxy: --xds-token ${values['xds-token']}: cannot read a token (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give the service-account token file, e.g. a projected token with audience istio-ca`);
    }
    if (given.length === 1) {
      let caPem: string;
      try {
        caPem = readFileSync(resolve(io.cwd, values['xds-ca']), 'utf8');
      } catch (e) {
        throw new UsageError(`proxy: --xds-ca ${values['xds-ca']}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      if (!/-----BEGIN CERTIFICATE-----/.test(caPem)) throw new UsageError(`proxy: --xds-ca ${values['xds-ca']}: no certificate in it; expected PEM`);
      return { caPem, spiffeId: undefined };
    }
  }
  if (given.length === 0) return undefined;
  if (given.length < 3) throw new UsageError(`proxy: --xds-ca, --xds-cert and --xds-key go together (mutual TLS to xds serve --tls: the root-cert.pem, cert-chain.pem and key.pem that meshproof xds client-cert writes); ${given.map((f) => `--${f}`).join(' and ')} given`);
  const read = (flag: 'xds-ca' | 'xds-cert' | 'xds-key', block: RegExp, what: string) => {
    let text: string;
    try {
      text = readFileSync(resolve(io.cwd, values[flag]!), 'utf8');
    } catch (e) {
      throw new UsageError(`proxy: --${flag} ${values[flag]}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (!block.test(text)) throw new UsageError(`proxy: --${flag} ${values[flag]}: no ${what} in it; expected PEM`);
    return text;
  };
  const caPem = read('xds-ca', /-----BEGIN CERTIFICATE-----/, 'certificate');
  const certificateChainPem = read('xds-cert', /-----BEGIN CERTIFICATE-----/, 'certificate');
  const privateKeyPem = read('xds-key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'private key');
  try {
    createSecureContext({ ca: caPem, cert: certificateChainPem, key: privateKeyPem });
  } catch (e) {
    throw new UsageError(`proxy: --xds-cert ${values['xds-cert']} and --xds-key ${values['xds-key']} do not make a TLS identity (${(e as Error).message}); give the key the certificate was issued for`);
  }
  let spiffeId: string | undefined;
  try {
    spiffeId = spiffeIdOfCertificate(certificateChainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/)![0]);
  } catch {
    spiffeId = undefined;
  }
  return { caPem, certificateChainPem, privateKeyPem, spiffeId };
}

export async function proxyCommand(args: string[], io: CliIO): Promise<ExitCode> {
  const { values } = parseArgs({
    args, strict: true,
    options: {
      xds: { type: 'string' }, node: { type: 'string' }, role: { type: 'string', default: 'sidecar' },
      admin: { type: 'string' }, prometheus: { type: 'string' }, readiness: { type: 'string' },
      'drain-timeout': { type: 'string', default: '5000' }, 'access-log': { type: 'string', default: '-' },
      'xds-ca': { type: 'string' }, 'xds-cert': { type: 'string' }, 'xds-key': { type: 'string' }, 'xds-token': { type: 'string' },
    },
  });
  if (!values.xds) throw new UsageError('proxy: --xds <host:port> is required (the ADS address of meshproof xds serve, e.g. 127.0.0.1:15010)');
  // A control plane is dialled, never bound: port 0 (or off) would retry forever against nothing.
  if (values.xds === 'off' || /:0+$/.test(values.xds)) {
    throw new UsageError(`proxy: --xds "${values.xds}" must name the control plane's port (1..65535), e.g. 127.0.0.1:15010 (meshproof xds serve prints it)`);
  }
  if (!/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/.test(values.xds) || Number(values.xds.slice(values.xds.lastIndexOf(':') + 1)) > 65535) {
    throw new UsageError(`proxy: --xds "${values.xds}" is not <host>:<port> of the control plane (port 1..65535), e.g. 127.0.0.1:15010 (meshproof xds serve prints it)`);
  }
  if (!values.node) throw new UsageError('proxy: --node <id> is required (the node id the control plane knows, e.g. default/productpage)');
  if (values.role !== 'sidecar' && values.role !== 'gateway') throw new UsageError(`proxy: --role "${values.role}" is not sidecar or gateway`);
  const xdsTls = readXdsTls(values, io);
  const drainTimeoutMs = Number(values['drain-timeout']);
  if (!Number.isInteger(drainTimeoutMs) || drainTimeoutMs < 0) throw new UsageError(`proxy: --drain-timeout "${values['drain-timeout']}" is not a whole number of milliseconds`);
  const logTarget = values['access-log'];
  const file = logTarget !== '-' && logTarget !== 'off' ? openAccessLog(resolve(io.cwd, logTarget), io) : undefined;
  const accessLog = logTarget === 'off' ? undefined : file ? (t: string) => { if (file.writable) file.write(t); } : (t: string) => { io.stdout.write(t); };
  let exit: () => void = () => {};
  const exited = new Promise<void>((r) => { exit = r; });
  let refused: string | undefined;
  // Loaded only once the flags are valid: the proxy pulls in the generated Envoy messages.
  const { ProxyStartError, startProxy } = await import('../proxy/main.js');
  let proxy;
  try {
    proxy = await startProxy({
      xds: values.xds, nodeId: values.node, role: values.role,
      ...(xdsTls ? { xdsTls: { caPem: xdsTls.caPem, ...(xdsTls.certificateChainPem !== undefined ? { certificateChainPem: xdsTls.certificateChainPem, privateKeyPem: xdsTls.privateKeyPem! } : {}) } } : {}),
      ...(values['xds-token'] !== undefined ? { xdsTokenFile: resolve(io.cwd, values['xds-token']) } : {}),
      admin: hostPortOption(values.admin, '--admin'), prometheus: hostPortOption(values.prometheus, '--prometheus'), readiness: hostPortOption(values.readiness, '--readiness'),
      drainTimeoutMs, accessLog, log: (l) => io.stderr.write(`${l}\n`), onExit: () => exit(),
      onRefused: (message) => { refused = message; exit(); },
    });
  } catch (e) {
    file?.end();
    if (e instanceof ProxyStartError) throw new UsageError(`proxy: ${e.message}`);
    throw e;
  }
  const running = proxy;
  const onSignal = (signal: NodeJS.Signals) => { io.stderr.write(`proxy: draining (${signal})\n`); void running.drain(); };
  // Listening for the signals before the line that says the proxy runs: whoever reads that line and
  // sends SIGINT/SIGTERM at once gets a drain, not Node's default death by the signal.
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  io.stderr.write(`proxy: node "${values.node}" (${values.role}) following ADS at ${values.xds}${values['xds-token'] !== undefined ? ` over TLS with the service-account token in ${values['xds-token']}` : xdsTls ? ` over mutual TLS as ${xdsTls.spiffeId ?? 'a certificate without SPIFFE ID (it gets no secrets but ROOTCA)'}` : ''}; admin ${bound(values.admin, '127.0.0.1', proxy.adminPort)}, prometheus ${bound(values.prometheus, '0.0.0.0', proxy.prometheusPort)}, readiness ${bound(values.readiness, '0.0.0.0', proxy.readinessPort)}\n`);
  await exited;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  if (refused !== undefined) {
    await running.close();
    file?.end();
    io.stderr.write(`proxy: ${refused}; pass a --node the control plane serves (meshproof xds serve: <namespace>/<workload> of its inputs)\n`);
    return EXIT_USAGE;
  }
  file?.end();
  return EXIT_OK;
}

/** `host:port` a server was bound at (the flag's host, else the default's; the port as bound, port 0 resolved), or `off`. */
function bound(flag: string | undefined, defaultHost: string, port: number | undefined): string {
  if (port === undefined) return 'off';
  const host = flag === undefined ? defaultHost : flag.replace(/:[^:]*$/, '');
  return `${host}:${port}`;
}
