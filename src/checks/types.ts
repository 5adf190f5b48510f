/**
 * The shared vocabulary of the check suite: what a rule is, what it reports, and where a finding
 * points. The loader and `MeshGraph` (src/mesh/) produce `MeshObject`s; rules read the graph
 * and call `RuleContext.report`; the runner applies configuration and suppressions; reporters
 * (src/checks/reporters/) render `CheckResult`s. The JSON reporter's output mirrors these types.
 */

export type Severity = 'error' | 'warning' | 'info';

/** Severities from most to least severe, for `--fail-on` and sorting. */
export const SEVERITY_ORDER: readonly Severity[] = ['error', 'warning', 'info'];

export type { FieldPath, FileLocation, ResourceRef, SourceOrigin } from '../mesh/types.js';
import type { FieldPath, FileLocation, ResourceRef, SourceOrigin } from '../mesh/types.js';

export interface Finding {
  /** Stable rule id `area/name`, e.g. `routing/weights-total-100`. Never reused for another meaning. */
  readonly ruleId: string;
  /** The `istioctl analyze` code this mirrors, e.g. `IST0101`, or null. */
  readonly istioCode: string | null;
  readonly severity: Severity;
  readonly message: string;
  /** The object reported on; null for findings about a file (e.g. unparsable YAML). */
  readonly resource: ResourceRef | null;
  /** Where in the YAML/JSON input: the reported field when known, else the object. */
  readonly location: FileLocation;
  /** The TypeScript origin when the object came from a cdk8s app with a source map. */
  readonly source: SourceOrigin | null;
  /** The field the finding is about, when it is about one field. */
  readonly fieldPath?: FieldPath;
}

/** A finding that was suppressed, kept so reporters can show what was waived and why. */
export interface SuppressedFinding extends Finding {
  readonly suppression: {
    readonly by: 'annotation' | 'istio-annotation' | 'config-exception';
    readonly reason: string;
  };
}

/** Static description of a rule, shown by `meshproof rules` and in SARIF `tool.driver.rules`. */
export interface RuleMeta {
  /** Stable id `area/name`. */
  readonly id: string;
  /** Default severity; configuration may override it. */
  readonly severity: Severity;
  /** One line: what is wrong when this rule fires. */
  readonly summary: string;
  /** Why it matters and how to fix it (Markdown, a few sentences). */
  readonly docs: string;
  /** Kinds the rule reads, e.g. `['VirtualService', 'DestinationRule', 'Service']`. */
  readonly kinds: readonly string[];
  /** The `istioctl analyze` code it mirrors, if any. */
  readonly istioCode?: string;
  /** Rules off unless a profile or the config enables them. @default true */
  readonly enabledByDefault?: boolean;
  /**
   * JSON Schema (draft-07) of the rule's `options` in meshproof.config.yaml; a config whose options
   * do not validate is refused (exit 2). A rule without one takes no options. @default undefined
   */
  readonly optionsSchema?: Readonly<Record<string, unknown>>;
}

export interface CheckSummary {
  readonly files: number;
  readonly objects: number;
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
  readonly suppressed: number;
  readonly rulesRun: number;
}

/** What one `meshproof check` run produced: the input to every reporter and to the exit-code function. */
export interface CheckResult {
  readonly findings: readonly Finding[];
  readonly suppressed: readonly SuppressedFinding[];
  readonly rules: readonly RuleMeta[];
  readonly summary: CheckSummary;
  /** Notes for the user that are not findings, e.g. "exception for X expired on 2026-01-01". */
  readonly notices: readonly string[];
}
