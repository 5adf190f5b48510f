/**
 * Loads the artifacts codegen.ts generates at build time (lib/generated/crds/): the CRD index,
 * one structural schema per served version, and its ajv validator. Each is read the first time
 * a kind needs it and kept for the rest of the run.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { packagePath } from '../package-root.js';
import { VALIDATOR_RUNTIME, type ValidatorRuntime } from './ajv-runtime.js';
import type { StructuralSchema } from './types.js';

/** Where `npm run build` writes the artifacts, relative to the package root. */
export const GENERATED_PATH = ['lib', 'generated', 'crds'] as const;

/** `index.json`: the CRDs of the vendored CRD files (see codegen.ts), reduced to what validation needs. */
export interface GeneratedIndex {
  /** The CRD files the artifacts were generated from: path under the package root, SHA-256 (hex) of the text. */
  readonly sources: { readonly path: string; readonly sha256: string }[];
  readonly crds: {
    readonly group: string;
    readonly kind: string;
    /** Each version names its schema id: `<id>.schema.json` and `<id>.validate.cjs`. */
    readonly versions: readonly { readonly name: string; readonly served: boolean; readonly schema: string }[];
  }[];
  /** The core workload kinds whose int32 fields are checked (schemas/kubernetes/workload-ranges.json), each naming its schema id. */
  readonly kubernetes: { readonly apiVersion: string; readonly kind: string; readonly schema: string }[];
}

const require = createRequire(import.meta.url);
let index: GeneratedIndex | undefined;
const schemas = new Map<string, StructuralSchema>();
const validators = new Map<string, ValidateFunction>();

function artifact(name: string): string {
  return join(packagePath(...GENERATED_PATH), name);
}

function missing(e: unknown, path: string): Error {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'ENOENT' && code !== 'MODULE_NOT_FOUND') return e instanceof Error ? e : new Error(String(e));
  return new Error(`the generated CRD validators are missing (${path}); run \`npm run build\` in the meshproof checkout, or reinstall meshproof`);
}

/** The CRD index; throws when the build has not generated it. */
export function generatedIndex(): GeneratedIndex {
  if (index) return index;
  const path = artifact('index.json');
  try {
    index = JSON.parse(readFileSync(path, 'utf8')) as GeneratedIndex;
  } catch (e) {
    throw missing(e, path);
  }
  return index;
}

/** The `openAPIV3Schema` with schema id `id` (the same object on every call). */
export function generatedSchema(id: string): StructuralSchema {
  let schema = schemas.get(id);
  if (!schema) {
    const path = artifact(`${id}.schema.json`);
    try {
      schema = JSON.parse(readFileSync(path, 'utf8')) as StructuralSchema;
    } catch (e) {
      throw missing(e, path);
    }
    schemas.set(id, schema);
  }
  return schema;
}

/** The ajv validator of schema id `id`, built from its generated module on first use. */
export function generatedValidator(id: string): ValidateFunction {
  let validate = validators.get(id);
  if (!validate) {
    const path = artifact(`${id}.validate.cjs`);
    let makeValidator: (rt: ValidatorRuntime) => ValidateFunction;
    try {
      makeValidator = require(path) as typeof makeValidator;
    } catch (e) {
      throw missing(e, path);
    }
    validate = makeValidator(VALIDATOR_RUNTIME);
    validators.set(id, validate);
  }
  return validate;
}
