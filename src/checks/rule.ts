import type { MeshGraph } from '../mesh/graph.js';
import type { MeshObject } from '../mesh/object.js';
import type { FieldPath, Finding, RuleMeta, Severity } from './types.js';
import type { FileLocation } from '../mesh/types.js';

/** Options for one rule from configuration, e.g. `{ total: 100 }`. */
export type RuleOptions = Readonly<Record<string, unknown>>;

export interface ReportOptions {
  /** The field the finding is about; the finding points at its line (or the closest existing node). */
  readonly path?: FieldPath;
  /** Overrides the rule's default severity for this finding. */
  readonly severity?: Severity;
  /**
   * A position inside the field at `path` (text a string field embeds, such as the MeshConfig YAML
   * in a ConfigMap's `data.mesh`): the finding points there instead of at the field's key.
   */
  readonly at?: FileLocation;
}

/** What a rule gets besides the graph. */
export interface RuleContext {
  /** This rule's options from configuration (empty when none). */
  readonly options: RuleOptions;
  /** Reports a finding on `object`, located at `opts.path` when given. */
  report(object: MeshObject, message: string, opts?: ReportOptions): void;
}

/**
 * A check: static metadata plus `check`, which reads the graph and calls `ctx.report`.
 * One rule per file under `src/checks/rules/<area>/<name>.ts`, registered in `rules/index.ts`.
 * Rules must be pure functions of (graph, options): no I/O, no state kept between runs.
 */
export interface Rule extends RuleMeta {
  check(graph: MeshGraph, ctx: RuleContext): void;
}

/** Reads a numeric option with a default, for rules. */
export function numberOption(options: RuleOptions, name: string, fallback: number): number {
  const v = options[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}
