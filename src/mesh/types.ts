/**
 * Where things are: positions in input files, TypeScript origins, object references and field paths.
 * The vocabulary shared by the mesh model and every stage that reads it (checks, xDS, verify, gate).
 */

/** A position in an input file. `line` and `column` are 1-based; `file` is as given on the command line (or `-` for stdin). */
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
}

export interface ResourceRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** A path into an object's body, e.g. `['spec', 'http', 0, 'route', 1, 'weight']`. */
export type FieldPath = readonly (string | number)[];
