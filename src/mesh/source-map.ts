import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { SourceOrigin } from './types.js';
import { problem, type InputProblem } from './problems.js';

/**
 * `.meshproof/sourcemap.json`, written by `meshproof synth` at the project root:
 * `{"version":1,"objects":{"dist/0000-app.k8s.yaml#3":{"constructPath":"…","file":"apps/x.ts","line":42}}}`.
 * Keys are manifest paths relative to the project root (forward slashes) plus `#<0-based document index>`.
 */
export interface SourceMapFile {
  readonly version: 1;
  readonly objects: Readonly<Record<string, SourceOrigin>>;
}

/** A loaded source map and the project root its keys are relative to. */
export interface LoadedSourceMap {
  readonly root: string;
  readonly objects: ReadonlyMap<string, SourceOrigin>;
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

  /** The origin of document `docIndex` of the manifest at `absolutePath`, or null. */
  async originOf(absolutePath: string, docIndex: number, name: string): Promise<SourceOrigin | null> {
    const map = await this.mapFor(path.dirname(absolutePath));
    if (map) {
      const key = `${path.relative(map.root, absolutePath).split(path.sep).join('/')}#${docIndex}`;
      const origin = map.objects.get(key);
      if (origin) return origin;
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
      const objects = new Map<string, SourceOrigin>();
      for (const [k, v] of Object.entries(json.objects)) {
        if (v && typeof v.constructPath === 'string' && typeof v.file === 'string' && typeof v.line === 'number') objects.set(k, { constructPath: v.constructPath, file: v.file, line: v.line });
      }
      return { root: path.dirname(path.dirname(file)), objects };
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

async function exists(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}
