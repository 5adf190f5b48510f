import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { SourceOrigin, SourcePosition } from './types.js';
import { problem, type InputProblem } from './problems.js';

/**
 * `.meshproof/sourcemap.json`, written by `meshproof synth` at the project root:
 * `{"version":1,"objects":{"dist/0000-app.k8s.yaml#3":{"kind":"VirtualService","namespace":"shop","name":"cart","constructPath":"…","file":"apps/x.ts","line":42}}}`.
 * Keys are manifest paths relative to the project root (forward slashes) plus `#<0-based document index>`;
 * `kind`/`namespace`/`name` say which object the entry was written for (`namespace` absent when the
 * manifest had none), `file`/`line` are absent when no TypeScript line was found; `fields` (optional)
 * maps field paths joined with dots to the lines that made those parts (`"spec.http.2":{"file":
 * "apps/x.ts","line":57}`: the `addRoute` of a RouteTable's third route).
 */
export interface SourceMapFile {
  readonly version: 1;
  readonly objects: Readonly<Record<string, SourceOrigin & Partial<MappedObject>>>;
}

/** Which object a source map entry was written for. */
interface MappedObject {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** One loaded entry: the origin and, when the map recorded it, the object it belongs to. */
interface LoadedEntry {
  readonly origin: SourceOrigin;
  readonly object?: MappedObject;
}

/** A loaded source map and the project root its keys are relative to. */
export interface LoadedSourceMap {
  readonly root: string;
  readonly objects: ReadonlyMap<string, LoadedEntry>;
  /** Entries by `file\0kind\0namespace\0name` and by `file\0\0\0name` (`null` when several entries share the key). */
  readonly byIdentity: ReadonlyMap<string, LoadedEntry | null>;
}

/** What the caller knows of the object: its kind and `metadata.namespace` as written (undefined when absent). */
export interface ObjectIdentity {
  readonly kind: string;
  readonly namespace?: string;
}

/** cdk8s's `construct-metadata.json` (App `recordConstructMetadata`): resource name → construct path. */
interface ConstructMetadata {
  readonly resources: Readonly<Record<string, { readonly path: string }>>;
}

/**
 * Finds source origins for manifest objects. Looks upward from each manifest's directory for
 * `.meshproof/sourcemap.json` (or uses an explicit one), and falls back to a cdk8s
 * `construct-metadata.json` next to the manifest, which gives the construct path only
 * (`file` is then `''` and `line` 0). Results are cached per directory.
 */
export class SourceMapResolver {
  private readonly maps = new Map<string, Promise<LoadedSourceMap | null>>();
  private readonly metadata = new Map<string, Promise<ReadonlyMap<string, string> | null>>();
  readonly problems: InputProblem[] = [];

  /** @param explicit path to a sourcemap.json; its project root is the parent of `.meshproof/`. */
  constructor(private readonly explicit?: string) {}

  /**
   * The origin of the object `name` (of kind and namespace `identity`, when given), document `docIndex`
   * of the manifest at `absolutePath`, or null. The entry at `file#docIndex` is used only when the object it
   * was written for is this one (same kind, namespace and name, or same name when `identity` is not given);
   * otherwise, as after a hand-written document was inserted above, the one entry of the same file with
   * this kind/namespace/name (or this name alone, when it is unique in the file) is used, and when there is
   * none the TypeScript origin is left out rather than guessed.
   */
  async originOf(absolutePath: string, docIndex: number, name: string, identity?: ObjectIdentity): Promise<SourceOrigin | null> {
    const map = await this.mapFor(path.dirname(absolutePath));
    if (map) {
      const file = path.relative(map.root, absolutePath).split(path.sep).join('/');
      const atIndex = map.objects.get(`${file}#${docIndex}`);
      const wanted = { name, ...identity };
      if (atIndex && (!atIndex.object || sameObject(atIndex.object, wanted))) return atIndex.origin;
      const found = map.byIdentity.get(identityKey(file, wanted));
      if (found) return found.origin;
      if (atIndex) return null; // the map covers this file, but not this object: no TypeScript line beats a wrong one
    }
    const meta = await this.metadataIn(path.dirname(absolutePath));
    const constructPath = meta?.get(name);
    return constructPath ? { constructPath, file: '', line: 0 } : null;
  }

  private mapFor(dir: string): Promise<LoadedSourceMap | null> {
    if (this.explicit) return this.cached(this.maps, '', () => this.read(path.resolve(this.explicit!)));
    return this.cached(this.maps, dir, async () => {
      const candidate = path.join(dir, '.meshproof', 'sourcemap.json');
      if (await exists(candidate)) return this.read(candidate);
      const parent = path.dirname(dir);
      return parent === dir ? null : this.mapFor(parent);
    });
  }

  private async read(file: string): Promise<LoadedSourceMap | null> {
    try {
      const json = JSON.parse(await fs.readFile(file, 'utf8')) as SourceMapFile;
      if (json?.version !== 1 || typeof json.objects !== 'object' || json.objects === null) throw new Error('expected {"version":1,"objects":{…}}');
      const objects = new Map<string, LoadedEntry>();
      const byIdentity = new Map<string, LoadedEntry | null>();
      for (const [k, v] of Object.entries(json.objects)) {
        if (!v || typeof v.constructPath !== 'string') continue;
        const fields = fieldsOf(v.fields);
        const origin: SourceOrigin = { constructPath: v.constructPath, file: typeof v.file === 'string' ? v.file : '', line: typeof v.line === 'number' ? v.line : 0, ...(fields ? { fields } : {}) };
        const object = typeof v.kind === 'string' && typeof v.name === 'string'
          ? { kind: v.kind, name: v.name, ...(typeof v.namespace === 'string' ? { namespace: v.namespace } : {}) } : undefined;
        const entry: LoadedEntry = object ? { origin, object } : { origin };
        objects.set(k, entry);
        const hash = k.lastIndexOf('#');
        if (!object || hash < 0) continue;
        for (const key of [identityKey(k.slice(0, hash), object), identityKey(k.slice(0, hash), { name: object.name })]) {
          byIdentity.set(key, byIdentity.has(key) ? null : entry);
        }
      }
      return { root: path.dirname(path.dirname(file)), objects, byIdentity };
    } catch (e) {
      this.problems.push(problem('input/source-map', `cannot use source map ${file}: ${(e as Error).message}; findings will show manifest lines only`, { file, line: 1, column: 1 }, 'warning', false));
      return null;
    }
  }

  private metadataIn(dir: string): Promise<ReadonlyMap<string, string> | null> {
    return this.cached(this.metadata, dir, async () => {
      const file = path.join(dir, 'construct-metadata.json');
      if (!(await exists(file))) return null;
      try {
        const json = JSON.parse(await fs.readFile(file, 'utf8')) as ConstructMetadata;
        const out = new Map<string, string>();
        for (const [name, v] of Object.entries(json.resources ?? {})) if (typeof v?.path === 'string') out.set(name, v.path);
        return out;
      } catch (e) {
        this.problems.push(problem('input/source-map', `cannot use ${file}: ${(e as Error).message}`, { file, line: 1, column: 1 }, 'warning', false));
        return null;
      }
    });
  }

  private cached<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
    let p = cache.get(key);
    if (!p) cache.set(key, (p = make()));
    return p;
  }
}

/** An entry's `fields` (field path → TypeScript line), keeping only well-formed ones; undefined when none. */
function fieldsOf(v: unknown): Record<string, SourcePosition> | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const out: Record<string, SourcePosition> = {};
  for (const [k, p] of Object.entries(v as Record<string, unknown>)) {
    const at = p as Partial<SourcePosition> | null;
    if (at && typeof at.file === 'string' && at.file !== '' && typeof at.line === 'number' && Number.isInteger(at.line) && at.line > 0) out[k] = { file: at.file, line: at.line };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Whether a map entry's object is `wanted`; kind and namespace are compared only when `wanted` has a kind. */
function sameObject(entry: MappedObject, wanted: { readonly name: string; readonly kind?: string; readonly namespace?: string }): boolean {
  if (entry.name !== wanted.name) return false;
  return wanted.kind === undefined || (entry.kind === wanted.kind && (entry.namespace ?? '') === (wanted.namespace ?? ''));
}

function identityKey(file: string, o: { readonly name: string; readonly kind?: string; readonly namespace?: string }): string {
  return o.kind === undefined ? `${file}\0\0\0${o.name}` : `${file}\0${o.kind}\0${o.namespace ?? ''}\0${o.name}`;
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}
