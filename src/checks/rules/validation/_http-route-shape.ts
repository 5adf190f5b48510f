// How one VirtualService http rule combines its actions, as Istio's webhook checks it beyond the CRD schema:
// istio/istio pkg/config/validation/virtualservice.go validateHTTPRouteConflict, validateAuthorityRewrite,
// validateHTTPRouteMatchRequest (sourceNamespace), and validation.go validateHTTPRedirect, validateHTTPRewrite,
// validateHTTPFaultInjection.
import { isRecord } from '../../../mesh/object.js';
import type { FieldPath } from '../../types.js';
import { isDns1123Label } from './_dns.js';

type Raw = Readonly<Record<string, unknown>>;
/** One refusal: the webhook's words plus advice, and the field it is about. */
export type ShapeProblem = readonly [message: string, at: FieldPath];

const has = (v: unknown): boolean => v !== undefined && v !== null;
const nonEmpty = (v: unknown): boolean => (typeof v === 'string' && v !== '') || (Array.isArray(v) && v.length > 0);

/** validateHTTPRouteConflict for a rule that is not a root (delegating) rule: which actions exclude each other. */
function conflictProblems(rule: Raw, at: FieldPath): ShapeProblem[] {
  const out: ShapeProblem[] = [];
  const route = nonEmpty(rule.route);
  const one = 'an http rule does one of route (forward), redirect (answer 3xx) or directResponse (answer a fixed body)';
  if (has(rule.redirect)) {
    if (route) out.push([`HTTP route cannot contain both route and redirect: ${one}; remove route, or put the redirect in a rule of its own`, [...at, 'redirect']]);
    if (has(rule.fault)) out.push(['HTTP route cannot contain both fault and redirect: fault injection applies to forwarded requests; remove fault', [...at, 'fault']]);
    if (has(rule.rewrite)) out.push(['HTTP route rule cannot contain both rewrite and redirect: a redirect carries its own uri/authority; move the rewrite into redirect or remove it', [...at, 'rewrite']]);
    if (has(rule.directResponse)) out.push([`HTTP route rule cannot contain both direct_response and redirect: ${one}; keep one`, [...at, 'directResponse']]);
  } else if (has(rule.directResponse)) {
    if (route) out.push([`HTTP route cannot contain both route and direct_response: ${one}; remove route, or put the direct response in a rule of its own`, [...at, 'directResponse']]);
    if (has(rule.fault)) out.push(['HTTP route cannot contain both fault and direct_response: fault injection applies to forwarded requests; remove fault', [...at, 'fault']]);
    if (has(rule.rewrite)) out.push(['HTTP route rule cannot contain both rewrite and direct_response: nothing is forwarded to rewrite; remove rewrite', [...at, 'rewrite']]);
  } else if (!route) {
    out.push(['HTTP route, redirect or direct_response is required: the rule has no action, so the webhook refuses the VirtualService; add route: ' +
      '[{destination: {host: <service>}}], a redirect or a directResponse', at]);
  }
  if (has(rule.mirror) && nonEmpty(rule.mirrors)) {
    out.push(['HTTP route cannot contain both mirror and mirrors: move the mirror destination into mirrors and remove mirror', [...at, 'mirror']]);
  }
  return out;
}

/** validateHTTPRedirect: the first refusal only, as Istio returns on the first error. */
function redirectProblem(rule: Raw, at: FieldPath): ShapeProblem | undefined {
  const r = rule.redirect;
  if (!isRecord(r)) return undefined;
  const where: FieldPath = [...at, 'redirect'];
  if (nonEmpty(r.uri) && nonEmpty(r.prefixRewrite)) return ['redirect may only specify one of uri or prefix_rewrite: redirect.uri replaces the whole path, prefixRewrite only the matched prefix; keep one', where];
  if (nonEmpty(r.prefixRewrite)) {
    const bad = (Array.isArray(rule.match) ? rule.match : []).findIndex((m) => isRecord(m) && isRecord(m.uri) && !has(m.uri.prefix));
    if (bad >= 0) return [`redirect prefix_rewrite requires all URI matches to use prefix match type: match[${bad}].uri is not a prefix; match the uri by prefix, or use redirect.uri`, [...at, 'match', bad, 'uri']];
  }
  if (!nonEmpty(r.uri) && !nonEmpty(r.prefixRewrite) && !nonEmpty(r.authority) && !has(r.port) && !has(r.derivePort) && !nonEmpty(r.scheme)) {
    return ['redirect must specify URI, authority, scheme, or port: a redirect to the same URL loops; set redirect.uri, authority, scheme or port', where];
  }
  if (nonEmpty(r.scheme) && r.scheme !== 'http' && r.scheme !== 'https') return [`invalid redirect scheme, must be "http" or "https" (redirect.scheme is "${String(r.scheme)}")`, [...where, 'scheme']];
  return undefined;
}

/** validateHTTPRewrite and validateAuthorityRewrite. */
function rewriteProblems(rule: Raw, at: FieldPath): ShapeProblem[] {
  const out: ShapeProblem[] = [];
  const rw = isRecord(rule.rewrite) ? rule.rewrite : undefined;
  if (rw) {
    const where: FieldPath = [...at, 'rewrite'];
    if (nonEmpty(rw.uri) && has(rw.uriRegexRewrite)) out.push(['rewrite may only contain one of URI or UriRegexRewrite: keep rewrite.uri or rewrite.uriRegexRewrite', where]);
    else if (!nonEmpty(rw.uri) && !has(rw.uriRegexRewrite) && !nonEmpty(rw.authority)) {
      out.push(['rewrite must specify at least one of URI, UriRegexRewrite, or authority: the rewrite is empty; set one or remove rewrite', where]);
    } else if (isRecord(rw.uriRegexRewrite) && (!nonEmpty(rw.uriRegexRewrite.match) || !nonEmpty(rw.uriRegexRewrite.rewrite))) {
      out.push(['UriRegexRewrite requires both Rewrite and Match fields to be specified: set rewrite.uriRegexRewrite.match (an RE2 regex) and .rewrite (the replacement, \\1 for groups)', [...where, 'uriRegexRewrite']]);
    }
  }
  // Istio validateAuthorityRewrite: one of rewrite.authority and request set/add of :authority or host.
  const request = isRecord(rule.headers) && isRecord(rule.headers.request) ? rule.headers.request : {};
  const setters: [string, unknown][] = [];
  if (rw && nonEmpty(rw.authority)) setters.push(['rewrite.authority', rw.authority]);
  for (const op of ['set', 'add']) {
    const m = request[op];
    if (!isRecord(m)) continue;
    for (const [k, v] of Object.entries(m)) if ([':authority', 'host'].includes(k.toLowerCase()) && nonEmpty(v)) setters.push([`headers.request.${op}["${k}"]`, v]);
  }
  if (setters.length > 1) {
    out.push([`authority header cannot be set multiple times: have ${JSON.stringify(setters[0]![1])}, attempting to set ${JSON.stringify(setters[1]![1])} ` +
      `(${setters.map(([w]) => w).join(' and ')}); keep one`, [...at, setters[0]![0] === 'rewrite.authority' ? 'rewrite' : 'headers']]);
  }
  return out;
}

/** validateHTTPFaultInjection: an empty fault, and the abort and delay types Istio does not support yet. */
function faultProblems(rule: Raw, at: FieldPath): ShapeProblem[] {
  const f = rule.fault;
  if (!isRecord(f)) return [];
  const out: ShapeProblem[] = [];
  if (!has(f.abort) && !has(f.delay)) out.push(['HTTP fault injection must have an abort and/or a delay: fault is empty; add abort: {httpStatus, percentage} or delay: {fixedDelay, percentage}, or remove fault', [...at, 'fault']]);
  if (isRecord(f.abort) && has(f.abort.http2Error)) out.push(['HTTP/2 abort fault injection not supported yet: use fault.abort.httpStatus (or grpcStatus) instead of http2Error', [...at, 'fault', 'abort', 'http2Error']]);
  if (isRecord(f.delay) && has(f.delay.exponentialDelay)) out.push(['exponentialDelay not supported yet: use fault.delay.fixedDelay instead', [...at, 'fault', 'delay', 'exponentialDelay']]);
  return out;
}

/**
 * Every shape refusal of `spec.http[i]` (`rule`, at `at`). `root` is a rule with `delegate` in a VirtualService with
 * hosts: Istio checks it for route/redirect only (virtualservice-structure reports those), nothing else here.
 */
export function httpRouteShapeProblems(rule: Raw, at: FieldPath, root: boolean): ShapeProblem[] {
  const out: ShapeProblem[] = root ? [] : conflictProblems(rule, at);
  const redirect = redirectProblem(rule, at);
  if (redirect) out.push(redirect);
  out.push(...rewriteProblems(rule, at), ...faultProblems(rule, at));
  (Array.isArray(rule.match) ? rule.match : []).forEach((m, j) => {
    if (isRecord(m) && typeof m.sourceNamespace === 'string' && m.sourceNamespace !== '' && !isDns1123Label(m.sourceNamespace)) {
      out.push([`sourceNamespace match ${m.sourceNamespace} is invalid: a namespace name is a DNS-1123 label (at most 63 letters, digits and '-'); give the namespace the requests come from`, [...at, 'match', j, 'sourceNamespace']]);
    }
  });
  return out;
}
