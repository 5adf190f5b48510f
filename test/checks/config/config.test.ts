import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUILTIN_RULES, enabledRules, finalizeResult } from '../../../src/checks/check.js';
import { ConfigError, DEFAULT_CONFIG, findConfigFile, parseConfig, profileFailOn, type MeshproofConfig } from '../../../src/checks/config/index.js';
import { CATALOGUE, finding } from './_rules.js';

const ALL = [...CATALOGUE, ...BUILTIN_RULES];
const ids = (config: MeshproofConfig, profile?: MeshproofConfig['profile']): string[] => enabledRules(ALL, config, profile).map((e) => e.rule.id);
const config = (yaml: string): MeshproofConfig => parseConfig(yaml, 'meshproof.config.yaml', ALL);

function configError(yaml: string): ConfigError {
  try {
    config(yaml);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

function run(cfg: MeshproofConfig, findings = [finding('references/host-not-found'), finding('routing/weights-total-100', { severity: 'warning' })], today = '2025-06-01') {
  return finalizeResult({ findings, inputFindings: [], enabled: enabledRules(ALL, cfg), targets: [], exceptions: cfg.exceptions, today, files: 1 });
}

test('GIVEN no config WHEN rules are picked THEN the recommended profile: default-on rules only', () => {
  assert.equal(ids(DEFAULT_CONFIG), ['references/host-not-found', 'routing/weights-total-100', 'config/suppression-without-reason']);
});

test('GIVEN profile strict THEN every rule runs, incl. off-by-default, and --fail-on defaults to warning', () => {
  const cfg = config('profile: strict\n');
  assert.equal(ids(cfg), ['references/host-not-found', 'routing/weights-total-100', 'routing/timeout-required', 'config/suppression-without-reason']);
  assert.is(profileFailOn('strict'), 'warning');
  assert.is(profileFailOn('recommended'), 'error');
});

test('GIVEN profile istio-parity THEN only rules with an istioctl code run', () => {
  assert.equal(ids(config('profile: istio-parity\n')), ['references/host-not-found']);
});

test('GIVEN a --profile override THEN it wins over the config file', () => {
  assert.equal(ids(config('profile: strict\n'), 'istio-parity'), ['references/host-not-found']);
});

test('GIVEN a rule set off THEN it does not run; GIVEN an off-by-default rule given a severity THEN it runs', () => {
  const cfg = config('rules:\n  routing/weights-total-100: off\n  routing/timeout-required: { severity: warning, options: { max: 30 } }\n');
  assert.equal(ids(cfg), ['references/host-not-found', 'routing/timeout-required', 'config/suppression-without-reason']);
  assert.equal(enabledRules(ALL, cfg).find((e) => e.rule.id === 'routing/timeout-required')?.options, { max: 30 });
});

test('GIVEN a severity override THEN findings of that rule are reported at it', () => {
  const result = run(config('rules:\n  references/host-not-found: warning\n'));
  assert.equal(result.findings.map((f) => f.severity), ['warning', 'warning']);
  assert.is(result.summary.errors, 0);
  assert.is(result.summary.warnings, 2);
});

test('GIVEN an exception with a reason, unexpired THEN the finding is suppressed with that reason', () => {
  const cfg = config(
    'exceptions:\n  - rule: references/host-not-found\n    resource: "VirtualService default/*"\n    reason: ratings moves next sprint\n    expires: 2026-01-01\n',
  );
  const result = run(cfg);
  assert.equal(result.findings.map((f) => f.ruleId), ['routing/weights-total-100']);
  assert.equal(result.suppressed.map((f) => f.suppression), [{ by: 'config-exception', reason: 'ratings moves next sprint' }]);
  assert.equal(result.notices, []);
});

test('GIVEN an exception by istioctl code THEN it matches findings with that code', () => {
  const cfg = config('exceptions:\n  - { rule: IST0101, resource: "VirtualService default/reviews", reason: r, expires: 2026-01-01 }\n');
  assert.is(run(cfg).suppressed.length, 1);
});

test('GIVEN an exception whose resource glob does not match THEN nothing is suppressed', () => {
  const cfg = config('exceptions:\n  - { rule: IST0101, resource: "VirtualService prod/*", reason: r, expires: 2026-01-01 }\n');
  assert.is(run(cfg).suppressed.length, 0);
});

test('GIVEN an expired exception THEN the finding is reported and a notice says so', () => {
  const cfg = config('exceptions:\n  - { rule: routing/weights-total-100, resource: "VirtualService default/r*", reason: legacy canary, expires: 2026-01-01 }\n');
  const result = run(cfg, undefined, '2026-01-01');
  assert.is(result.suppressed.length, 0);
  assert.is(result.findings.length, 2);
  assert.equal(result.notices, ['exception for routing/weights-total-100 on VirtualService default/r* expired on 2026-01-01: legacy canary']);
});

test('GIVEN an unknown rule id THEN ConfigError at the key, with a suggestion', () => {
  const e = configError('profile: recommended\nrules:\n  routing/weights-total-10: off\n');
  assert.equal(e.at, { file: 'meshproof.config.yaml', line: 3, column: 3 });
  assert.match(e.message, /^meshproof\.config\.yaml:3:3: rules: unknown rule id "routing\/weights-total-10"; did you mean "routing\/weights-total-100"\?/);
});

test('GIVEN a retired rule id in rules or an exception THEN ConfigError saying why it was retired and what reports it now', () => {
  const e = configError('rules:\n  resilience/fault-disables-timeout-retries: off\n');
  assert.is(e.at?.line, 2);
  assert.match(e.message, /unknown rule id "resilience\/fault-disables-timeout-retries"; it was retired: a fault does not disable a route's timeout and retries .*resilience\/fault-bypasses-timeout-retries reports those/);
  const x = configError('exceptions:\n  - { rule: resilience/fault-disables-timeout-retries, resource: "VirtualService default/r", reason: chaos, expires: 2099-01-01 }\n');
  assert.match(x.message, /it was retired: /);
});

test('GIVEN a bad severity THEN ConfigError at the value', () => {
  const e = configError('rules:\n  routing/weights-total-100: fatal\n');
  assert.is(e.at?.line, 2);
  assert.match(e.message, /got "fatal"/);
});

test('GIVEN an exception without reason or expiry THEN ConfigError at that exception', () => {
  const noReason = configError('exceptions:\n  - rule: IST0101\n    resource: VirtualService default/x\n    expires: 2026-01-01\n');
  assert.is(noReason.at?.line, 2);
  assert.match(noReason.message, /"reason" is required/);
  const blank = configError('exceptions:\n  - { rule: IST0101, resource: VirtualService default/x, reason: "  ", expires: 2026-01-01 }\n');
  assert.match(blank.message, /reason: must say why/);
  const noExpiry = configError('exceptions:\n  - { rule: IST0101, resource: VirtualService default/x, reason: r }\n');
  assert.match(noExpiry.message, /"expires" is required/);
  const badDate = configError('exceptions:\n  - { rule: IST0101, resource: VirtualService default/x, reason: r, expires: next year }\n');
  assert.match(badDate.message, /not a date of the form YYYY-MM-DD/);
});

test('GIVEN an unknown top-level key or invalid YAML THEN ConfigError with file:line', () => {
  assert.match(configError('profile: strict\nrulez: {}\n').message, /^meshproof\.config\.yaml:2:1: \(top level\): unknown key "rulez"/);
  assert.match(configError('rules: [\n').message, /^meshproof\.config\.yaml:\d+:\d+: not valid YAML/);
});

test('GIVEN a key written twice in the config THEN the error names the key, where it is and its first line', () => {
  const top = configError('profile: recommended\nrules:\n  routing/weights-total-100: off\nexclude: []\nrules:\n  service/port-name-convention: off\n');
  assert.is(top.message, 'meshproof.config.yaml:5:1: duplicate key "rules" at the top level (first at line 2): YAML keys must be unique, and tools disagree on which value wins; keep one (merge the entries of both under one "rules:")');
  const nested = configError('limits:\n  maxDocuments: 10\n  maxDocuments: 20\n');
  assert.match(nested.message, /^meshproof\.config\.yaml:3:3: duplicate key "maxDocuments" in limits \(first at line 2\)/);
});

test('GIVEN a config file two directories up THEN findConfigFile finds it', () => {
  const root = mkdtempSync(join(tmpdir(), 'meshproof-cfg-'));
  const deep = join(root, 'a', 'b');
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(root, 'meshproof.config.yaml'), 'profile: strict\n');
  assert.is(findConfigFile(deep), join(root, 'meshproof.config.yaml'));
});

test.run();
