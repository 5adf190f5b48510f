import { parseMeshConfig } from '../../../mesh/mesh-config.js';
import { isMeshConfigMap } from '../../../mesh/mesh-config-in-input.js';
import type { MeshObject } from '../../../mesh/object.js';
import type { FileLocation } from '../../../mesh/types.js';
import type { Rule } from '../../rule.js';

/** A block literal header: `mesh: |`, `mesh: |-`, `mesh: |2+`, quoted key allowed, a trailing comment allowed. */
const BLOCK_LITERAL = /^\s*(mesh|"mesh"|'mesh')\s*:\s*\|[-+0-9]*\s*(#.*)?$/;

/**
 * Where line `line`, column `column` of the MeshConfig text sits in the ConfigMap's file: exact
 * when `data.mesh` is a block literal (`mesh: |`) of a document read from YAML, whose content
 * lines follow the key line one for one after the block's indentation; undefined otherwise (a
 * quoted or folded string, JSON, a `List` item), when the finding points at the `mesh:` key.
 */
export function meshTextPosition(cm: MeshObject, text: string, line: number, column: number): FileLocation | undefined {
  if (cm.span === undefined || cm.itemIndex !== null) return undefined;
  const key = cm.locate(['data', 'mesh']);
  const spanLines = cm.span.split(/\r?\n/);
  const header = key.line - cm.location.line;
  if (!BLOCK_LITERAL.test(spanLines[header] ?? '')) return undefined;
  const first = spanLines.slice(header + 1).find((l) => l.trim() !== '');
  const indent = first === undefined ? 0 : first.length - first.trimStart().length;
  const fileLine = spanLines[header + line];
  const textLine = text.split('\n')[line - 1];
  // The text's line must be the file's line without the block's indentation, or the mapping is off.
  if (fileLine === undefined || textLine === undefined || (fileLine.trim() !== '' && fileLine.slice(indent) !== textLine)) return undefined;
  return { file: cm.file, line: key.line + line, column: indent + column };
}

/**
 * `validation/mesh-config`: the MeshConfig in the `istio` ConfigMap (`data.mesh`, or a revision's
 * `istio-<revision>`) as istiod reads it: a value istiod's validation refuses (wrong type, unknown
 * enum value, a retry policy it rejects, YAML that does not parse) makes istiod ignore the whole
 * MeshConfig; an unknown field is dropped and the rest applies; a field it accepts but ignores is
 * a warning. Points at the line inside `data.mesh` when it is a block literal (`mesh: |`).
 */
const meshConfigRule: Rule = {
  id: 'validation/mesh-config',
  severity: 'error',
  summary: 'The MeshConfig in the istio ConfigMap (data.mesh) has a value istiod refuses, so istiod ignores the whole MeshConfig and runs on its defaults (or the last good one); unknown and ignored fields are warnings.',
  docs: [
    'istiod reads its MeshConfig from the `istio` ConfigMap (`istio-<revision>` for a revision) in its namespace;',
    'meshproof applies the `istio` one, or, when the input has none, the only revision\'s (a control plane installed with',
    'a revision alone), and says so when several revisions\' are present without a default one.',
    'pkg/config/mesh `ApplyMeshConfig` decodes `data.mesh` with protomarshal.ApplyYAML, which drops unknown fields',
    'and keeps the rest, then runs `agent.ValidateMeshConfig`. A value that does not decode or validate (a string',
    'where a duration is expected, `outboundTrafficPolicy.mode: REGISTRY_ONY`, an inbound default retry policy it refuses,',
    'YAML that does not parse) makes istiod log "invalid mesh config, using last known state" (meshwatcher',
    'NewCollection; "invalid mesh config, ignoring" when SHARED_MESH_CONFIG adds a second source) and keep the last',
    'good MeshConfig, Istio\'s defaults at startup: every setting in the ConfigMap is then silently not applied, and the Kubernetes API',
    'server accepts the ConfigMap as any other. meshproof reads the ConfigMap the same way for its other checks',
    'and for `xds compile`/`serve`. Unknown fields (a typo such as `defaultHttpRetryPolicy.attemps`) are warnings:',
    'istiod drops them, so the setting meant is not applied. Fields istiod accepts and ignores',
    '(`defaultInboundHttpRetryPolicy.perTryTimeout`) are warnings too, and so is a second YAML document after a `---`',
    'in the text, which istiod neither parses nor applies (it reads the first). A `data.mesh` written as a YAML mapping rather',
    'than a block of text is refused by the API server (ConfigMap data values are strings). istiod does not validate',
    'the outbound `defaultHttpRetryPolicy`: its values are judged by what they do (negative attempts and a 0 per-try',
    'timeout warn; a 0 back-off, which Envoy refuses on every route carrying it, is an error). An enum may be written by',
    'its value\'s number, as istiod\'s decoder reads it (`accessLogEncoding: 1` is JSON); a fraction or a number beyond 32',
    'bits is refused, and a 32-bit number that names no value is accepted by istiod but acts as none. What is modelled: the',
    'top-level field types and enums, timeouts, trust domain and aliases, exportTo defaults, rootNamespace and both',
    'default retry policies; nested messages such as `defaultConfig` (ProxyConfig) and `extensionProviders` are',
    'checked for being a mapping or list only.',
    'Fix: correct the field named in the message; the message points at its line inside `data.mesh` when the',
    'MeshConfig is written as a block literal (`mesh: |`).',
  ].join(' '),
  kinds: ['ConfigMap'],
  check(graph, ctx) {
    const maps = (graph.ofKind('ConfigMap') as readonly MeshObject[]).filter((o) => isMeshConfigMap(o, graph.rootNamespace));
    if (!maps.some((cm) => cm.name === 'istio') && maps.length > 1) {
      for (const cm of maps) {
        ctx.report(cm, `meshproof applies one MeshConfig to every workload: the default revision's (ConfigMap ${cm.namespace}/istio), or the only revision's when the input holds just one; the input has no istio ConfigMap and ${maps.length} revisions' ones, so this revision's MeshConfig is validated but not applied: the checks and xDS use the --mesh-config file when one is given, else Istio's defaults. ` +
          `Fix: to judge with it, pass its data.mesh with --mesh-config (or add the istio ConfigMap)`, { path: ['data', 'mesh'], severity: 'info' });
      }
    }
    for (const cm of maps) {
      const mesh = (cm.body.data as Record<string, unknown>).mesh;
      if (typeof mesh !== 'string') {
        ctx.report(cm, `data.mesh is ${Array.isArray(mesh) ? 'a list' : typeof mesh === 'object' ? 'a mapping' : `a ${typeof mesh}`}, but ConfigMap data values are strings: the API server refuses this ConfigMap, so none of it reaches istiod, which keeps the MeshConfig it runs with (Istio's defaults when the cluster has no istio ConfigMap). ` +
          'Fix: write the MeshConfig as a block of text, `mesh: |` with the MeshConfig YAML indented on the lines below', { path: ['data', 'mesh'] });
        continue;
      }
      const text = mesh;
      const { problems, warnings } = parseMeshConfig(text, cm.file, { unknownFields: 'ignore' });
      const where = (l: FileLocation) => meshTextPosition(cm, text, l.line, l.column);
      const near = (l: FileLocation) => (where(l) ? '' : ` (line ${l.line} of data.mesh)`);
      for (const p of problems) {
        const at = where(p.location);
        const refused = p.acceptedByIstiod ? '' : 'istiod ignores this whole MeshConfig ("invalid mesh config, using last known state": the last good MeshConfig, or Istio\'s defaults at startup, applies, none of these settings): ';
        ctx.report(cm, `${refused}${p.message}${near(p.location)}`,
          { path: ['data', 'mesh'], ...(at ? { at } : {}) });
      }
      for (const w of warnings) {
        const at = where(w.location);
        ctx.report(cm, `${w.message}${near(w.location)}`, { path: ['data', 'mesh'], severity: 'warning', ...(at ? { at } : {}) });
      }
    }
  },
};

export default meshConfigRule;
