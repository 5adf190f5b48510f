import * as path from 'node:path';
import { ruleCatalogue, runCheck } from './check.js';
import { DEFAULT_CONFIG, findConfigFile, isProfile, loadConfigFile, todayUtc, type Profile } from './config/index.js';
import { exitCode, FAIL_ON_VALUES, type FailOn } from './exit-code.js';
import { plural } from './reporters/_shared.js';
import type { Finding, RuleMeta } from './types.js';

/** The part of cdk8s-cli's `ValidationContext` this plugin uses (cdk8s-cli/lib/plugins/validation). */
export interface Cdk8sValidationContext {
  readonly manifests: readonly string[];
  readonly metadata: Record<string, { path: string } | undefined>;
  readonly report: {
    addViolation(violation: {
      ruleName: string;
      recommendation: string;
      fix: string;
      violatingResources: { resourceName: string; manifestPath: string; locations: string[] }[];
    }): void;
    submit(status: 'success' | 'failure', metadata?: Record<string, string>): void;
  };
  readonly logger: { log(message: string): void };
}

/** `properties` of the validation entry in cdk8s.yaml. */
export interface PluginProperties {
  /** Lowest severity that fails `cdk8s synth`. @default 'error' */
  readonly failOn?: FailOn;
  /** Profile override; otherwise meshproof.config.yaml's. */
  readonly profile?: Profile;
}

/**
 * Runs the check suite over what `cdk8s synth` just wrote and reports it the cdk8s way: one
 * violation per rule, each occurrence with the YAML location, the TypeScript line and the
 * construct path. Fails the synth when findings reach `failOn` or the output is unusable.
 */
export async function validateManifests(context: Cdk8sValidationContext, props: PluginProperties = {}, cwd = process.cwd()): Promise<void> {
  const failOn = props.failOn ?? 'error';
  if (!FAIL_ON_VALUES.includes(failOn)) throw new Error(`meshproof validation plugin: properties.failOn is ${JSON.stringify(failOn)}; expected one of ${FAIL_ON_VALUES.join(', ')}`);
  if (props.profile !== undefined && !isProfile(props.profile)) throw new Error(`meshproof validation plugin: properties.profile is ${JSON.stringify(props.profile)}; expected recommended, strict or istio-parity`);
  const catalogue = ruleCatalogue();
  const configPath = findConfigFile(cwd);
  const config = configPath ? loadConfigFile(configPath, catalogue, cwd) : DEFAULT_CONFIG;
  const run = await runCheck({
    paths: [...context.manifests], cwd, config, today: todayUtc(), ...(props.profile ? { profile: props.profile } : {}),
    emptyHint: 'The app synthesized nothing: add a Chart with constructs to the MeshApp in apps/main.ts (dist/ is kept as it was)',
  });
  const rules = new Map<string, RuleMeta>(catalogue.map((r) => [r.id, r]));
  // The plugin checks a staged synth from the stage (.meshproof/synth), which is laid out as the
  // project: a file inside `cwd` shows as published (`dist/x.k8s.yaml`, not the stage folder removed
  // after a failed synth), a file outside it from the project root (the config file's folder), so a
  // context file reads `context/x.yaml`, not `../../context/x.yaml`.
  const root = configPath ? path.dirname(path.resolve(cwd, configPath)) : cwd;
  const shown = (file: string): string => {
    if (file === '-') return file;
    const absolute = path.resolve(cwd, file);
    const inCwd = path.relative(cwd, absolute);
    return (inCwd.startsWith('..') || path.isAbsolute(inCwd) ? path.relative(root, absolute) : inCwd) || file;
  };

  const byRule = new Map<string, Finding[]>();
  for (const f of run.result.findings) byRule.set(f.ruleId, [...(byRule.get(f.ruleId) ?? []), f]);
  for (const [ruleId, findings] of byRule) {
    const rule = rules.get(ruleId);
    const resources = new Map<string, { resourceName: string; manifestPath: string; locations: string[] }>();
    for (const f of findings) {
      const name = f.resource ? `${f.resource.kind} ${f.resource.namespace ? `${f.resource.namespace}/` : ''}${f.resource.name}` : shown(f.location.file);
      if (f.source) context.metadata[name] = { path: f.source.constructPath };
      const entry = resources.get(name) ?? { resourceName: name, manifestPath: shown(f.location.file), locations: [] };
      const ts = f.source?.file ? ` (${f.source.file}:${f.source.line})` : '';
      entry.locations.push(`${f.severity} ${shown(f.location.file)}:${f.location.line}:${f.location.column}${ts} ${f.message}`);
      resources.set(name, entry);
    }
    context.report.addViolation({
      ruleName: `${ruleId}${findings[0]!.istioCode ? ` (${findings[0]!.istioCode})` : ''}`,
      recommendation: rule?.summary ?? findings[0]!.message,
      fix: rule?.docs ?? 'See the message for each occurrence.',
      violatingResources: [...resources.values()],
    });
  }
  const code = exitCode({ result: run.result, failOn, unusableInput: run.unusableInput });
  const { errors, warnings, infos, suppressed } = run.result.summary;
  context.report.submit(code === 0 ? 'success' : 'failure', {
    'Fails on': failOn,
    Findings: `${plural(errors, 'error')}, ${plural(warnings, 'warning')}, ${infos} info, ${suppressed} suppressed`,
  });
}
