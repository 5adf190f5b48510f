import { isRecord, stringList } from '../../../mesh/object.js';
import type { Rule } from '../../rule.js';
import { isAllowPolicy } from './_helpers.js';

/** Values that match anything, per field of `source` / `operation`. */
const WILDCARDS: Readonly<Record<string, readonly string[]>> = {
  principals: ['*'],
  requestPrincipals: ['*'],
  namespaces: ['*'],
  ipBlocks: ['0.0.0.0/0', '::/0'],
  remoteIpBlocks: ['0.0.0.0/0', '::/0'],
  hosts: ['*'],
  methods: ['*'],
  paths: ['*', '/*'],
  ports: ['*'],
};

/** `security/allow-everything`: an ALLOW rule that matches every request. */
const allowEverything: Rule = {
  id: 'security/allow-everything',
  severity: 'error',
  summary: 'An ALLOW AuthorizationPolicy has a rule that matches every request, silently defeating default-deny.',
  docs: [
    'An ALLOW rule matches a request when one of its `from` entries, one of its `to` entries and all `when`',
    'conditions match. A rule with nothing in it (`rules: [{}]`), or whose sources and operations use only',
    'wildcards (`principals: ["*"]`, `namespaces: ["*"]`, `methods: ["*"]`, `paths: ["*"]`, `hosts: ["*"]`,',
    '`ipBlocks: ["0.0.0.0/0"]`…), allows every caller to do everything on the selected workloads — with no',
    'finding anywhere, a namespace with default-deny is wide open again. (`principals: ["*"]` still requires',
    'mTLS, which STRICT mode gives every caller anyway.) Note the difference: `spec: {}` (no rules) allows',
    'nothing. Fix: name the callers (`principals: ["cluster.local/ns/<ns>/sa/<sa>"]`) and the operations, or',
    'delete the rule. Any `not*` field or `when` condition counts as a restriction.',
  ].join(' '),
  kinds: ['AuthorizationPolicy'],
  check(graph, ctx) {
    for (const ap of graph.ofKind('AuthorizationPolicy')) {
      if (!isAllowPolicy(ap) || !Array.isArray(ap.spec.rules)) continue;
      ap.spec.rules.forEach((rule, i) => {
        if (!isRecord(rule) || !matchesEverything(rule)) return;
        const empty = Object.keys(rule).every((k) => !Array.isArray(rule[k]) || rule[k].length === 0);
        const how = empty ? 'has no from, to or when' : 'uses only wildcards';
        ctx.report(ap, `ALLOW rule spec.rules[${i}] ${how}, so it allows every request to the workloads this policy selects and defeats ` +
          'default-deny; name the callers (from.source.principals) and operations (to.operation), or delete the rule', { path: ['spec', 'rules', i] });
      });
    }
  },
};

function matchesEverything(rule: Readonly<Record<string, unknown>>): boolean {
  if (Array.isArray(rule.when) && rule.when.length > 0) return false;
  return clauseOpen(rule.from, 'source') && clauseOpen(rule.to, 'operation');
}

/** A `from` / `to` list matches everything when absent, empty, or when one entry is unrestricted. */
function clauseOpen(list: unknown, key: 'source' | 'operation'): boolean {
  if (!Array.isArray(list) || list.length === 0) return true;
  return list.some((entry) => isRecord(entry) && (entry[key] === undefined || (isRecord(entry[key]) && unrestricted(entry[key]))));
}

function unrestricted(fields: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(fields).every(([field, value]) => {
    const values = stringList(value);
    if (!values || values.length === 0) return true;
    const wild = WILDCARDS[field];
    return wild !== undefined && values.every((v) => wild.includes(v));
  });
}

export default allowEverything;
