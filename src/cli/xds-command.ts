/**
 * `meshproof xds compile [paths...] --out <dir> [--workloads <file>] [--proxyless] [--no-check]`: one
 * Envoy config dump per proxy (`<out>/<namespace>.<workload>.json`, Envoy's `/config_dump` shape), for
 * review in pull requests, after the check suite passed (as `xds serve`); dumps of proxies no longer
 * in the input are removed. Keep `--out` outside the folder Argo CD syncs. The mesh is the one
 * `meshproof check` judges: meshproof.config.yaml's context paths (whose proxies get dumps too),
 * MeshConfig, cluster domain, exclude globs and limits apply, with or without `--no-check`.
 *
 * `meshproof xds serve --input <path> [--workloads <file> | --kubeconfig <file> | --in-cluster]
 * [--listen <host:port>] [--status <host:port>] [--ca-cert <file> --ca-key <file>] [--settle <ms>] [--tls [--tls-name <name>]...
 * [--issue-client-cert <ns>/<sa>=<dir>]...]`: see `xds-serve.ts`.
 *
 * `meshproof xds client-cert --identity <ns>/<sa> --out <dir> --ca-cert <file> --ca-key <file>`: see `xds-client-cert.ts`.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { readWorkloadFileText } from './workload-file-read.js';
import { join, resolve } from 'node:path';
import { parseArgs } from './args.js';
import { EXIT_OK, EXIT_USAGE, type ExitCode } from '../checks/exit-code.js';
import { buildProxyView, proxiesOf, proxyIdCollisions } from '../mesh/view/index.js';
import { PkiError } from '../pki/index.js';
import { createSnapshot } from '../xds/snapshot.js';
import { REFUSED_VALUE_CODES, checkSnapshot, formatProblems } from '../xds/snapshot-check.js';
import { configDump } from '../xds/translate/dump.js';
import { boundedNotes, moreMissingTargetPorts, parseWorkloadFile, translateProxy, WorkloadFileError, workloadsBackingNothing, workloadsMissingTargetPorts, type WorkloadInstance } from '../xds/translate/index.js';
import { removeFolders, type CliIO } from './io.js';
import { assertOutsideInputs } from './out-path.js';
import { UsageError } from './usage.js';
import { inputPathProblem, projectAboveHint } from './input-path.js';
import { DEFAULT_SETTLE_MS, findingLine, isLoopbackHost, serverNames, ServeStartError, splitHostPort, startServe, type XdsServeHandle } from './xds-serve.js';
import { clientCertCommand, parseIdentity } from './xds-client-cert.js';
import { assertOutDir, createOutDir, makeStage, removeDeadStages, removeStaleDumps } from './xds-out.js';
import { checkPaths, loadMesh } from '../checks/api.js';
import { MESH_OPTIONS, meshFlags } from './mesh-flags.js';

/** Runs `meshproof xds <subcommand>`. */
export async function xdsCommand(args: string[], io: CliIO): Promise<ExitCode> {
  const [sub, ...rest] = args;
  if (sub === 'compile') return compile(rest, io);
  if (sub === 'serve') return serve(rest, io);
  if (sub === 'client-cert') return clientCertCommand(rest, io);
  throw new UsageError(`xds: ${sub === undefined ? 'a subcommand is needed' : `unknown subcommand "${sub}"${/^s/.test(sub) ? ' (did you mean "serve"?)' : /^cl/.test(sub) ? ' (did you mean "client-cert"?)' : /^c/.test(sub) ? ' (did you mean "compile"?)' : ''}`}; use "meshproof xds compile [paths...] --out <dir>", "meshproof xds serve --input <path> --workloads <file> --listen <host:port>" or "meshproof xds client-cert --identity <ns>/<sa> --out <dir> --ca-cert <file> --ca-key <file>"`);
}

/** One dump per proxy (sidecar and gateway workloads of the input); exit 2 when input, workloads or a snapshot is unusable. */
export async function compile(args: string[], io: CliIO): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { out: { type: 'string' }, workloads: { type: 'string' }, proxyless: { type: 'boolean', default: false }, 'no-check': { type: 'boolean', default: false }, ...MESH_OPTIONS },
  });
  const mesh = meshFlags(values, io);
  if (!values.out) throw new UsageError('xds compile: --out <dir> is required (a folder outside the one Argo CD syncs, e.g. build/xds)');
  const out = resolve(io.cwd, values.out);
  const paths = positionals.length > 0 ? positionals : ['dist'];
  const missing = paths.map((p) => (p === '-' ? undefined : inputPathProblem(io.cwd, p))).find((m) => m !== undefined);
  if (missing !== undefined) {
    throw new UsageError(positionals.length > 0
      ? `xds compile: ${missing}`
      : `xds compile: no paths given and the default dist/ does not exist in ${io.cwd}${projectAboveHint(io.cwd) || '; synthesize it first (npx cdk8s synth) or name the manifests to compile'}`);
  }
  // Dumps inside an input folder would be read back as input (and synced by Argo CD with dist/).
  assertOutsideInputs({
    command: 'xds compile', flag: '--out', given: values.out, out, inputs: paths, cwd: io.cwd,
    consequence: 'the dumps would be read as input next time and synced with the manifests', pronoun: 'them', example: 'build/xds', writes: 'folder',
  });
  assertOutDir(out, values.out);
  const workloads = readWorkloads(values.workloads, io);
  if (!Array.isArray(workloads)) return workloads;
  // The mesh `meshproof check` judges, read once: the input with meshproof.config.yaml's context
  // paths, MeshConfig and cluster domain, and the same flags over them. --no-check skips the rules,
  // not the config.
  const run = values['no-check'] ? undefined : await checkPaths(paths, { cwd: io.cwd, ...mesh });
  const model = run?.model ?? await loadMesh(paths, { cwd: io.cwd, allowEmpty: true, ...mesh });
  const unusable = [...model.problems.filter((p) => p.unusable && p.code !== 'input/empty'), ...model.mesh.problems];
  if (unusable.length > 0) {
    for (const p of unusable) io.stderr.write(`${p.location.file}:${p.location.line}:${p.location.column}: ${p.message}\n`);
    io.stderr.write(`xds compile: the input cannot be read (above); nothing written to ${values.out}\n`);
    return EXIT_USAGE;
  }
  if (model.files.every((f) => f.objects.length === 0)) {
    io.stderr.write(`xds compile: no Kubernetes objects in ${paths.join(', ')} (${model.files.length} file${model.files.length === 1 ? '' : 's'} read), so there is no proxy to compile; check the paths\n`);
    return EXIT_USAGE;
  }
  // As `xds serve`: input the check suite rejects is never compiled (a broken route would become a
  // silent BlackHoleCluster in the dump). --no-check overrides.
  if (run) {
    const errors = run.result.findings.filter((f) => f.severity === 'error');
    if (errors.length > 0) {
      io.stderr.write(`xds compile: input rejected by the check suite (${errors.length} error${errors.length === 1 ? '' : 's'}); nothing written. Fix ${errors.length === 1 ? 'it' : 'them'}, or pass --no-check to compile anyway:\n${errors.map((f) => `  ${findingLine(f)}`).join('\n')}\n`);
      return EXIT_USAGE;
    }
  }
  const graph = model.graph;
  if (values.workloads !== undefined) {
    for (const line of boundedNotes('xds compile: ', workloadsBackingNothing(graph, workloads, values.workloads))) io.stderr.write(`${line}\n`);
    for (const line of boundedNotes('xds compile: ', workloadsMissingTargetPorts(graph, workloads, values.workloads), 5, moreMissingTargetPorts)) io.stderr.write(`${line}\n`);
  }
  const proxies = proxiesOf(graph);
  // Every dump goes to a staging folder inside --out first: a proxy that fails leaves --out as it
  // was (no half-written set of dumps), and one that succeeds replaces the old dumps file by file.
  // SIGINT or SIGTERM while translating stops at the next proxy and removes the stage (a handler
  // runs only between proxies, hence the yield); a stage a killed run left is removed next time.
  // The handlers go in before the stage exists and come out after it is removed: a signal in
  // between would otherwise kill the process with the stage in place. The folders --out needed are
  // made only now that the input passed, and removed again (when empty) if nothing gets written.
  const made = createOutDir(out, values.out);
  removeDeadStages(out);
  let done = false;
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => { interrupted = signal; };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let stage: string | undefined;
  try {
    stage = makeStage(out);
    const written = new Set<string>();
    let bytes = 0;
    let failed = false;
    for (const proxy of proxies) {
      await new Promise((r) => setImmediate(r));
      if (interrupted) {
        io.stderr.write(`xds compile: stopped by ${interrupted}; nothing written to ${values.out} (its dumps are as they were)\n`);
        return EXIT_USAGE;
      }
      const id = `${proxy.namespace}/${proxy.name}`;
      let snapshot: ReturnType<typeof createSnapshot>;
      try {
        snapshot = createSnapshot(translateProxy(buildProxyView(graph, proxy), workloads, { proxyless: values.proxyless }));
      } catch (e) {
        io.stderr.write(`xds compile: ${id}: cannot translate its config: ${(e as Error).message}. ${values['no-check'] ? 'The input holds a value no Envoy config can carry (e.g. .nan or .inf, a negative or fractional number where Envoy wants an unsigned integer), which the check suite refuses: run `meshproof check` on the same paths and fix its errors instead of passing --no-check' : 'This is a meshproof bug; please report it with the input'}\n`);
        failed = true;
        continue;
      }
      const problems = checkSnapshot(snapshot);
      if (problems.length > 0) {
        const refused = problems.every((p) => REFUSED_VALUE_CODES.has(p.code));
        const why = !refused
          ? 'the translated config is inconsistent (a meshproof bug; please report it with the input)'
          : values['no-check']
            ? 'holds values Envoy refuses (it would NACK this config); the check suite refuses them at their YAML line: run `meshproof check` on the same paths and fix its errors instead of passing --no-check'
            : 'holds values Envoy refuses (it would NACK this config) that the check suite let through: fix the value named below where the input sets it (and please report the gap in the check suite)';
        io.stderr.write(`xds compile: ${id}: ${why}:\n${formatProblems(problems)}\n`);
        failed = true;
        continue;
      }
      const name = `${proxy.namespace}.${proxy.name}.json`;
      if (written.has(name)) {
        io.stderr.write(`xds compile: ${proxyIdCollisions(proxies).find((c) => c.id === id)?.message ?? `two proxies have the id ${id}`}\n`);
        failed = true;
        continue;
      }
      const text = `${JSON.stringify(configDump(snapshot), null, 2)}\n`;
      writeFileSync(join(stage, name), text);
      bytes += Buffer.byteLength(text);
      written.add(name);
    }
    if (failed) {
      io.stderr.write(`xds compile: nothing written to ${values.out} (its dumps are as they were)\n`);
      return EXIT_USAGE;
    }
    for (const name of written) renameSync(join(stage, name), join(out, name));
    const removed = removeStaleDumps(out, written);
    io.stdout.write(`xds compile: ${proxies.length} prox${proxies.length === 1 ? 'y' : 'ies'} → ${values.out} (${megabytes(bytes)})${removed.length > 0 ? ` (removed ${removed.length} dump${removed.length === 1 ? '' : 's'} of proxies no longer in the input: ${removed.join(', ')})` : ''}\n`);
    if (bytes > LARGE_OUTPUT_BYTES) io.stderr.write(`xds compile: note: ${megabytes(bytes)} of dumps: every sidecar gets a cluster and route for every service exported to its namespace, so the dumps grow with services × proxies; a Sidecar resource per namespace whose egress hosts name what its workloads call cuts them (and what istiod would send each proxy)\n`);
    done = true;
    return EXIT_OK;
  } finally {
    if (stage !== undefined) rmSync(stage, { recursive: true, force: true });
    if (!done) removeFolders(made);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Die of the signal, as without a handler, so the shell sees Ctrl-C (exit 130) and not exit 2.
    if (interrupted) process.kill(process.pid, interrupted);
  }
}

export { startServe, type XdsServeHandle, type XdsServeOptions, type PublishState } from './xds-serve.js';

/** The CLI shell of {@link startServe}: runs until SIGINT or SIGTERM, then closes everything and dies of that signal. */
async function serve(args: string[], io: CliIO): Promise<ExitCode> {
  const { values } = parseArgs({
    args, strict: true,
    options: {
      input: { type: 'string', multiple: true }, workloads: { type: 'string' }, kubeconfig: { type: 'string' }, 'in-cluster': { type: 'boolean', default: false },
      listen: { type: 'string', default: '127.0.0.1:15010' }, status: { type: 'string' }, 'ca-cert': { type: 'string' }, 'ca-key': { type: 'string' },
      'no-check': { type: 'boolean', default: false }, settle: { type: 'string' }, tls: { type: 'boolean', default: false }, 'tls-name': { type: 'string', multiple: true },
      'issue-client-cert': { type: 'string', multiple: true }, 'token-review': { type: 'boolean', default: false }, 'token-audience': { type: 'string', multiple: true }, ...MESH_OPTIONS,
    },
  });
  const mesh = meshFlags(values, io);
  const settleMs = values.settle === undefined ? undefined : Number(values.settle);
  if (settleMs !== undefined && !(/^\d+$/.test(values.settle!) && settleMs <= 60_000)) throw new UsageError(`xds serve: --settle must be a whole number of milliseconds from 0 to 60000 (how long the watched files must be unchanged before a change is read; default ${DEFAULT_SETTLE_MS}, 0: read on the 250 ms debounce alone); got "${values.settle}"`);
  if (!values.input || values.input.length === 0) throw new UsageError('xds serve: --input <path> is required (manifest files or folders, e.g. dist)');
  // Addresses are checked before the input is read and checked (which can take seconds).
  for (const [flag, value] of [['--listen', values.listen], ['--status', values.status]] as const) {
    if (value === undefined) continue;
    try {
      splitHostPort(value);
    } catch (e) {
      throw new UsageError(`xds serve: ${flag} ${(e as Error).message}`);
    }
  }
  if ((values['ca-cert'] === undefined) !== (values['ca-key'] === undefined)) throw new UsageError('xds serve: --ca-cert and --ca-key go together (the CA certificate and its private key, as in Istio\'s cacerts secret)');
  if (values['tls-name'] !== undefined && !values.tls) throw new UsageError('xds serve: --tls-name names the server certificate of --tls; add --tls (mutual TLS on the ADS port) or leave --tls-name out');
  if (values['issue-client-cert'] !== undefined && !values.tls) throw new UsageError('xds serve: --issue-client-cert writes client certificates for --tls; add --tls (without it ADS asks clients for no certificate)');
  if (values['token-review'] && !values.tls) throw new UsageError('xds serve: --token-review authenticates clients by service-account token over TLS; add --tls (a token is never sent in plaintext)');
  if (values['token-review'] && values.kubeconfig === undefined && !values['in-cluster']) throw new UsageError('xds serve: --token-review asks the API server (TokenReview) whose tokens they are; give --kubeconfig <file> or --in-cluster');
  if (values['token-audience'] !== undefined && !values['token-review']) throw new UsageError('xds serve: --token-audience is the audience of --token-review; add --token-review or leave it out');
  const clientCertificates = (values['issue-client-cert'] ?? []).map((v) => {
    const eq = v.indexOf('=');
    if (eq <= 0 || eq === v.length - 1) throw new UsageError(`xds serve: --issue-client-cert ${JSON.stringify(v)} is not <namespace>/<service account>=<dir>, e.g. bookinfo/bookinfo-productpage=certs/productpage`);
    const [namespace, serviceAccount] = parseIdentity(v.slice(0, eq), 'xds serve: --issue-client-cert');
    return { namespace, serviceAccount, dir: v.slice(eq + 1) };
  });
  if (values.tls && values['ca-cert'] === undefined && clientCertificates.length === 0) {
    throw new UsageError('xds serve: --tls with the throwaway CA (no --ca-cert/--ca-key) and no --issue-client-cert: no client could ever hold a certificate of that CA, so none could connect; give --ca-cert and --ca-key (and issue client certificates with meshproof xds client-cert), or --issue-client-cert <ns>/<sa>=<dir>');
  }
  if (values.tls) {
    try {
      serverNames(values.listen, values['tls-name'] ?? []);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  if (values.workloads !== undefined && (values.kubeconfig !== undefined || values['in-cluster'])) throw new UsageError('xds serve: endpoints come from --workloads <file> or from a cluster (--kubeconfig <file> / --in-cluster), not both');
  if (values.kubeconfig !== undefined && values['in-cluster']) throw new UsageError('xds serve: --kubeconfig <file> and --in-cluster name two ways to reach a cluster; give one (--in-cluster uses the service account of the pod this runs in)');
  let handle: XdsServeHandle;
  try {
    handle = await startServe({
      paths: values.input, listen: values.listen, cwd: io.cwd, log: (l) => io.stderr.write(`${l}\n`),
      ...(values.workloads !== undefined ? { workloads: values.workloads } : {}),
      ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}),
      inCluster: values['in-cluster'],
      ...(values.status !== undefined ? { status: values.status } : {}),
      ...(values['ca-cert'] !== undefined ? { caCert: values['ca-cert'], caKey: values['ca-key']! } : {}),
      check: !values['no-check'],
      ...(settleMs !== undefined ? { settleMs } : {}),
      mesh,
      ...(values.tls ? { tls: { names: values['tls-name'] ?? [] } } : {}),
      ...(values['token-review'] ? { tokenReview: { audiences: values['token-audience'] ?? [] } } : {}),
      ...(clientCertificates.length > 0 ? { clientCertificates } : {}),
    });
  } catch (e) {
    if (e instanceof PkiError && e.code === 'PKI_TTL_EXCEEDS_CA') {
      const m = /would end (\S+), after the CA certificate expires \((\S+)\)/.exec(e.message);
      const when = m ? ` at ${m[2]}, before the 24-hour workload certificates it signs would (${m[1]})` : ` before the workload certificates it signs would (${e.message})`;
      io.stderr.write(`xds serve: --ca-cert ${values['ca-cert'] ?? '(in-memory CA)'}: the CA expires${when}; ` +
        'rotate the CA: give --ca-cert and --ca-key a CA valid for at least a day more\n');
      return EXIT_USAGE;
    }
    if (e instanceof ServeStartError || e instanceof PkiError) {
      io.stderr.write(`${e instanceof PkiError ? 'xds serve: ' : ''}${e.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  // Plaintext is said once at start: loudly off loopback, as a note on it.
  if (!values.tls) io.stderr.write(`${exposedListenWarning(values.listen) ?? unauthenticatedNote(values.listen)}\n`);
  io.stdout.write(`xds serve: ADS${values.tls ? (values['token-review'] ? ' (TLS, service-account tokens)' : ' (mutual TLS)') : ''} on ${values.listen.replace(/:0$/, `:${handle.port}`)} (node ids <namespace>/<workload>, grpc:<namespace>/<workload>, or Istio's sidecar~<ip>~<pod>.<ns>~<ns>.svc.<domain>)${handle.statusPort !== undefined ? `; status on ${values.status!.replace(/:0$/, `:${handle.statusPort}`)}/status` : ''}\n`);
  const signal = await new Promise<NodeJS.Signals>((done) => {
    const stop = (s: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done(s);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await handle.close();
  // Die of the signal once everything is closed, as `xds compile` and `verify` do: the shell sees
  // Ctrl-C (exit 130) or SIGTERM (143), not a clean exit 0 (see README, xds serve).
  process.kill(process.pid, signal);
  return EXIT_OK;
}

function readWorkloads(file: string | undefined, io: CliIO): WorkloadInstance[] | ExitCode {
  if (file === undefined) return [];
  let text: string;
  try {
    text = readWorkloadFileText(resolve(io.cwd, file), file);
  } catch (e) {
    if (e instanceof WorkloadFileError) {
      io.stderr.write(`xds compile: ${e.message}\n`);
      return EXIT_USAGE;
    }
    throw new UsageError(`--workloads ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return parseWorkloadFile(text, file);
  } catch (e) {
    if (!(e instanceof WorkloadFileError)) throw e;
    io.stderr.write(`xds compile: ${e.message}\n`);
    return EXIT_USAGE;
  }
}

/** Dumps past this size (256 MB, as `megabytes` prints it) get a note on scoping sidecars (bytes). */
const LARGE_OUTPUT_BYTES = 256e6;

/** `12.3 MB` (10^6 bytes), `0.4 MB`. */
function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The start-up note of plaintext ADS on loopback: its streams are not authenticated, and what would authenticate them. */
export function unauthenticatedNote(listen: string): string {
  return `xds serve: note: --listen ${listen} serves plaintext ADS: streams are unauthenticated, so any local process that reaches the port can name any node id and receive its config and SDS secrets; ` +
    'add --tls to authenticate proxies by client certificate (meshproof xds client-cert) and serve each only nodes of its own namespace';
}

/**
 * The start-up warning for a plaintext ADS address other than loopback, or undefined: without `--tls`
 * ADS has no client authentication, so whoever reaches the port can name any workload's node id and
 * receive its config and, over SDS, its certificate and private key.
 */
export function exposedListenWarning(listen: string): string | undefined {
  const [host] = splitHostPort(listen);
  if (isLoopbackHost(host)) return undefined;
  return `xds serve: warning: --listen ${listen} is not a loopback address, and without --tls ADS has no client authentication: anyone who reaches it can name any workload's node id and receive its config and, over SDS, its certificate and private key (its mesh identity); ` +
    'add --tls (mutual TLS: clients need a certificate from the mesh CA, see meshproof xds client-cert, and get only their own identity\'s secrets), or listen on loopback (127.0.0.1) and let only the proxies reach the port (a NetworkPolicy in a cluster, a firewall elsewhere)';
}
