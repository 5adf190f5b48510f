/**
 * Build-time generation of the CRD validators (run by `npm run build` through
 * scripts/build-schemas.mjs; never imported by `meshproof check`). Parsing the vendored CRD files
 * (Istio's ~1 MB, Gateway API's ~1.2 MB) and compiling their schemas with ajv took over a second
 * on every run; this does it once and writes plain JSON and ajv standalone code that a run loads
 * per kind, when first needed.
 *
 * Output, by file name (all under lib/generated/crds/):
 * - `index.json`: every CRD's group, kind and versions, each naming its schema id; the core
 *   workload kinds of schemas/kubernetes/workload-ranges.json (apiVersion, kind, schema id); and the
 *   path and SHA-256 of each file the artifacts were generated from;
 * - `<id>.schema.json`: a served version's `openAPIV3Schema` (defaulting, CEL and list checks read it);
 * - `<id>.validate.cjs`: the ajv validator of that schema as translated by `toJsonSchema`.
 * The output is a pure function of the CRD texts and this code: test/validate/generated.test.ts
 * regenerates it and fails when lib/ is stale.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { _, Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { parseAllDocuments } from 'yaml';
import { VALIDATOR_RUNTIME } from './ajv-runtime.js';
import type { GeneratedIndex } from './generated.js';
import { packagePath } from '../package-root.js';
import { HINT } from './object-meta.js';
import { re2 } from './re2.js';
import { NUMBER_FORMAT, RANGE_WHY, toJsonSchema, type JsonSchema } from './structural.js';
import type { StructuralSchema } from './types.js';

/**
 * The regular-expression engine ajv compiles with: RE2 compiled now, so a pattern RE2 rejects
 * fails the build. ajv shares compiled patterns by their `toString()`, so it differs per pattern;
 * `code` is what generated code calls instead (`rt.re2`, VALIDATOR_RUNTIME.re2 at run time).
 */
const eagerRe2 = Object.assign((pattern: string) => {
  re2(pattern);
  return { test: (text: string) => VALIDATOR_RUNTIME.re2(pattern).test(text), toString: () => `re2:${pattern}` };
}, { code: 'rt.re2' });

// ajv's standalone entry is CommonJS with a `default` export; under NodeNext it arrives wrapped.
type StandaloneCode = (ajv: Ajv, validate: ValidateFunction) => string;
const standaloneCode = ((standaloneModule as unknown as { default?: StandaloneCode }).default ?? standaloneModule) as unknown as StandaloneCode;

/** The generated files, by name, in a stable order. */
export type GeneratedFiles = ReadonlyMap<string, string>;

/** One vendored CRD file: its path under the package root, as the index names it, and its text. */
export interface CrdSource {
  readonly path: string;
  readonly text: string;
}

/** Folder of the Gateway API CRDs (one file per CRD, see its SOURCES.md). */
const GATEWAY_API_DIR = 'schemas/gateway-api';

/**
 * The int32 fields of the core workload kinds (scripts/gen-k8s-ranges.mjs, see its SOURCES.md):
 * `{source, kinds: [{apiVersion, kind, schema}]}`, each schema a structural schema of the paths to
 * those fields only, every object preserving unknown fields.
 */
export const KUBERNETES_RANGES = 'schemas/kubernetes/workload-ranges.json';

/**
 * The vendored files validators are generated from, in a stable order: Istio's
 * `schemas/istio/crd-all.gen.yaml`, every `schemas/gateway-api/*.yaml`, then {@link KUBERNETES_RANGES}.
 */
export function readCrdSources(): CrdSource[] {
  const gatewayApi = readdirSync(packagePath(GATEWAY_API_DIR)).filter((name) => name.endsWith('.yaml')).sort()
    .map((name) => `${GATEWAY_API_DIR}/${name}`);
  return ['schemas/istio/crd-all.gen.yaml', ...gatewayApi, KUBERNETES_RANGES]
    .map((path) => ({ path, text: readFileSync(packagePath(...path.split('/')), 'utf8') }));
}

/** Generates every artifact from the CRD files. Throws on a CRD it cannot read, or a kind defined twice. */
export function generateValidatorArtifacts(sources: readonly CrdSource[]): GeneratedFiles {
  const files = new Map<string, string>();
  const idsByText = new Map<string, string>();
  const index: GeneratedIndex = { sources: [], crds: [], kubernetes: [] };
  for (const source of sources) {
    const sourceSha256 = sha256(source.text);
    index.sources.push({ path: source.path, sha256: sourceSha256 });
    if (source.path === KUBERNETES_RANGES) {
      for (const k of readKubernetesKinds(source.text, source.path)) {
        const id = `k8s_${k.apiVersion.replace('/', '_')}_${k.kind.toLowerCase()}`;
        files.set(`${id}.schema.json`, `${JSON.stringify(k.schema)}\n`);
        files.set(`${id}.validate.cjs`, validatorModule(k.schema, source.path, sourceSha256, { objectMeta: false }));
        index.kubernetes.push({ apiVersion: k.apiVersion, kind: k.kind, schema: id });
      }
      continue;
    }
    for (const crd of readCrds(source.text, source.path)) {
      if (index.crds.some((c) => c.group === crd.group && c.kind === crd.kind)) {
        throw new Error(`${source.path}: ${crd.group}/${crd.kind} is defined by an earlier CRD file too`);
      }
      const versions = crd.versions.map((v) => {
        const structural = JSON.stringify(v.schema);
        let id = idsByText.get(structural);
        if (!id) {
          id = `${crd.group}_${crd.kind.toLowerCase()}-${v.name}`;
          idsByText.set(structural, id);
          files.set(`${id}.schema.json`, `${structural}\n`);
          files.set(`${id}.validate.cjs`, validatorModule(v.schema, source.path, sourceSha256));
        }
        return { name: v.name, served: v.served, schema: id };
      });
      index.crds.push({ group: crd.group, kind: crd.kind, versions });
    }
  }
  files.set('index.json', `${JSON.stringify(index, null, 1)}\n`);
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}

interface RawCrd {
  readonly group: string;
  readonly kind: string;
  readonly versions: readonly { name: string; served: boolean; schema: StructuralSchema }[];
}

/** The kinds of {@link KUBERNETES_RANGES}. Throws on a file of another shape. */
function readKubernetesKinds(text: string, path: string): { apiVersion: string; kind: string; schema: StructuralSchema }[] {
  const kinds = (JSON.parse(text) as { kinds?: unknown }).kinds;
  if (!Array.isArray(kinds)) throw new Error(`${path}: no "kinds" list; regenerate it with scripts/gen-k8s-ranges.mjs`);
  return kinds.map((k: { apiVersion?: unknown; kind?: unknown; schema?: unknown }, i) => {
    if (typeof k.apiVersion !== 'string' || typeof k.kind !== 'string' || typeof k.schema !== 'object' || k.schema === null) {
      throw new Error(`${path}: kinds[${i}] lacks apiVersion, kind or schema`);
    }
    return { apiVersion: k.apiVersion, kind: k.kind, schema: k.schema as StructuralSchema };
  });
}

function readCrds(text: string, path: string): RawCrd[] {
  const out: RawCrd[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]!.message}`);
    const spec = (doc.toJS() as { spec?: { group?: string; names?: { kind?: string }; versions?: unknown[] } } | null)?.spec;
    if (!spec) continue;
    if (!spec.group || !spec.names?.kind || !Array.isArray(spec.versions)) throw new Error(`${path}: a CRD lacks spec.group, spec.names.kind or spec.versions`);
    const versions = spec.versions.map((v) => {
      const version = v as { name: string; served?: boolean; schema?: { openAPIV3Schema?: StructuralSchema } };
      return { name: version.name, served: version.served !== false, schema: version.schema?.openAPIV3Schema ?? {} };
    });
    out.push({ group: spec.group, kind: spec.names.kind, versions });
  }
  return out;
}

/**
 * One CommonJS module exporting `makeValidator(rt)`: ajv's standalone code for the schema,
 * wrapped so that the regular-expression engine and formats come from `rt` (VALIDATOR_RUNTIME).
 */
function validatorModule(schema: StructuralSchema, sourcePath: string, sourceSha256: string, options: { readonly objectMeta?: boolean } = {}): string {
  // A fresh instance per schema keeps generated names (validate10, schema11…) independent of order.
  const ajv = new Ajv({
    allErrors: true, // the API server reports every violation, not the first
    verbose: true, // messages read the offending value and the failing (sub)schema
    messages: false,
    strict: false,
    strictNumbers: true, // NaN and ±Infinity are not numbers: JSON has no form for them
    inlineRefs: false, // one function per object node: V8 compiles only the ones a manifest reaches
    // `rt` is makeValidator's parameter, VALIDATOR_RUNTIME at run time (ajv-runtime.ts).
    code: { source: true, regExp: eagerRe2, formats: _`rt.formats` },
    formats: VALIDATOR_RUNTIME.formats,
  });
  ajv.addKeyword(HINT);
  ajv.addKeyword(NUMBER_FORMAT);
  ajv.addKeyword(RANGE_WHY);
  const validate = ajv.compile(splitSubschemas(toJsonSchema(schema, options)) as AnySchema);
  const name = validate.source?.validateName;
  const code = standaloneCode(ajv, validate);
  const header = `"use strict";module.exports = ${String(name)};module.exports.default = ${String(name)};`;
  if (!name || !code.startsWith(header)) throw new Error('ajv standalone code has an unexpected shape; update codegen.ts');
  return [
    `// Generated by src/validate/codegen.ts (npm run build) from ${sourcePath}`,
    `// sha256:${sourceSha256}. Do not edit.`,
    '"use strict";',
    'module.exports = function makeValidator(rt) {',
    code.slice(header.length),
    `return ${String(name)};`,
    '};',
    '',
  ].join('\n');
}

/**
 * Moves every object and array node below the root into `definitions`, referenced by `$ref`,
 * and shares identical nodes (a DestinationRule's traffic policy appears at four places). With
 * `inlineRefs: false` each becomes its own function, so the generated code is about a third
 * the size and V8 compiles lazily only what a manifest's fields reach. Junctor branches
 * (oneOf/anyOf/allOf/not) stay inline: their errors are read together with the junctor's.
 */
export function splitSubschemas(root: JsonSchema): JsonSchema {
  const definitions: Record<string, JsonSchema> = {};
  const ids = new Map<string, string>();
  function visit(node: JsonSchema, isRoot: boolean): JsonSchema {
    const out: JsonSchema = { ...node };
    const properties = node.properties as Record<string, JsonSchema> | undefined;
    if (properties) out.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, visit(v, false)]));
    if (node.items && typeof node.items === 'object') out.items = visit(node.items as JsonSchema, false);
    if (node.additionalProperties && typeof node.additionalProperties === 'object') {
      out.additionalProperties = visit(node.additionalProperties as JsonSchema, false);
    }
    if (isRoot || !(properties || out.items || typeof out.additionalProperties === 'object')) return out;
    const text = JSON.stringify(out);
    let id = ids.get(text);
    if (!id) {
      id = `n${ids.size}`;
      ids.set(text, id);
      definitions[id] = out;
    }
    return { $ref: `#/definitions/${id}` };
  }
  const out = visit(root, true);
  return Object.keys(definitions).length > 0 ? { ...out, definitions } : out;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
