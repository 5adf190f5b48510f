import type { FileLocation } from './types.js';

/**
 * Stable codes for problems with the input itself (as opposed to findings about the mesh).
 * Programs may match on these; a code is never reused for another meaning.
 */
export type InputProblemCode =
  | 'input/unreadable' // missing path, permission denied, not a file or directory
  | 'input/directory-loop' // a symlink leads back into a directory already being walked
  | 'input/too-large' // the input is over the byte budget (`--max-input-size`, across files and stdin)
  | 'input/too-many-documents' // the input holds more YAML documents than `--max-documents`
  | 'input/too-many-nodes' // the input holds more YAML nodes than `--max-nodes`
  | 'input/too-deep' // collections nested deeper than `--max-depth`
  | 'input/scalar-too-long' // a scalar longer than `--max-scalar-length`
  | 'input/binary' // NUL bytes or invalid UTF-8
  | 'input/syntax' // malformed YAML or JSON
  | 'input/duplicate-key' // the same mapping key twice
  | 'input/alias-limit' // YAML alias expansion beyond `maxAliasCount` (billion laughs)
  | 'input/undefined-alias' // `*name` with no `&name` before it
  | 'input/bom' // a byte-order mark after the start of the stream (files concatenated with `cat`?)
  | 'input/yaml-1.1' // a plain scalar Kubernetes (YAML 1.1) reads differently from YAML 1.2 (`on: yes`)
  | 'input/forbidden-key' // `__proto__` key: the object is rejected
  | 'input/suspicious-key' // `constructor` / `prototype` key: kept as data, reported
  | 'input/not-an-object' // a document (or List item) that is a sequence or a scalar
  | 'input/bad-list' // a List whose `items` is not a sequence, or Lists nested too deep
  | 'input/not-a-manifest' // kustomization.yaml, a Helm chart or values file, other configuration: skipped
  | 'input/empty' // no Kubernetes object in the whole input (allowed with `--allow-empty`)
  | 'input/missing-field' // no apiVersion, kind or metadata.name
  | 'input/unknown-kind' // a kind meshproof does not model; rules ignore it
  | 'input/unserved-kind' // a built-in kind at an apiVersion the API server does not serve, an Istio/Gateway API kind at a version its CRD does not serve and Istio does not read, or a known kind in the wrong case: refused, not modelled
  | 'input/source-map' // a source map that exists but cannot be read
  | 'input/template'; // an unrendered Helm/Go template (`{{ .Values.x }}`) behind other input problems

/** Something wrong with an input file, found before any rule runs. */
export interface InputProblem {
  readonly code: InputProblemCode;
  readonly severity: 'error' | 'warning' | 'info';
  readonly message: string;
  readonly location: FileLocation;
  /**
   * True when part of the input could not be checked at all (unparsable, refused, rejected
   * object): the check result is incomplete and the CLI must exit 2, never pass.
   */
  readonly unusable: boolean;
}

/** Builds an InputProblem; `unusable` defaults to true for errors. */
export function problem(
  code: InputProblemCode,
  message: string,
  location: FileLocation,
  severity: InputProblem['severity'] = 'error',
  unusable: boolean = severity === 'error',
): InputProblem {
  return { code, severity, message, location, unusable };
}
