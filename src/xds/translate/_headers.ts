/**
 * Istio `Headers` (`request` / `response`: `set`, `add`, `remove`) → Envoy header operations, as
 * istiod's `TranslateHeadersOperations` (route.go) makes them for a route, a single destination or a
 * weighted cluster.
 */
import { type HeaderValueOption, HeaderValueOptionSchema, HeaderValueOption_HeaderAppendAction } from '../gen/envoy/config/core/v3/base_pb.js';
import type { HeaderOperations, HeaderOperationsView } from '../../mesh/view/index.js';
import { createMessage as create } from '../create-message.js';

/** The Envoy fields of one `Headers`, plus the request authority it sets (`''`: none). */
export interface HeadersOperations {
  readonly requestHeadersToAdd: HeaderValueOption[];
  readonly requestHeadersToRemove: string[];
  readonly responseHeadersToAdd: HeaderValueOption[];
  readonly responseHeadersToRemove: string[];
  /**
   * `request.set` (else `request.add`) of `host` or `:authority`: istiod makes it the route's (or
   * weighted cluster's) `host_rewrite_literal`, not a header operation. Envoy refuses to add or
   * remove `host` and pseudo-headers (`isModifiableHeader`), so neither list carries them.
   */
  readonly authority: string;
}

/** Whether Envoy forbids adding or removing `key` (istiod `isInternalHeader`: `:`-prefixed or `host`). */
export function isInternalHeader(key: string): boolean {
  return key.startsWith(':') || key.toLowerCase() === 'host';
}

function isAuthorityHeader(key: string): boolean {
  const k = key.toLowerCase();
  return k === ':authority' || k === 'host';
}

/**
 * istiod `translateAppendHeaders`: one option per header that is not internal, sorted by name
 * (stable), overwriting (`set`) or appending (`add`); the last authority header's value beside.
 */
function appendHeaders(headers: Readonly<Record<string, string>> | undefined, append: boolean): { options: HeaderValueOption[]; authority: string } {
  const options: HeaderValueOption[] = [];
  let authority = '';
  if (!headers) return { options, authority };
  const appendAction = append ? HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD : HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD;
  for (const [key, value] of Object.entries(headers)) {
    if (isAuthorityHeader(key)) authority = value;
    if (isInternalHeader(key)) continue;
    options.push(create(HeaderValueOptionSchema, { header: { key, value }, appendAction }));
  }
  // Go's sort.Stable by strings.Compare: byte order, which for header names is code-unit order.
  options.sort((a, b) => (a.header!.key < b.header!.key ? -1 : a.header!.key > b.header!.key ? 1 : 0));
  return { options, authority };
}

/** istiod `TranslateHeadersOperations`: `set` before `add`; `remove` without internal headers; `set`'s authority wins over `add`'s. */
export function translateHeadersOperations(h: HeaderOperationsView | undefined): HeadersOperations {
  const req: HeaderOperations | undefined = h?.request;
  const resp: HeaderOperations | undefined = h?.response;
  const reqSet = appendHeaders(req?.set, false);
  const reqAdd = appendHeaders(req?.add, true);
  return {
    requestHeadersToAdd: [...reqSet.options, ...reqAdd.options],
    requestHeadersToRemove: (req?.remove ?? []).filter((k) => !isInternalHeader(k)),
    responseHeadersToAdd: [...appendHeaders(resp?.set, false).options, ...appendHeaders(resp?.add, true).options],
    responseHeadersToRemove: (resp?.remove ?? []).filter((k) => !isInternalHeader(k)),
    authority: reqSet.authority !== '' ? reqSet.authority : reqAdd.authority,
  };
}
