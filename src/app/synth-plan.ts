import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { PropError } from '../constructs/_errors.js';
import { STAGE_DIR } from './promote.js';

/**
 * Where one synth writes, decided from how the app was started:
 *
 * - `project`: run by `cdk8s synth` with cdk8s.yaml `output: .meshproof/synth` (or run directly,
 *   without `CDK8S_OUTDIR`). Everything goes to the stage; `dist/` and the source map are replaced
 *   together only when the synth succeeds (see promote.ts). `publish` says who does that: the app
 *   itself, or meshproof's cdk8s validation plugin once the checks have passed.
 * - `export`: `cdk8s synth --output X` or `--stdout`. Manifests go to X as cdk8s asked; the
 *   project's `dist/` and `.meshproof/sourcemap.json` are left alone.
 */
export type SynthPlan =
  | { readonly mode: 'project'; readonly root: string; readonly stageRoot: string; readonly outdir: string; readonly publish: 'app' | 'plugin'; readonly underCdk8s: boolean }
  | { readonly mode: 'export'; readonly root: string; readonly outdir: string };

export interface PlanInput {
  /** Project root (absolute). */
  readonly root: string;
  /** The project's output folder, relative to `root` or absolute inside it (`MeshAppProps.outdir`). */
  readonly outdir: string;
  /** `process.env` (reads `CDK8S_OUTDIR` and `CDK8S_RECORD_CONSTRUCT_METADATA`). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Decides the plan; throws a PropError (`MP_INVALID_PROP`) when `outdir` lies outside the project root. */
export function planSynth(input: PlanInput): SynthPlan {
  const root = path.resolve(input.root);
  const outdir = path.relative(root, path.resolve(root, input.outdir)).split(path.sep).join('/');
  if (outdir === '' || outdir.startsWith('..') || path.isAbsolute(outdir) || outdir.startsWith('.meshproof')) {
    throw new PropError('MP_INVALID_PROP', 'MeshApp', 'outdir', input.outdir,
      `expected a folder inside the project root ${root} (e.g. "dist"), not the root itself or .meshproof/`);
  }
  const stageRoot = path.join(root, STAGE_DIR);
  const cdk8sOut = input.env['CDK8S_OUTDIR'];
  if (cdk8sOut === undefined || cdk8sOut === '') {
    return { mode: 'project', root, stageRoot, outdir, publish: 'app', underCdk8s: false };
  }
  if (path.resolve(root, cdk8sOut) !== stageRoot) return { mode: 'export', root, outdir: path.resolve(root, cdk8sOut) };
  const validating = input.env['CDK8S_RECORD_CONSTRUCT_METADATA'] === 'true' && meshproofPluginConfigured(root);
  return { mode: 'project', root, stageRoot, outdir, publish: validating ? 'plugin' : 'app', underCdk8s: true };
}

/**
 * Whether the project's cdk8s.yaml lists meshproof's validation plugin (class
 * `MeshproofValidation`). cdk8s sets `CDK8S_RECORD_CONSTRUCT_METADATA=true` whenever any validation
 * will run; only meshproof's plugin publishes the stage, so both must hold.
 */
export function meshproofPluginConfigured(root: string): boolean {
  try {
    const config = parse(fs.readFileSync(path.join(root, 'cdk8s.yaml'), 'utf8')) as { validations?: unknown };
    return Array.isArray(config?.validations) && config.validations.some((v) => (v as { class?: unknown })?.class === 'MeshproofValidation');
  } catch {
    return false;
  }
}
