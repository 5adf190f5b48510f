import type { RuleMeta, Severity } from '../types.js';
import type { MeshproofConfig, Profile, RuleSetting } from './types.js';

/** One rule as configured for a run. */
export interface EnabledRule<R extends RuleMeta> {
  readonly rule: R;
  /** Severity every finding of this rule is reported at; undefined keeps what the rule reports. */
  readonly severityOverride: Severity | undefined;
  readonly options: Readonly<Record<string, unknown>>;
}

/** The `--fail-on` threshold a profile implies when the command line gives none. */
export function profileFailOn(profile: Profile): Severity {
  return profile === 'strict' ? 'warning' : 'error';
}

function inProfile(rule: RuleMeta, profile: Profile): boolean {
  switch (profile) {
    case 'recommended':
      return rule.enabledByDefault !== false;
    case 'strict':
      return true;
    case 'istio-parity':
      return rule.istioCode !== undefined;
  }
}

function settingSeverity(setting: RuleSetting): 'off' | Severity | undefined {
  return typeof setting === 'string' ? setting : setting.severity;
}

/**
 * Picks the rules to run: the profile's set, then the config's per-rule overrides (`off` removes a
 * rule, a severity or an options object enables it, even when it is off by default).
 */
export function resolveRules<R extends RuleMeta>(
  all: readonly R[],
  config: Pick<MeshproofConfig, 'profile' | 'rules'>,
): EnabledRule<R>[] {
  const enabled: EnabledRule<R>[] = [];
  for (const rule of all) {
    const setting = config.rules[rule.id];
    const severity = setting === undefined ? undefined : settingSeverity(setting);
    if (severity === 'off') continue;
    if (setting === undefined && !inProfile(rule, config.profile)) continue;
    const options = typeof setting === 'object' && setting.options ? setting.options : {};
    enabled.push({ rule, severityOverride: severity, options });
  }
  return enabled;
}
