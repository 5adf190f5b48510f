/**
 * A mesh input as data, for the differential carry-over test: documents (plain objects) spread over
 * files, each with blank-comment padding above it (so moving, padding or reordering changes the
 * file:line every origin carries), and the workload instances of the embedded runtime.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { MeshGraph, type GraphOptions } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';
import type { WorkloadInstance } from '../../../src/xds/translate/index.js';
import { meshOf } from '../../../bench/view/mesh.js';
import { BASE, baseWorkloads, differences, packedMesh, viewDifferences } from './_carry.js';
import { DIST, appNames } from './_apps.js';

/** A document of the input. */
export type Doc = Record<string, any>;

export interface Placed {
  doc: Doc;
  /** Index into {@link FILES}. */
  file: number;
  /** Comment lines written above the document. */
  pad: number;
  /** Flow style (`{ a: 1 }`) instead of block: moves columns and lines. */
  flow: boolean;
}

export interface MeshState {
  readonly corpus: string;
  placed: Placed[];
  workloads: WorkloadInstance[];
}

export const FILES = ['a.yaml', 'b.yaml'];

/** A deep copy (documents and workloads are edited in place by mutations). */
export function cloneState(s: MeshState): MeshState {
  return { corpus: s.corpus, placed: s.placed.map((p) => ({ ...p, doc: structuredClone(p.doc) })), workloads: structuredClone(s.workloads) };
}

/** The files' text. */
export function render(s: MeshState): string[] {
  return FILES.map((_, i) => s.placed.filter((p) => p.file === i).map((p) => `${'#\n'.repeat(p.pad)}${p.flow ? `${stringify(p.doc, { collectionStyle: 'flow' })}` : stringify(p.doc)}`).join('---\n'));
}

/** Writes `s`'s files into `dir` (emptied first); the names of the files written (a file with no document is left out). */
export function writeState(s: MeshState, dir: string): string[] {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const texts = render(s);
  const names: string[] = [];
  texts.forEach((t, i) => {
    if (t.trim() === '') return;
    writeFileSync(join(dir, FILES[i]!), t);
    names.push(FILES[i]!);
  });
  return names;
}

/** The graph of the files `names` in `dir` (as {@link writeState} wrote them), through the real loader. */
async function loadGraph(dir: string, names: readonly string[], opts: GraphOptions): Promise<MeshGraph> {
  const loaded = await loadInputs([...names], { cwd: dir });
  const unusable = loaded.problems.filter((p) => p.unusable);
  if (unusable.length > 0) throw new Error(`mesh unusable: ${unusable.map((p) => p.message).join('; ')}`);
  return MeshGraph.from(loaded.files, opts);
}

/** The graph of `s`, loaded through the real loader from `dir` (so file names and lines are real). */
export async function graphOf(s: MeshState, dir: string, opts: GraphOptions = {}): Promise<MeshGraph> {
  return loadGraph(dir, writeState(s, dir), opts);
}

const TLS_MODE = 'security.istio.io/tlsMode';

/** One workload instance per Deployment (its pod template labels), addresses 10.<corpus>.<i>. */
export function workloadsOf(docs: readonly Doc[], net: number): WorkloadInstance[] {
  return docs.filter((d) => d.kind === 'Deployment' && d.metadata?.namespace !== 'istio-system').map((d, i) => ({
    name: String(d.metadata.name), namespace: String(d.metadata.namespace ?? 'default'), address: `10.${net}.${i >> 8}.${(i & 255) + 1}`,
    labels: { ...(d.spec?.template?.metadata?.labels ?? {}), [TLS_MODE]: 'istio' }, ports: {},
  }));
}

function placedOf(docs: readonly Doc[]): Placed[] {
  return docs.map((doc, i) => ({ doc, file: i % 3 === 2 ? 1 : 0, pad: 0, flow: false }));
}

const parse = (text: string): Doc[] => parseAllDocuments(text).map((d) => d.toJS() as Doc).filter((d) => d && typeof d === 'object');

/** The corpora as first parsed (never handed out: {@link corpora} gives copies). */
let parsedCorpora: readonly MeshState[] | undefined;

/**
 * The corpora: the carry-over tests' mesh (`_carry.ts` BASE), each committed app in `dist/`, and
 * the bench mesh generator at 20 services (last). Parsed once per process; each call returns
 * fresh deep copies, so callers may edit them.
 */
export function corpora(): MeshState[] {
  if (!parsedCorpora) {
    const out: MeshState[] = [{ corpus: 'carry-base', placed: placedOf(parse(BASE)), workloads: baseWorkloads() }];
    appNames().forEach((app, i) => {
      const docs = parse(readFileSync(join(DIST, `${app}.k8s.yaml`), 'utf8'));
      out.push({ corpus: `dist/${app}`, placed: placedOf(docs), workloads: workloadsOf(docs, 10 + i) });
    });
    const bench = meshOf(20) as Doc[];
    out.push({ corpus: 'bench-20', placed: placedOf(bench), workloads: workloadsOf(bench, 40) });
    parsedCorpora = out;
  }
  return parsedCorpora.map(cloneState);
}

/** One reload of a seeded chain, compared: the graph built on its predecessor, a from-scratch graph of the same input, and both translated. */
export interface ComparedReload {
  readonly reloaded: MeshGraph;
  readonly fresh: MeshGraph;
  /** Every proxy's resources of `reloaded` (translation cache on), as `packedMesh` gives them. */
  readonly carried: Map<string, string>;
  /** The same of `fresh`, translated without the cache. */
  readonly scratch: Map<string, string>;
}

/**
 * One reload of a seeded chain: `candidate` built on `previous` (as `xds serve` reloads) and from
 * scratch, in `dir`; throws (naming `context`, e.g. the seed and the chain's edits, and how to
 * `reproduce`) when a view (problems, subset labels, origins: what no xDS byte shows) or an xDS
 * resource differs. Null when the candidate is not a usable mesh.
 */
export async function compareReload(previous: MeshGraph, candidate: MeshState, dir: string, context: string, reproduce: string): Promise<ComparedReload | null> {
  // One write of the files, loaded twice: each graph parses the text on its own.
  const names = writeState(candidate, dir);
  let reloaded: MeshGraph;
  try {
    reloaded = await loadGraph(dir, names, { previous });
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('mesh unusable')) return null;
    throw e;
  }
  const fresh = await loadGraph(dir, names, {});
  const views = viewDifferences(reloaded, fresh);
  if (views.length > 0) throw new Error(`STALE VIEW ${context}: ${views.slice(0, 3).join(' | ')}`);
  const carried = packedMesh(reloaded, candidate.workloads);
  const scratch = packedMesh(fresh, candidate.workloads, false);
  const diff = differences(carried, scratch);
  if (diff.length > 0) throw new Error(`STALE CONFIG ${context}: ${diff.length} resource(s) differ from a from-scratch translation, e.g. ${diff.slice(0, 4).join(' | ')}\nreproduce: ${reproduce}`);
  return { reloaded, fresh, carried, scratch };
}
