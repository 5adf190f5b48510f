import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiObject, App, Chart, Names, YamlOutputType } from 'cdk8s';
import { promote, recoverPromotion, removedNotice, sealStage, SOURCE_MAP_PATH, STAGE_DIR, writeAtomically } from './promote.js';
import { enableSourceTracking, fieldSourcesOf, sourceOf, type SourcePosition } from './source-tracking.js';
import { installErrorReporter } from '../constructs/_errors.js';
import { addSyncWaves } from './sync-waves.js';
import { planSynth, type SynthPlan } from './synth-plan.js';
import { collectExpectations, EXPECTATIONS_PATH } from '../verify/expectations/collect.js';

export { SOURCE_MAP_PATH, STAGE_DIR } from './promote.js';

export interface MeshAppProps {
  /**
   * The project's output folder, the one Argo CD syncs; must lie inside `root`. `cdk8s synth`
   * (cdk8s.yaml `output: .meshproof/synth`) stages into `.meshproof/synth/` and replaces this folder
   * only when the synth succeeds; `cdk8s synth --output X` writes to X instead and leaves it alone.
   * @default 'dist'
   */
  readonly outdir?: string;
  /**
   * Project root: source-map keys and TypeScript paths are relative to it. @default process.cwd()
   */
  readonly root?: string;
  /**
   * Write `.meshproof/sourcemap.json` (manifest document → construct path and TypeScript line),
   * which `meshproof check` uses to point findings at the code. @default true
   */
  readonly sourceMap?: boolean;
}

/** One entry of the source map, keyed `<manifest path>#<0-based document index>`. */
export interface SourceMapEntry {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly constructPath: string;
  readonly file?: string;
  readonly line?: number;
  /** Lines of parts of the object made elsewhere, by field path joined with dots (`spec.http.2`: the `addRoute` that added the third route). */
  readonly fields?: Readonly<Record<string, SourcePosition>>;
}

/**
 * The cdk8s `App` for meshproof projects: one file per chart (`<chart>.k8s.yaml`, no name hashes),
 * no `construct-metadata.json` in the synced folder, and a source map beside it instead.
 *
 * Output cannot be lost or half-written: the synth goes to a stage (`.meshproof/synth/`), and
 * `dist/` and `.meshproof/sourcemap.json` are replaced together only after it succeeded (and, under
 * `cdk8s synth` with meshproof's validation plugin, only after the checks passed). An app that
 * throws, a failed validation or a killed process leaves both exactly as they were. See
 * synth-plan.ts for how the mode is chosen and promote.ts for the swap.
 */
export class MeshApp extends App {
  private readonly plan: SynthPlan;
  private readonly writeSourceMap: boolean;
  private readonly projectOutdir: string;

  constructor(props: MeshAppProps = {}) {
    // Before anything can throw (a bad outdir), so every error of the app prints as one line.
    installErrorReporter();
    const plan = planSynth({ root: props.root ?? process.cwd(), outdir: props.outdir ?? 'dist', env: process.env });
    const outdir = plan.mode === 'project' ? path.join(plan.stageRoot, plan.outdir) : plan.outdir;
    super({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART, recordConstructMetadata: false });
    this.plan = plan;
    this.projectOutdir = props.outdir ?? 'dist';
    this.writeSourceMap = plan.mode === 'project' && (props.sourceMap ?? true);
    if (this.writeSourceMap) enableSourceTracking();
    installErrorReporter(this);
  }

  override synth(): void {
    // Argo CD applies by wave: Namespaces, then the config VirtualServices reference, then the rest.
    addSyncWaves(this);
    if (this.plan.mode === 'export') {
      if (path.resolve(this.plan.outdir) === path.resolve(this.plan.root, this.projectOutdir)) {
        process.stderr.write(`meshproof: cdk8s writes straight into ${this.projectOutdir}/ (cdk8s.yaml output), so a failed synth loses it and no source map is written; set \`output: ${STAGE_DIR}\` in cdk8s.yaml\n`);
      }
      super.synth();
      return;
    }
    const plan = this.plan;
    recoverPromotion(plan.root);
    fs.rmSync(plan.stageRoot, { recursive: true, force: true });
    const renders = this.writeSourceMap ? recordRenders(this) : undefined;
    try {
      try {
        super.synth();
      } finally {
        renders?.stop();
      }
      if (renders) writeAtomically(path.join(plan.stageRoot, SOURCE_MAP_PATH), `${JSON.stringify({ version: 1, objects: this.sourceMapEntries(renders.byChart) }, null, 2)}\n`);
      // The promises `meshproof verify` checks, staged and published with the source map.
      if (renders) writeAtomically(path.join(plan.stageRoot, EXPECTATIONS_PATH), `${JSON.stringify({ version: 1, expectations: collectExpectations(this, plan.root) }, null, 2)}\n`);
      sealStage(plan.stageRoot, { outdir: plan.outdir, sourceMap: this.writeSourceMap });
      if (plan.publish === 'app') {
        const notice = removedNotice(plan.outdir, promote(plan.root, plan.stageRoot, { keepStage: plan.underCdk8s }).removed);
        if (notice) process.stderr.write(`${notice}\n`);
      }
    } catch (e) {
      recoverPromotion(plan.root);
      fs.rmSync(plan.stageRoot, { recursive: true, force: true });
      throw e;
    }
  }

  /** Maps every synthesized document (in the order `super.synth()` rendered it) to its construct and TypeScript line. */
  private sourceMapEntries(byChart: ReadonlyMap<Chart, readonly Rendered[]>): Record<string, SourceMapEntry> {
    const out: Record<string, SourceMapEntry> = {};
    const root = this.plan.root;
    const outRel = this.plan.mode === 'project' ? this.plan.outdir : path.relative(root, this.plan.outdir).split(path.sep).join('/');
    for (const chart of this.charts) {
      const file = `${outRel}/${Names.toDnsLabel(chart)}${this.outputFileExtension}`;
      (byChart.get(chart) ?? []).forEach(({ object, json }, i) => {
        const src = sourceOf(object, root);
        const fields = fieldSourcesOf(object, root, src);
        out[`${file}#${i}`] = {
          kind: json.kind,
          ...(json.metadata.namespace ? { namespace: json.metadata.namespace } : {}),
          name: json.metadata.name,
          constructPath: object.node.path,
          ...(src ? { file: src.file, line: src.line } : {}),
          ...(fields ? { fields } : {}),
        };
      });
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => compareKeys(a, b)));
  }
}

interface Rendered {
  readonly object: ApiObject;
  readonly json: { kind: string; metadata: { name: string; namespace?: string } };
}

/**
 * Records each object's manifest as `App.synth()` renders it, per chart and in document order, so
 * the source map needs no second render. Each ApiObject gets an own `toJson` that records and
 * delegates; `stop()` removes them. File-per-chart synthesis renders every object exactly once.
 */
function recordRenders(app: App): { byChart: Map<Chart, Rendered[]>; stop(): void } {
  const byChart = new Map<Chart, Rendered[]>();
  const objects = app.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
  for (const object of objects) {
    const render = object.toJson;
    Object.defineProperty(object, 'toJson', {
      configurable: true,
      value: function toJsonRecorded() {
        const json = render.call(object);
        const chart = Chart.of(object);
        const list = byChart.get(chart);
        if (list) list.push({ object, json });
        else byChart.set(chart, [{ object, json }]);
        return json;
      },
    });
  }
  return { byChart, stop: () => objects.forEach((o) => delete (o as { toJson?: unknown }).toJson) };
}

function compareKeys(a: string, b: string): number {
  const [fa, ia] = a.split('#');
  const [fb, ib] = b.split('#');
  return fa === fb ? Number(ia) - Number(ib) : fa! < fb! ? -1 : 1;
}
