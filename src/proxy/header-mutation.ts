/**
 * Header add/remove operations of routes, virtual hosts, route configurations and weighted clusters
 * (`request_headers_to_add` / `_to_remove`, `response_headers_to_add` / `_to_remove`), compiled once
 * and applied to a flat `[name, value, name, value, …]` header list, the shape node and undici use.
 * Envoy's `HeaderParser::evaluateHeaders`: removals first, then additions in order.
 */
import { type HeaderValueOption, HeaderValueOption_HeaderAppendAction } from '../xds/gen/envoy/config/core/v3/base_pb.js';
import { parseHeaderFormat } from '../validate/envoy-header-format.js';
import { ConfigError } from './config/config-error.js';

/** `HeaderValueOption.append_action` (the deprecated `append` true/false maps to append / overwrite-or-add). */
export type AppendAction = 'append' | 'add-if-absent' | 'overwrite-or-add' | 'overwrite-if-exists';

export interface HeaderAdd {
  /** Lower-case header name. */
  readonly name: string;
  readonly value: string;
  readonly action: AppendAction;
}

/** One level's operations. */
export interface HeaderMutation {
  /** Lower-case names removed before anything is added. */
  readonly remove: readonly string[];
  readonly add: readonly HeaderAdd[];
}

const ACTIONS: Record<number, AppendAction> = {
  [HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD]: 'append',
  [HeaderValueOption_HeaderAppendAction.ADD_IF_ABSENT]: 'add-if-absent',
  [HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD]: 'overwrite-or-add',
  [HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS]: 'overwrite-if-exists',
};

/**
 * Compiles one level. `host` and `:`-prefixed headers can be neither added nor removed (Envoy's
 * `isModifiableHeader` / `isRemovableHeader`: a ConfigError). Values are parsed as Envoy parses them
 * (`validate/envoy-header-format.ts`): one Envoy refuses (`100%`) is a ConfigError in Envoy's words, and `%%` is a
 * literal %; a substitution command (`%HOSTNAME%`), which Envoy accepts, is a ConfigError too (field
 * `<field>_to_add[i].header.value`): this proxy supports literal values only, and never forwards one verbatim.
 * Empty values are dropped unless `keep_empty_value`, as Envoy.
 */
export function compileHeaderMutation(add: readonly HeaderValueOption[], remove: readonly string[], field: string): HeaderMutation | undefined {
  if (add.length === 0 && remove.length === 0) return undefined;
  const adds: HeaderAdd[] = [];
  add.forEach((o, i) => {
    const name = (o.header?.key ?? '').toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) throw new ConfigError(`${field}_to_add[${i}].header.key`, `${JSON.stringify(o.header?.key ?? '')} is not a valid header name`);
    if (name === 'host') throw new ConfigError(`${field}_to_add[${i}].header.key`, ':-prefixed or host headers may not be modified (rewrite the authority with host_rewrite_literal)');
    let value = o.header?.value ?? '';
    // Envoy formats `value` only; `raw_value` bytes are taken as they are.
    const raw = value === '' && o.header?.rawValue?.length ? Buffer.from(o.header.rawValue).toString('latin1') : undefined;
    if (raw !== undefined) value = raw;
    if (/[\r\n\0]/.test(value)) throw new ConfigError(`${field}_to_add[${i}].header.value`, 'contains CR, LF or NUL');
    const format = raw !== undefined ? { ok: true as const, parts: [{ literal: raw }] } : parseHeaderFormat(value);
    if (!format.ok) throw new ConfigError(`${field}_to_add[${i}].header.value`, `invalid header value ${JSON.stringify(value)}: ${format.error}`);
    const command = format.parts.find((p) => 'command' in p);
    if (command) {
      throw new ConfigError(`${field}_to_add[${i}].header.value`, `${JSON.stringify(value)} uses the substitution command %${command.command}%; this proxy supports literal values only`);
    }
    value = format.parts.map((p) => ('literal' in p ? p.literal : '')).join('');
    if (value === '' && !o.keepEmptyValue) return;
    const action = o.append !== undefined ? (o.append ? 'append' : 'overwrite-or-add') : ACTIONS[o.appendAction] ?? 'append';
    adds.push({ name, value, action });
  });
  remove.forEach((r, i) => {
    if (r.startsWith(':') || r.toLowerCase() === 'host') throw new ConfigError(`${field}_to_remove[${i}]`, ':-prefixed or host headers may not be removed');
  });
  return { remove: remove.map((r) => r.toLowerCase()), add: adds };
}

function indexOfHeader(headers: string[], name: string, from = 0): number {
  for (let i = from; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === name) return i;
  return -1;
}

/** Removes every header `name` (lower case) from a flat list, in place; true when one was there. */
export function removeAll(headers: string[], name: string): boolean {
  let found = false;
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    const n = headers[i]!;
    if (n.length === name.length && n.toLowerCase() === name) { headers.splice(i, 2); found = true; }
  }
  return found;
}

/** Applies `mutations` in order to `headers` (flat list, changed in place). */
export function applyHeaderMutations(headers: string[], mutations: readonly HeaderMutation[]): void {
  for (const m of mutations) {
    for (const r of m.remove) removeAll(headers, r);
    for (const a of m.add) {
      switch (a.action) {
        case 'append': headers.push(a.name, a.value); break;
        case 'add-if-absent': if (indexOfHeader(headers, a.name) < 0) headers.push(a.name, a.value); break;
        case 'overwrite-or-add': removeAll(headers, a.name); headers.push(a.name, a.value); break;
        case 'overwrite-if-exists': if (removeAll(headers, a.name)) headers.push(a.name, a.value); break;
      }
    }
  }
}

/** The first value of `name` (lower case) in a flat header list. */
export function getHeader(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === name) return headers[i + 1];
  return undefined;
}
