import { exceptionMatches, expiredNotice, isExpired } from './config/exceptions.js';
import type { ConfigException } from './config/types.js';
import { sourceAt } from '../mesh/types.js';
import type { FieldPath, FileLocation, Finding, ResourceRef, RuleMeta, SourceOrigin, SuppressedFinding } from './types.js';

/** Comma-separated rule ids or istioctl codes whose findings on this object are waived. */
export const SUPPRESS_ANNOTATION = 'meshproof.dev/suppress';
/** Why; required, or `meshproof.dev/suppress` is ignored. */
export const SUPPRESS_REASON_ANNOTATION = 'meshproof.dev/suppress-reason';
/** istioctl's own suppression: comma-separated IST codes, or `*`. */
export const ISTIO_SUPPRESS_ANNOTATION = 'galley.istio.io/analyze-suppress';

export const SUPPRESSION_WITHOUT_REASON: RuleMeta = {
  id: 'config/suppression-without-reason',
  severity: 'warning',
  summary: `An object sets ${SUPPRESS_ANNOTATION} without ${SUPPRESS_REASON_ANNOTATION}, so nothing is suppressed.`,
  docs:
    `A suppression must say why it exists so reviewers can judge it later. Add ` +
    `\`${SUPPRESS_REASON_ANNOTATION}: "<why>"\` next to \`${SUPPRESS_ANNOTATION}\`, or remove the suppression. ` +
    `Until then the suppressed findings are reported.`,
  kinds: ['*'],
};

/** What suppression needs to know about one object of the graph. */
export interface SuppressionTarget {
  readonly resource: ResourceRef;
  readonly annotations: Readonly<Record<string, string>>;
  /** Where the object starts. */
  readonly location: FileLocation;
  readonly source: SourceOrigin | null;
  /** Where a field of the object is, when known. */
  locate?(path: FieldPath): FileLocation | undefined;
}

/** Key for looking objects up by a finding: file plus `Kind ns/name`. */
export function targetKey(file: string, ref: ResourceRef): string {
  return `${file}\u0000${ref.kind}\u0000${ref.namespace}\u0000${ref.name}`;
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function hasReason(target: SuppressionTarget): boolean {
  return (target.annotations[SUPPRESS_REASON_ANNOTATION] ?? '').trim() !== '';
}

/** `config/suppression-without-reason` findings for objects that suppress without saying why. */
export function suppressionProblems(targets: Iterable<SuppressionTarget>): Finding[] {
  const findings: Finding[] = [];
  for (const target of targets) {
    const codes = target.annotations[SUPPRESS_ANNOTATION];
    if (codes === undefined || hasReason(target)) continue;
    const fieldPath = ['metadata', 'annotations', SUPPRESS_ANNOTATION];
    findings.push({
      ruleId: SUPPRESSION_WITHOUT_REASON.id,
      istioCode: null,
      severity: SUPPRESSION_WITHOUT_REASON.severity,
      message: `${SUPPRESS_ANNOTATION}: "${codes}" is ignored because ${SUPPRESS_REASON_ANNOTATION} is missing; add a reason or remove the suppression`,
      resource: target.resource,
      location: target.locate?.(fieldPath) ?? target.location,
      source: sourceAt(target.source, fieldPath),
      fieldPath,
    });
  }
  return findings;
}

function bySuppressionAnnotation(finding: Finding, target: SuppressionTarget): SuppressedFinding['suppression'] | undefined {
  if (!hasReason(target)) return undefined;
  const codes = list(target.annotations[SUPPRESS_ANNOTATION]);
  if (codes.includes(finding.ruleId) || (finding.istioCode !== null && codes.includes(finding.istioCode))) {
    return { by: 'annotation', reason: target.annotations[SUPPRESS_REASON_ANNOTATION]!.trim() };
  }
  return undefined;
}

function byIstioAnnotation(finding: Finding, target: SuppressionTarget): SuppressedFinding['suppression'] | undefined {
  if (finding.istioCode === null) return undefined;
  const value = target.annotations[ISTIO_SUPPRESS_ANNOTATION];
  const codes = list(value);
  if (!codes.includes('*') && !codes.includes(finding.istioCode)) return undefined;
  const reason = (target.annotations[SUPPRESS_REASON_ANNOTATION] ?? '').trim() || `${ISTIO_SUPPRESS_ANNOTATION}: "${value}"`;
  return { by: 'istio-annotation', reason };
}

export interface SuppressionInput {
  /** Objects by `targetKey(file, resource)`. */
  readonly targets: ReadonlyMap<string, SuppressionTarget>;
  readonly exceptions: readonly ConfigException[];
  /** `YYYY-MM-DD`; exceptions expiring on or before it do not apply. */
  readonly today: string;
}

export interface SuppressionOutcome {
  readonly findings: Finding[];
  readonly suppressed: SuppressedFinding[];
  /** One notice per expired exception. */
  readonly notices: string[];
}

/**
 * Splits findings into reported and suppressed: per-object annotations first
 * (`meshproof.dev/suppress` with a reason, then `galley.istio.io/analyze-suppress`), then
 * unexpired config exceptions.
 */
export function applySuppressions(findings: readonly Finding[], input: SuppressionInput): SuppressionOutcome {
  const live = input.exceptions.filter((e) => !isExpired(e, input.today));
  const notices = input.exceptions.filter((e) => isExpired(e, input.today)).map(expiredNotice);
  const reported: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const finding of findings) {
    const target = finding.resource ? input.targets.get(targetKey(finding.location.file, finding.resource)) : undefined;
    let suppression = target ? (bySuppressionAnnotation(finding, target) ?? byIstioAnnotation(finding, target)) : undefined;
    if (suppression === undefined) {
      const exception = live.find((e) => exceptionMatches(e, finding));
      if (exception) suppression = { by: 'config-exception', reason: exception.reason };
    }
    if (suppression) suppressed.push({ ...finding, suppression });
    else reported.push(finding);
  }
  return { findings: reported, suppressed, notices };
}
