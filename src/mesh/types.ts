/**
 * Where things are: positions in input files, TypeScript origins, object references and field paths.
 * The vocabulary shared by the mesh model and every stage that reads it (checks, xDS, verify, gate).
 */

/**
 * A position in an input file. `line` and `column` are 1-based; `file` is as given on the command line (or `-` for stdin).
 * Line and column 0 point at the path as a whole, a folder (`dist/`) that has no line: see `fileLine`.
 */
export interface FileLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** The TypeScript code that produced an object, when it came from a cdk8s app. */
export interface SourceOrigin {
  /** Construct path, e.g. `bookinfo/reviews/virtual-service`. */
  readonly constructPath: string;
  /** Source file relative to the project root, e.g. `apps/bookinfo/reviews.ts`. */
  readonly file: string;
  readonly line: number;
  /**
   * TypeScript lines of parts of the object made elsewhere than the object itself, by field path
   * joined with dots (`spec.http.2`: the `addRoute` call, or the CanaryRelease or HeaderSplit,
   * that added the third HTTP route of a RouteTable). Read through `sourceAt`. @default none
   */
  readonly fields?: Readonly<Record<string, SourcePosition>>;
}

/** A line of the project's TypeScript: `file` relative to the project root, `line` 1-based. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
}

export interface ResourceRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** A path into an object's body, e.g. `['spec', 'http', 0, 'route', 1, 'weight']`. */
export type FieldPath = readonly (string | number)[];

/**
 * The TypeScript origin of `path` in an object whose origin is `source`: the line of the deepest
 * part of `path` that `source.fields` names (a route added by `addRoute`), else the object's own;
 * without `fields` either way (what findings and reports carry). Null stays null.
 */
export function sourceAt(source: SourceOrigin | null, path?: FieldPath): SourceOrigin | null {
  if (source === null) return null;
  const plain: SourceOrigin = { constructPath: source.constructPath, file: source.file, line: source.line };
  if (!source.fields || !path) return source.fields ? plain : source;
  for (let n = path.length; n > 0; n--) {
    const at = source.fields[path.slice(0, n).join('.')];
    if (at) return { constructPath: source.constructPath, file: at.file, line: at.line };
  }
  return plain;
}
