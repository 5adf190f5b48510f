import type { IConstruct } from 'constructs';

/** Stable codes for construction-time errors, for programs that match on them. */
export type PropErrorCode =
  | 'MP_INVALID_WEIGHT'
  | 'MP_WEIGHT_TOTAL'
  | 'MP_INVALID_DURATION'
  | 'MP_INVALID_PERCENT'
  | 'MP_INVALID_HEADER_NAME'
  | 'MP_INVALID_REGEX'
  | 'MP_INVALID_NAME'
  | 'MP_INVALID_HOST'
  | 'MP_MISSING_VERSION'
  | 'MP_INVALID_PORT'
  | 'MP_INVALID_PROP';

/**
 * Thrown when a construct is given props that Istio would reject or that cannot mean what the
 * author intended. The message names where (construct path), what (field), the bad value and
 * what would be valid, e.g.
 * `bookinfo/reviews-canary: canaryWeight is 150; expected an integer from 0 to 100`.
 */
export class PropError extends Error {
  readonly code: PropErrorCode;
  readonly constructPath: string;
  readonly field: string;
  readonly value: unknown;
  readonly allowed: string;

  constructor(code: PropErrorCode, scope: IConstruct | string, field: string, value: unknown, allowed: string) {
    const where = typeof scope === 'string' ? scope : scope.node.path || '<root>';
    super(`${where}: ${field} is ${show(value)}; ${allowed}`);
    this.name = 'PropError';
    this.code = code;
    this.constructPath = where;
    this.field = field;
    this.value = value;
    this.allowed = allowed;
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'missing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
