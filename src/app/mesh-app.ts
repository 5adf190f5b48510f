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
    try {
      super.synth();
      const entries = this.writeSourceMap ? this.sourceMapEntries() : undefined;
      fs.rmSync(this.finalOutdir, { recursive: true, force: true });
      fs.renameSync(this.outdir, this.finalOutdir);
      if (entries) writeAtomically(path.join(this.root, SOURCE_MAP_PATH), `${JSON.stringify({ version: 1, objects: entries }, null, 2)}\n`);
    } finally {
      fs.rmSync(this.outdir, { recursive: true, force: true });
    }
  }

  /** Maps every synthesized document to the construct and TypeScript line that produced it. */
  private sourceMapEntries(): Record<string, SourceMapEntry> {
    const out: Record<string, SourceMapEntry> = {};
    const outRel = path.relative(this.root, path.resolve(this.finalOutdir)).split(path.sep).join('/');
    for (const chart of this.charts) {
      const file = `${outRel}/${Names.toDnsLabel(chart)}${this.outputFileExtension}`;
      const docs = chart.toJson() as { kind: string; metadata: { name: string; namespace?: string } }[];
      const index = new Map(docs.map((d, i) => [objectKey(d.kind, d.metadata.namespace, d.metadata.name), i]));
      for (const obj of chart.node.findAll()) {
        if (!ApiObject.isApiObject(obj) || Chart.of(obj) !== chart) continue;
        const json = obj.toJson() as { kind: string; metadata: { name: string; namespace?: string } };
        const i = index.get(objectKey(json.kind, json.metadata.namespace, json.metadata.name));
        if (i === undefined) continue;
        const src = sourceOf(obj, this.root);
        out[`${file}#${i}`] = {
          kind: json.kind,
          ...(json.metadata.namespace ? { namespace: json.metadata.namespace } : {}),
          name: json.metadata.name,
          constructPath: obj.node.path,
          ...(src ? { file: src.file, line: src.line } : {}),
        };
      }
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => compareKeys(a, b)));
  }
}

function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
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
