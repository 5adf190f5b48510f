import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiObject, App, Chart, Names, YamlOutputType } from 'cdk8s';
import { enableSourceTracking, sourceOf } from './source-tracking.js';

/** Where the source map goes, relative to the project root: outside the folder Argo CD syncs. */
export const SOURCE_MAP_PATH = '.meshproof/sourcemap.json';

export interface MeshAppProps {
  /**
   * Output folder for manifests. @default process.env.CDK8S_OUTDIR ?? 'dist'
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
}

/**
 * The cdk8s `App` for meshproof projects: one file per chart (`<chart>.k8s.yaml`, no name hashes),
 * written atomically (a failed synth leaves the previous output untouched), no
 * `construct-metadata.json` in the synced folder, and a source map beside it instead.
 */
export class MeshApp extends App {
  private readonly finalOutdir: string;
  private readonly root: string;
  private readonly writeSourceMap: boolean;

  constructor(props: MeshAppProps = {}) {
    const finalOutdir = props.outdir ?? process.env.CDK8S_OUTDIR ?? 'dist';
    const staging = `${finalOutdir.replace(/[/\\]+$/, '')}.staging-${process.pid}`;
    super({ outdir: staging, yamlOutputType: YamlOutputType.FILE_PER_CHART, recordConstructMetadata: false });
    this.finalOutdir = finalOutdir;
    this.root = path.resolve(props.root ?? process.cwd());
    this.writeSourceMap = props.sourceMap ?? true;
    if (this.writeSourceMap) enableSourceTracking();
  }

  override synth(): void {
    fs.rmSync(this.outdir, { recursive: true, force: true });
    const renders = this.writeSourceMap ? recordRenders(this) : undefined;
    try {
      try {
        super.synth();
      } finally {
        renders?.stop();
      }
      const entries = renders ? this.sourceMapEntries(renders.byChart) : undefined;
      fs.rmSync(this.finalOutdir, { recursive: true, force: true });
      fs.renameSync(this.outdir, this.finalOutdir);
      if (entries) writeAtomically(path.join(this.root, SOURCE_MAP_PATH), `${JSON.stringify({ version: 1, objects: entries }, null, 2)}\n`);
    } finally {
      fs.rmSync(this.outdir, { recursive: true, force: true });
    }
  }

  /** Maps every synthesized document (in the order `super.synth()` rendered it) to its construct and TypeScript line. */
  private sourceMapEntries(byChart: ReadonlyMap<Chart, readonly Rendered[]>): Record<string, SourceMapEntry> {
    const out: Record<string, SourceMapEntry> = {};
    const outRel = path.relative(this.root, path.resolve(this.finalOutdir)).split(path.sep).join('/');
    for (const chart of this.charts) {
      const file = `${outRel}/${Names.toDnsLabel(chart)}${this.outputFileExtension}`;
      (byChart.get(chart) ?? []).forEach(({ object, json }, i) => {
        const src = sourceOf(object, this.root);
        out[`${file}#${i}`] = {
          kind: json.kind,
          ...(json.metadata.namespace ? { namespace: json.metadata.namespace } : {}),
          name: json.metadata.name,
          constructPath: object.node.path,
          ...(src ? { file: src.file, line: src.line } : {}),
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

function writeAtomically(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}
