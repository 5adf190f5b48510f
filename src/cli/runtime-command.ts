/**
 * `meshproof runtime synth [dist] --out <dir> --image <ref> [--project <dir>] [--pull-policy <p>]`:
 * writes the in-cluster runtime for a synthesized dist/ (`runtime.k8s.yaml`, then
 * `expectations-job.k8s.yaml` to apply after it rolled out, and `runtime-targets.json` for
 * `verify --runtime`); see `src/runtime/`. The promises come from `.meshproof/expectations.json` of
 * the folder above dist/ or of `--project`, never of the current folder; none found is exit 2.
 * `meshproof runtime smoke --plan <file> [--requests n] [--wait seconds]`: the traffic smoke test the
 * expectations Job runs in the cluster. Exit 0 all held, 1 some broke, 2 could not run.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, type ExitCode } from '../checks/exit-code.js';
import { TARGETS_PATH } from '../runtime/expectations-job.js';
import { RuntimeSynthError, synthRuntime, type SmokePlan } from '../runtime/runtime-chart.js';
import { runSmoke } from '../runtime/smoke.js';
import { EXPECTATIONS_PATH } from '../verify/expectations/path.js';
import { parseArgs } from './args.js';
import { missingFolders, writeFilesTogether, type CliIO } from './io.js';
import { assertOutsideInputs } from './out-path.js';
import { UsageError } from './usage.js';

export async function runtimeCommand(args: string[], io: CliIO): Promise<ExitCode> {
  const [sub, ...rest] = args;
  if (sub === 'synth') return synth(rest, io);
  if (sub === 'smoke') return smoke(rest, io);
  throw new UsageError(`runtime: unknown subcommand ${sub === undefined ? '(none)' : `"${sub}"`}; use "meshproof runtime synth [dist] --out <dir> --image <ref>" or "meshproof runtime smoke --plan <file>"`);
}

async function synth(args: string[], io: CliIO): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args, strict: true, allowPositionals: true,
    options: { out: { type: 'string' }, image: { type: 'string' }, project: { type: 'string' }, 'pull-policy': { type: 'string', default: 'IfNotPresent' } },
  });
  if (!values.out) throw new UsageError('runtime synth: --out <dir> is required (a folder outside the one Argo CD syncs, e.g. build/runtime)');
  if (!values.image) throw new UsageError('runtime synth: --image <ref> is required: the runtime image, built from a checkout of the meshproof repository with `docker build -f runtime/Dockerfile -t meshproof-runtime:e2e .` (README "In a cluster (kind)")');
  if (positionals.length > 1) throw new UsageError(`runtime synth: one dist folder, got ${positionals.length}: ${positionals.join(' ')}`);
  const pull = values['pull-policy'];
  if (pull !== 'Always' && pull !== 'IfNotPresent' && pull !== 'Never') throw new UsageError(`runtime synth: --pull-policy "${pull}" is not Always, IfNotPresent or Never`);
  const dist = resolve(io.cwd, positionals[0] ?? 'dist');
  // The project whose promises belong to this dist/: the one named, else the folder above dist/
  // (where cdk8s synth writes .meshproof/ beside dist/). Never the current folder by default: its
  // expectations may belong to another dist/.
  const project = values.project !== undefined ? resolve(io.cwd, values.project) : dirname(dist);
  const dir = resolve(io.cwd, values.out);
  // Inside dist/ the runtime's manifests would be read as the mesh by the next check, verify or
  // xds compile of that folder (they read it recursively), and removed by the next synth.
  assertOutsideInputs({
    command: 'runtime synth', flag: '--out', given: values.out, out: dir, inputs: [positionals[0] ?? 'dist'], cwd: io.cwd,
    consequence: "the runtime's Deployments and Job would be checked as part of the mesh next time", pronoun: 'them', example: 'build/runtime', writes: 'folder',
  });
  // Checked before any work, with the helpers every output flag shares: the folder and its missing
  // parents are made only once the runtime is synthesized, so a refused or failed run leaves none.
  const outError = (why: string) => new UsageError(`runtime synth --out ${values.out}: ${why}; name a folder you may write, e.g. --out build/runtime`);
  missingFolders(dir, outError);
  try {
    const out = await synthRuntime({ dist, project, image: values.image, imagePullPolicy: pull, requireExpectations: true });
    writeFilesTogether(dir, [['runtime.k8s.yaml', out.runtime], ['expectations-job.k8s.yaml', out.job], [TARGETS_PATH, out.targets]], outError);
    const targets = out.plan.proxies.reduce((n, p) => n + p.targets.length, 0);
    io.stdout.write(`runtime synth: ${out.plan.echoes.length} echo backend(s), ${out.plan.proxies.length} proxy(ies), ${targets} smoke target(s), promises of ${join(project, EXPECTATIONS_PATH)} → ${values.out}/runtime.k8s.yaml, ${values.out}/expectations-job.k8s.yaml, ${values.out}/${TARGETS_PATH}\n`);
    return EXIT_OK;
  } catch (e) {
    if (!(e instanceof RuntimeSynthError)) throw e;
    io.stderr.write(`runtime synth: ${e.code}: ${e.message}\n`);
    return EXIT_USAGE;
  }
}

async function smoke(args: string[], io: CliIO): Promise<ExitCode> {
  const { values } = parseArgs({ args, strict: true, options: { plan: { type: 'string' }, requests: { type: 'string', default: '10' }, wait: { type: 'string', default: '120' } } });
  if (!values.plan) throw new UsageError('runtime smoke: --plan <file> is required (smoke-plan.json, written by runtime synth into the ConfigMap)');
  const requests = Number(values.requests);
  const wait = Number(values.wait);
  if (!Number.isInteger(requests) || requests < 1) throw new UsageError(`runtime smoke: --requests "${values.requests}" is not a whole number >= 1`);
  if (!Number.isFinite(wait) || wait < 0) throw new UsageError(`runtime smoke: --wait "${values.wait}" is not a number of seconds >= 0`);
  let plan: SmokePlan;
  try {
    plan = JSON.parse(readFileSync(resolve(io.cwd, values.plan), 'utf8')) as SmokePlan;
    if (!Array.isArray(plan.proxies)) throw new Error('no "proxies" list');
  } catch (e) {
    io.stderr.write(`runtime smoke: ${values.plan}: ${(e as Error).message}; write it with meshproof runtime synth\n`);
    return EXIT_USAGE;
  }
  const total = plan.proxies.reduce((n, p) => n + p.targets.length, 0);
  if (total === 0) {
    io.stderr.write(`runtime smoke: ${values.plan} has no target: no proxy routes to an echo-backed Service; nothing would be proven\n`);
    return EXIT_USAGE;
  }
  const failed = await runSmoke(plan, { requests, waitMs: wait * 1000, log: (l) => io.stdout.write(`${l}\n`) });
  io.stdout.write(`runtime smoke: ${total - failed}/${total} target(s) held\n`);
  return failed === 0 ? EXIT_OK : EXIT_FINDINGS;
}
