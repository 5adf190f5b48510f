/**
 * `meshproof xds compile [paths...] --out <dir> [--workloads <file>] [--proxyless]`: one Envoy
 * config dump per proxy (`<out>/<namespace>.<workload>.json`, Envoy's `/config_dump` shape), for
 * review in pull requests. Keep `--out` outside the folder Argo CD syncs.
 *
 * `meshproof xds serve --input <path> --workloads <file> --listen <host:port>`: the translator
 * behind the ADS server; node ids `<namespace>/<workload>` (sidecar or gateway) and
 * `grpc:<namespace>/<workload>` (proxyless gRPC). Inputs are watched; a change is re-translated
 * (debounced) and an input that cannot be read, or a snapshot that fails the consistency check,
 * is logged and never published: the last good config keeps serving.
 */
import { type FSWatcher, mkdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from './args.js';
import { EXIT_OK, EXIT_USAGE, type ExitCode } from '../checks/exit-code.js';
import { MeshGraph } from '../mesh/graph.js';
import { loadInputs } from '../mesh/load.js';
import { buildProxyView, proxiesOf } from '../mesh/view/index.js';
import { AdsServer } from '../xds/server/ads-server.js';
import { SnapshotCache, SnapshotInconsistentError } from '../xds/snapshot-cache.js';
import { createSnapshot } from '../xds/snapshot.js';
import { checkSnapshot, formatProblems } from '../xds/snapshot-check.js';
import { configDump } from '../xds/translate/dump.js';
import { parseWorkloadFile, translateProxy, WorkloadFileError, type WorkloadInstance } from '../xds/translate/index.js';
import type { CliIO } from './io.js';
import { UsageError } from './usage.js';

/** Runs `meshproof xds <subcommand>`. */
export async function xdsCommand(args: string[], io: CliIO): Promise<ExitCode> {
  const [sub, ...rest] = args;
  if (sub === 'compile') return compile(rest, io);
  if (sub === 'serve') return serve(rest, io);
  throw new UsageError(`xds: unknown subcommand ${sub === undefined ? '(none)' : `"${sub}"`}; use "meshproof xds compile [paths...] --out <dir>" or "meshproof xds serve --input <path> --workloads <file> --listen <host:port>"`);
}

/** One dump per proxy (sidecar and gateway workloads of the input); exit 2 when input, workloads or a snapshot is unusable. */
export async function compile(args: string[], io: CliIO): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { out: { type: 'string' }, workloads: { type: 'string' }, proxyless: { type: 'boolean', default: false } },
  });
  if (!values.out) throw new UsageError('xds compile: --out <dir> is required (a folder outside the one Argo CD syncs, e.g. build/xds)');
  const workloads = readWorkloads(values.workloads, io);
  if (!Array.isArray(workloads)) return workloads;
  const loaded = await loadInputs(positionals.length > 0 ? positionals : ['dist'], { cwd: io.cwd });
  const unusable = loaded.problems.filter((p) => p.unusable);
  if (unusable.length > 0) {
    for (const p of unusable) io.stderr.write(`${p.location.file}:${p.location.line}:${p.location.column}: ${p.message}\n`);
    return EXIT_USAGE;
  }
  const graph = MeshGraph.from(loaded.files);
  const proxies = proxiesOf(graph);
  const out = resolve(io.cwd, values.out);
  mkdirSync(out, { recursive: true });
  let failed = false;
  for (const proxy of proxies) {
    const set = translateProxy(buildProxyView(graph, proxy), workloads, { proxyless: values.proxyless });
    const snapshot = createSnapshot(set);
    const problems = checkSnapshot(snapshot);
    const name = `${proxy.namespace}.${proxy.name}.json`;
    if (problems.length > 0) {
      io.stderr.write(`xds compile: ${proxy.namespace}/${proxy.name}: the translated config is inconsistent (a meshproof bug; please report it):\n${formatProblems(problems)}\n`);
      failed = true;
      continue;
    }
    writeFileSync(join(out, name), `${JSON.stringify(configDump(snapshot), null, 2)}\n`);
  }
  io.stdout.write(`xds compile: ${proxies.length} prox${proxies.length === 1 ? 'y' : 'ies'} → ${values.out}\n`);
  return failed ? EXIT_USAGE : EXIT_OK;
}

/** A running `xds serve`: its ADS port, a manual reload (what the watcher calls), and shutdown. */
export interface XdsServeHandle {
  readonly port: number;
  readonly cache: SnapshotCache;
  readonly ads: AdsServer;
  /** Re-reads and re-translates the inputs; false when they were unusable (nothing published). */
  reload(): Promise<boolean>;
  close(): Promise<void>;
}

export interface XdsServeOptions {
  readonly paths: readonly string[];
  readonly workloads?: string;
  readonly listen: string;
  readonly cwd: string;
  /** Watch the inputs and reload on change, after `debounceMs` of quiet. @default true, 250 */
  readonly watch?: boolean;
  readonly debounceMs?: number;
  readonly log: (line: string) => void;
}

/** Starts the ADS server with snapshots translated from the inputs. Throws UsageError when the first load is unusable. */
export async function startServe(opts: XdsServeOptions): Promise<XdsServeHandle> {
  const cache = new SnapshotCache();
  const ads = new AdsServer({ cache });
  const reload = async (): Promise<boolean> => {
    const errors: string[] = [];
    const quiet: CliIO = { stdout: { write: () => true }, stderr: { write: (t: string) => errors.push(t.trimEnd()) }, stdin: () => [], env: {}, cwd: opts.cwd };
    const workloads = readWorkloads(opts.workloads, quiet);
    const loaded = Array.isArray(workloads) ? await loadInputs(opts.paths, { cwd: opts.cwd }) : undefined;
    for (const p of loaded?.problems.filter((x) => x.unusable) ?? []) errors.push(`${p.location.file}:${p.location.line}:${p.location.column}: ${p.message}`);
    if (!Array.isArray(workloads) || !loaded || errors.length > 0) {
      opts.log(`xds serve: input unusable, keeping the last good config:\n  ${errors.join('\n  ')}`);
      return false;
    }
    const graph = MeshGraph.from(loaded.files);
    let published = 0;
    for (const proxy of proxiesOf(graph)) {
      const view = buildProxyView(graph, proxy);
      const ids: [string, boolean][] = [[`${proxy.namespace}/${proxy.name}`, false]];
      if (proxy.type === 'sidecar') ids.push([`grpc:${proxy.namespace}/${proxy.name}`, true]);
      for (const [id, proxyless] of ids) {
        try {
          if (cache.setSnapshot(id, createSnapshot(translateProxy(view, workloads, { proxyless })))) published++;
        } catch (e) {
          if (!(e instanceof SnapshotInconsistentError)) throw e;
          opts.log(`xds serve: ${id}: ${e.message}; keeping its last good config`);
        }
      }
    }
    opts.log(`xds serve: ${published} snapshot(s) published`);
    return true;
  };
  if (!(await reload())) throw new UsageError(`xds serve: the inputs ${opts.paths.join(', ')} are unusable; fix them and start again`);
  const port = await ads.listen(opts.listen);
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  if (opts.watch !== false) {
    const onChange = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void reload().catch((e: unknown) => opts.log(`xds serve: reload failed: ${String(e)}`)), opts.debounceMs ?? 250);
    };
    for (const p of [...opts.paths, ...(opts.workloads ? [opts.workloads] : [])]) {
      const w = watch(resolve(opts.cwd, p), { recursive: true }, onChange);
      w.on('error', (e) => opts.log(`xds serve: cannot watch ${p}: ${e.message}`));
      watchers.push(w);
    }
  }
  return {
    port, cache, ads, reload,
    close: async () => {
      clearTimeout(timer);
      for (const w of watchers) w.close();
      await ads.close(500);
    },
  };
}

/** The CLI shell of {@link startServe}: runs until SIGINT or SIGTERM. */
async function serve(args: string[], io: CliIO): Promise<ExitCode> {
  const { values } = parseArgs({
    args, strict: true,
    options: { input: { type: 'string', multiple: true }, workloads: { type: 'string' }, listen: { type: 'string', default: '127.0.0.1:15010' } },
  });
  if (!values.input || values.input.length === 0) throw new UsageError('xds serve: --input <path> is required (manifest files or folders, e.g. dist)');
  const handle = await startServe({ paths: values.input, workloads: values.workloads, listen: values.listen, cwd: io.cwd, log: (l) => io.stderr.write(`${l}\n`) });
  io.stdout.write(`xds serve: ADS on ${values.listen.replace(/:0$/, `:${handle.port}`)} (node ids <namespace>/<workload>, grpc:<namespace>/<workload>)\n`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await handle.close();
  return EXIT_OK;
}

function readWorkloads(file: string | undefined, io: CliIO): WorkloadInstance[] | ExitCode {
  if (file === undefined) return [];
  let text: string;
  try {
    text = readFileSync(resolve(io.cwd, file), 'utf8');
  } catch (e) {
    throw new UsageError(`--workloads ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return parseWorkloadFile(text, file);
  } catch (e) {
    if (!(e instanceof WorkloadFileError)) throw e;
    io.stderr.write(`meshproof: ${e.message}\n`);
    return EXIT_USAGE;
  }
}
