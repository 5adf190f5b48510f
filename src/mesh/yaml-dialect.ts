import { isCollection, isPair, isScalar, Scalar, Schema, type DocumentOptions, type Node as YamlNode, type ParseOptions, type SchemaOptions, type ScalarTag, type Tags } from 'yaml';

/**
 * The YAML dialect Kubernetes reads: kubectl and the API server turn YAML into JSON with
 * sigs.k8s.io/yaml, a fork of go-yaml v2, which resolves plain scalars the YAML 1.1 way:
 *
 * - `y`/`yes`/`on`/`n`/`no`/`off` (lower, Title or UPPER case) are booleans;
 * - `0100` is octal (64), `0b101` binary, `1_000` is 1000, `0o17` is 15 (Go's `ParseInt(s, 0, 64)`);
 * - `<<` merge keys apply;
 * - timestamps (`2026-01-01`) and sexagesimal numbers (`1:30`) stay strings: go-yaml keeps
 *   timestamp-looking values as strings when decoding into `interface{}`, and has no base 60;
 * - a float out of range (`1e400`) stays a string: Go's `ParseFloat` fails on it.
 *
 * `yaml`'s own `yaml-1.1` schema is the starting point; the tags above are adjusted to match Go.
 */

/** Counts plain scalars whose YAML 1.1 value differs from their YAML 1.2 value, as they resolve. */
let divergent = 0;

/** How many scalars resolved differently from YAML 1.2 so far (a module counter: composing is synchronous). */
export function divergentCount(): number {
  return divergent;
}

const CORE = new Schema({ schema: 'core' });

/** The YAML 1.2 core-schema value of a plain scalar's source. */
function coreValue(source: string): unknown {
  for (const tag of CORE.tags as ScalarTag[]) {
    if (tag.default && tag.test?.test(source)) {
      const v = tag.resolve(source, () => undefined, {}) as unknown;
      return v instanceof Scalar ? v.value : v;
    }
  }
  return source;
}

function sameValue(a: unknown, b: unknown): boolean {
  return typeof a === typeof b && (a === b || (typeof a === 'number' && Number.isNaN(a) && Number.isNaN(b)));
}

/** Wraps a 1.1 tag so that resolving a source 1.2 reads differently bumps the counter. */
function watched(tag: ScalarTag, fastSame?: RegExp): ScalarTag {
  const resolve = tag.resolve;
  return {
    ...tag,
    resolve(source, onError, options) {
      const v = resolve.call(tag, source, onError, options) as unknown;
      if (!fastSame?.test(source) && !sameValue(v instanceof Scalar ? v.value : v, coreValue(source))) divergent++;
      return v as ReturnType<ScalarTag['resolve']>;
    },
  };
}

/** A float tag that leaves out-of-range values (`1e400`) as strings, as go-yaml does. */
function finiteOrString(tag: ScalarTag): ScalarTag {
  const resolve = tag.resolve;
  return {
    ...tag,
    resolve(source, onError, options) {
      const v = resolve.call(tag, source, onError, options) as unknown;
      const n = v instanceof Scalar ? v.value : v;
      return (typeof n === 'number' && !Number.isFinite(n) ? source : v) as ReturnType<ScalarTag['resolve']>;
    },
  };
}

/** `0o17` as Go's ParseInt(s, 0, 64) reads it (15); `yaml`'s 1.1 schema leaves it a string. */
const intOctGo: ScalarTag = {
  identify: (v) => Number.isInteger(v),
  default: true,
  tag: 'tag:yaml.org,2002:int',
  format: 'OCT',
  test: /^[-+]?0o[0-7_]+$/,
  resolve: (s) => (s.startsWith('-') ? -1 : 1) * parseInt(s.replace(/^[-+]?0o/, '').replace(/_/g, ''), 8),
};

function kubernetesTags(tags: Tags): Tags {
  const out: Tags = [];
  for (const t of tags) {
    const tag = t as ScalarTag;
    if (typeof t === 'string' || !tag.test) {
      out.push(t);
      continue;
    }
    // Sexagesimal numbers and timestamps are strings to go-yaml.
    if (tag.format === 'TIME' || tag.tag === 'tag:yaml.org,2002:timestamp') continue;
    if (tag.tag === 'tag:yaml.org,2002:bool') out.push(watched(tag, /^(?:true|True|TRUE|false|False|FALSE)$/));
    else if (tag.tag === 'tag:yaml.org,2002:int') out.push(watched(tag, tag.format === undefined ? /^[^_]*$/ : undefined));
    else if (tag.tag === 'tag:yaml.org,2002:float' && !tag.test.test('.inf')) out.push(watched(finiteOrString(tag), tag.format === undefined ? /^[^_]*$/ : undefined));
    else out.push(tag);
  }
  const oct = out.findIndex((t) => typeof t !== 'string' && (t as ScalarTag).format === 'OCT');
  out.splice(oct < 0 ? out.length : oct, 0, watched(intOctGo));
  return out;
}

/** Options for `yaml`'s Parser/Composer that read YAML the way Kubernetes does. */
export const KUBERNETES_YAML: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  schema: 'yaml-1.1',
  merge: true,
  customTags: kubernetesTags,
  // Duplicate keys are found by yaml-reader.ts with a Set per mapping: `yaml`'s check is quadratic.
  uniqueKeys: false,
  prettyErrors: false,
  keepSourceTokens: false,
  // `yaml` would print its own warnings (a collection used as a map key: "Keys with collection values will be
  // stringified") to stderr through process.emitWarning; the reader reports input problems itself.
  logLevel: 'error',
};

/** A plain scalar read differently by Kubernetes (YAML 1.1) and by YAML 1.2 tools. */
export interface DialectDifference {
  /** The scalar as written. */
  readonly source: string;
  /** What Kubernetes reads. */
  readonly kubernetes: unknown;
  /** What a YAML 1.2 reader reads. */
  readonly yaml12: unknown;
  /** Offset of the scalar. */
  readonly offset: number;
  /** Mapping keys and sequence indexes from the document root to the scalar. */
  readonly path: readonly (string | number)[];
  /** The scalar is a mapping key (`on:`), not a value. */
  readonly isKey: boolean;
}

/** Every plain scalar under `root` whose YAML 1.1 value differs from its YAML 1.2 value. */
export function dialectDifferences(root: YamlNode | null): DialectDifference[] {
  const out: DialectDifference[] = [];
  const path: (string | number)[] = [];
  const visitScalar = (node: unknown, isKey: boolean) => {
    if (!isScalar(node) || node.type !== 'PLAIN' || node.tag !== undefined || typeof node.source !== 'string') return;
    const k8s = node.value;
    if (typeof k8s === 'string' || k8s === null || k8s === undefined || (isKey && node.source === '<<')) return;
    const v12 = coreValue(node.source);
    if (!sameValue(k8s, v12)) out.push({ source: node.source, kubernetes: k8s, yaml12: v12, offset: node.range?.[0] ?? 0, path: [...path], isKey });
  };
  const walk = (node: unknown): void => {
    if (isScalar(node)) return visitScalar(node, false);
    if (!isCollection(node)) return;
    node.items.forEach((item, i) => {
      if (isPair(item)) {
        visitScalar(item.key, true);
        path.push(isScalar(item.key) ? String(item.key.value) : i);
        walk(item.value);
        path.pop();
      } else {
        path.push(i);
        walk(item);
        path.pop();
      }
    });
  };
  walk(root);
  return out;
}
