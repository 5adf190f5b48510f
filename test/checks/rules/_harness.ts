/**
 * The harness the rule tests share: YAML text in, graph or findings out, loaded the way the CLI
 * loads it (from a real file, so findings carry a real path and line numbers). Not a test file:
 * `npm test` runs files ending `.test.ts` only.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runRules } from '../../../src/checks/engine.js';
import type { Rule, RuleOptions } from '../../../src/checks/rule.js';
import type { Finding } from '../../../src/checks/types.js';
import { MeshGraph } from '../../../src/mesh/graph.js';
import { loadInputs } from '../../../src/mesh/load.js';
import { buildProxyView, proxiesOf } from '../../../src/mesh/view/index.js';
import { checkFilterChains } from '../../../src/proxy/filter-chain-match.js';
import { translateProxy } from '../../../src/xds/translate/index.js';

/**
 * The graph of `yaml` written to `<temp dir>/<fileName>` and read back with `loadInputs`. Input
 * problems (unparsable YAML, oversize input) are not checked here: the files that parsed go into
 * the graph, as they do for `meshproof check`, and a test that cares looks at the findings. The
 * temporary directory is removed before this returns or throws.
 *
 * `graphOfYaml('apiVersion: v1\nkind: Service\n...')` → a `MeshGraph` whose objects point at
 * `/tmp/mp-rule-XXXXXX/in.yaml`, line 1 onwards.
 */
export async function graphOfYaml(yaml: string, fileName = 'in.yaml'): Promise<MeshGraph> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-rule-'));
  try {
    const file = path.join(dir, fileName);
    fs.writeFileSync(file, yaml);
    const { files } = await loadInputs([file]);
    return MeshGraph.from(files);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The raw findings of `rules` over the graph of `yaml` (see `graphOfYaml`), as `runRules` returns
 * them: before configuration severities and suppressions, sorted by file, line, column, rule id,
 * message. `options` maps a rule id to that rule's options, e.g.
 * `{ 'routing/weights-total-100': { total: 1000 } }`; a rule without an entry gets `{}`.
 */
export async function findingsOf(
  yaml: string,
  rules: readonly Rule[],
  options: Readonly<Record<string, RuleOptions>> = {},
  fileName = 'in.yaml',
): Promise<Finding[]> {
  return runRules(await graphOfYaml(yaml, fileName), rules, options);
}

/**
 * What Envoy's listener check (our proxy's `checkFilterChains`: overlapping filter chain matches) says of the
 * listeners `yaml` translates to for its first proxy of `type` (a `router` is a gateway): one message per refused
 * listener, `[]` when every listener loads. Ties a rule's finding to the config the proxy would refuse.
 */
export async function listenerRefusals(yaml: string, type: 'sidecar' | 'router'): Promise<string[]> {
  const graph = await graphOfYaml(yaml);
  const proxy = proxiesOf(graph).find((p) => p.type === type)!;
  return translateProxy(buildProxyView(graph, proxy), []).listeners.flatMap((l) => checkFilterChains(l));
}
