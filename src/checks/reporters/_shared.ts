import { isAbsolute, relative, sep } from 'node:path';
import { SEVERITY_ORDER, type Finding, type ResourceRef } from '../types.js';

/** File, line, column, then most severe first, then rule id: the order every reporter uses. */
export function sortFindings<F extends Finding>(findings: readonly F[]): F[] {
  return [...findings].sort(
    (a, b) =>
      (a.location.file < b.location.file ? -1 : a.location.file > b.location.file ? 1 : 0) ||
      a.location.line - b.location.line ||
      a.location.column - b.location.column ||
      SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
      (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0),
  );
}

/** The bracketed code istioctl prints: the IST code, else the rule id. */
export function codeOf(finding: Finding): string {
  return finding.istioCode ?? finding.ruleId;
}

export function describeResource(resource: ResourceRef): string {
  return resource.namespace ? `${resource.kind} ${resource.namespace}/${resource.name}` : `${resource.kind} ${resource.name}`;
}

/** A forward-slash path relative to `cwd` (as SARIF and GitHub want); `-` (stdin) stays `-`. */
export function repoPath(file: string, cwd: string): string {
  const rel = isAbsolute(file) ? relative(cwd, file) : file;
  return rel.split(sep).join('/');
}

export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}
