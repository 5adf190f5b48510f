// Istio's label checks for subsets and match sourceLabels: istio/istio pkg/config/labels/instance.go
// Instance.Validate (validateTagKey, labelValueRegexp), the Kubernetes label syntax without the value length limit.

const LABEL = '[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?';
const QUALIFIED_NAME = '(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const TAG = new RegExp(`^(${LABEL}(?:\\.${LABEL})*/)?(${QUALIFIED_NAME})$`);
const VALUE = new RegExp(`^(?:${QUALIFIED_NAME})?$`);

/**
 * The refusals of one label map ({key: value}): Istio's words ("invalid tag key/value") for each key that is not
 * `[dns-prefix/]name` (name 1-63 letters, digits, `-`, `_`, `.`, starting and ending alphanumeric; prefix up to 253
 * characters of DNS labels) and each value that is neither empty nor such a name. Values that are not strings are the
 * schema's. Returns [message, key] pairs.
 */
export function labelProblems(labels: Readonly<Record<string, unknown>>): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(labels)) {
    const m = TAG.exec(k);
    if (!m) out.push([`invalid tag key: "${k}"`, k]);
    else if (m[1] && m[1].length - 1 > 253) out.push([`invalid tag key: "${k}" (DNS prefix is too long)`, k]);
    else if (m[2]!.length > 63) out.push([`invalid tag key: "${k}" (name is too long)`, k]);
    if (typeof v === 'string' && !VALUE.test(v)) out.push([`invalid tag value: "${v}"`, k]);
  }
  return out;
}

/** The advice after a label refusal. */
export const LABEL_FIX = 'label keys are [prefix/]name and values empty or a name: letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
