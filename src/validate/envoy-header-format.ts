/**
 * Envoy's parse of a header value to add (`HeaderValueOption.header.value`, in route, virtual host and route
 * configuration `request_headers_to_add` / `response_headers_to_add`, weighted clusters, health checks…): the value
 * is a substitution format string (`source/common/router/header_parser.cc` → `Formatter::FormatterImpl` →
 * `SubstitutionFormatParser::parse`, `source/common/formatter/substitution_formatter.cc`), and one Envoy cannot parse
 * refuses the whole resource (a NACK).
 *
 * - Text is literal; `%%` is one literal `%`.
 * - Any other `%` starts a command that must match `%COMMAND(ARG):LENGTH%` at that position: COMMAND of `A-Z`,
 *   `0-9` and `_`; `(ARG)` and `:LENGTH` (digits) optional; the shortest ARG that lets the rest match. Else
 *   "Couldn't find valid command at position N" (`100%`, `50% off`, `%lower%`).
 * - The command must be one Envoy knows ("Not supported field in StreamInfo: X"), and take its argument and length
 *   as the command allows (`%REQ%`: "REQ requires parameters"; `%PROTOCOL(x)%`: "does not take any parameters").
 * - A few commands check their argument: `REQ(a?b?c)` has one alternative too many, `FILTER_STATE(key:TYPE)` needs a
 *   key and PLAIN, TYPED or FIELD (FIELD with a field name), `PATH(WQ|NQ:ORIG|PATH|ORIG_OR_PATH)`.
 *
 * Before parsing, Envoy (with `envoy.reloadable_features.remove_legacy_route_formatter` false, its default) rewrites
 * the legacy forms `%UPSTREAM_METADATA(["ns", "key"])%` / `%DYNAMIC_METADATA([…])%` to `ns:key` and
 * `%PER_REQUEST_STATE(key)%` to `%FILTER_STATE(key:PLAIN)%`; so does this parser.
 *
 * Where Envoy versions differ (commands added over time, formatter extensions such as `%METADATA%`, `%CEL%`,
 * `%REQ_WITHOUT_QUERY%`, a length on metadata commands) the parser accepts: it predicts a refusal only where every
 * recent Envoy refuses.
 */

/** One piece of a parsed header value: literal text (`%%` already made `%`) or a command. */
export type HeaderFormatPart =
  | { readonly literal: string }
  | { readonly command: string; readonly arg: string | undefined; readonly maxLength: number | undefined };

/** A header value as Envoy parses it: its parts, or Envoy's error. */
export type HeaderFormat = { readonly ok: true; readonly parts: readonly HeaderFormatPart[] } | { readonly ok: false; readonly error: string };

/** `CommandSyntaxChecker` flags: COMMAND_ONLY (none), PARAMS_REQUIRED, PARAMS_OPTIONAL, LENGTH_ALLOWED. */
type Syntax = number;
const C = 0;
const R = 1;
const O = 2;
const L = 4;

/** The built-in commands (stream info and HTTP command parsers) and the formatter extensions Istio's proxy links. */
const COMMANDS: ReadonlyMap<string, Syntax> = new Map<string, Syntax>([
  ...[
    'REQUEST_DURATION', 'REQUEST_TX_DURATION', 'RESPONSE_DURATION', 'RESPONSE_TX_DURATION', 'DOWNSTREAM_HANDSHAKE_DURATION', 'ROUNDTRIP_DURATION',
    'BYTES_RECEIVED', 'BYTES_RETRANSMITTED', 'PACKETS_RETRANSMITTED', 'BYTES_SENT', 'DURATION', 'CUSTOM_FLAGS', 'RESPONSE_FLAGS', 'RESPONSE_FLAGS_LONG',
    'UPSTREAM_WIRE_BYTES_RECEIVED', 'UPSTREAM_HEADER_BYTES_RECEIVED', 'UPSTREAM_DECOMPRESSED_HEADER_BYTES_RECEIVED',
    'DOWNSTREAM_WIRE_BYTES_RECEIVED', 'DOWNSTREAM_HEADER_BYTES_RECEIVED', 'DOWNSTREAM_DECOMPRESSED_HEADER_BYTES_RECEIVED',
    'UPSTREAM_WIRE_BYTES_SENT', 'UPSTREAM_HEADER_BYTES_SENT', 'UPSTREAM_DECOMPRESSED_HEADER_BYTES_SENT',
    'DOWNSTREAM_WIRE_BYTES_SENT', 'DOWNSTREAM_HEADER_BYTES_SENT', 'DOWNSTREAM_DECOMPRESSED_HEADER_BYTES_SENT',
    'PROTOCOL', 'UPSTREAM_PROTOCOL', 'RESPONSE_CODE', 'CONNECTION_TERMINATION_DETAILS',
    'UPSTREAM_HOST_NAME', 'UPSTREAM_HOST_NAME_WITHOUT_PORT', 'UPSTREAM_HOST', 'UPSTREAM_CONNECTION_ID', 'UPSTREAM_CLUSTER', 'UPSTREAM_CLUSTER_RAW',
    'UPSTREAM_LOCAL_ADDRESS', 'UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT', 'UPSTREAM_LOCAL_PORT',
    'UPSTREAM_REMOTE_ADDRESS', 'UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT', 'UPSTREAM_REMOTE_PORT', 'UPSTREAM_REQUEST_ATTEMPT_COUNT',
    'UPSTREAM_TLS_CIPHER', 'UPSTREAM_TLS_VERSION', 'UPSTREAM_TLS_SESSION_ID', 'UPSTREAM_PEER_ISSUER', 'UPSTREAM_PEER_CERT', 'UPSTREAM_PEER_SUBJECT',
    'DOWNSTREAM_LOCAL_ADDRESS', 'DOWNSTREAM_DIRECT_LOCAL_ADDRESS', 'DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT', 'DOWNSTREAM_DIRECT_LOCAL_ADDRESS_WITHOUT_PORT',
    'DOWNSTREAM_LOCAL_PORT', 'DOWNSTREAM_DIRECT_LOCAL_PORT', 'DOWNSTREAM_REMOTE_ADDRESS', 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT', 'DOWNSTREAM_REMOTE_PORT',
    'DOWNSTREAM_DIRECT_REMOTE_ADDRESS', 'DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT', 'DOWNSTREAM_DIRECT_REMOTE_PORT',
    'CONNECTION_ID', 'REQUESTED_SERVER_NAME', 'ROUTE_NAME',
    'UPSTREAM_PEER_URI_SAN', 'UPSTREAM_PEER_DNS_SAN', 'UPSTREAM_PEER_IP_SAN', 'UPSTREAM_LOCAL_URI_SAN', 'UPSTREAM_LOCAL_DNS_SAN', 'UPSTREAM_LOCAL_IP_SAN',
    'DOWNSTREAM_PEER_URI_SAN', 'DOWNSTREAM_PEER_DNS_SAN', 'DOWNSTREAM_PEER_IP_SAN', 'DOWNSTREAM_PEER_EMAIL_SAN', 'DOWNSTREAM_PEER_OTHERNAME_SAN',
    'DOWNSTREAM_LOCAL_URI_SAN', 'DOWNSTREAM_LOCAL_DNS_SAN', 'DOWNSTREAM_LOCAL_IP_SAN', 'DOWNSTREAM_LOCAL_EMAIL_SAN', 'DOWNSTREAM_LOCAL_OTHERNAME_SAN',
    'DOWNSTREAM_PEER_SUBJECT', 'DOWNSTREAM_LOCAL_SUBJECT', 'DOWNSTREAM_TLS_SESSION_ID', 'DOWNSTREAM_TLS_CIPHER', 'DOWNSTREAM_TLS_VERSION',
    'DOWNSTREAM_PEER_FINGERPRINT_256', 'DOWNSTREAM_PEER_FINGERPRINT_1', 'DOWNSTREAM_PEER_SERIAL', 'DOWNSTREAM_PEER_CHAIN_FINGERPRINTS_256',
    'DOWNSTREAM_PEER_CHAIN_FINGERPRINTS_1', 'DOWNSTREAM_PEER_CHAIN_SERIALS', 'DOWNSTREAM_PEER_ISSUER', 'DOWNSTREAM_PEER_CERT',
    'DOWNSTREAM_TRANSPORT_FAILURE_REASON', 'UPSTREAM_TRANSPORT_FAILURE_REASON', 'HOSTNAME', 'FILTER_CHAIN_NAME', 'VIRTUAL_CLUSTER_NAME',
    'TLS_JA3_FINGERPRINT', 'TLS_JA4_FINGERPRINT', 'UNIQUE_ID', 'STREAM_ID', 'UPSTREAM_CONNECTION_POOL_READY_DURATION',
    'LOCAL_REPLY_BODY', 'ACCESS_LOG_TYPE', 'GRPC_STATUS_NUMBER', 'REQUEST_HEADERS_BYTES', 'RESPONSE_HEADERS_BYTES', 'RESPONSE_TRAILERS_BYTES', 'TRACE_ID',
  ].map((c) => [c, C] as const),
  ...[
    'RESPONSE_CODE_DETAILS', 'START_TIME', 'START_TIME_LOCAL', 'EMIT_TIME', 'EMIT_TIME_LOCAL', 'GRPC_STATUS',
    'DOWNSTREAM_PEER_CERT_V_START', 'DOWNSTREAM_PEER_CERT_V_END', 'UPSTREAM_PEER_CERT_V_START', 'UPSTREAM_PEER_CERT_V_END',
  ].map((c) => [c, O] as const),
  ...['COMMON_DURATION'].map((c) => [c, R] as const),
  ...[
    'REQ', 'REQUEST_HEADER', 'RESP', 'RESPONSE_HEADER', 'TRAILER', 'RESPONSE_TRAILER', 'STREAM_INFO_REQ', 'QUERY_PARAM', 'COALESCE', 'ENVIRONMENT',
    // The length is documented (`%DYNAMIC_METADATA(NS:KEY):Z%`) and taken by some versions.
    'DYNAMIC_METADATA', 'CLUSTER_METADATA', 'UPSTREAM_METADATA',
    // Formatter extensions (envoy.formatter.metadata, .cel, .req_without_query).
    'METADATA', 'CEL', 'REQ_WITHOUT_QUERY',
  ].map((c) => [c, R | L] as const),
  ...['FILTER_STATE', 'UPSTREAM_FILTER_STATE', 'PATH'].map((c) => [c, O | L] as const),
]);

const HEADER_COMMANDS = new Set(['REQ', 'REQUEST_HEADER', 'RESP', 'RESPONSE_HEADER', 'TRAILER', 'RESPONSE_TRAILER', 'STREAM_INFO_REQ']);

/**
 * `commandWithArgsRegex`, sticky: `^%((?:[A-Z]|[0-9]|_)+)(?:\((.*?)\))?(?::([0-9]+))?%`. RE2's `.` is any
 * character but a newline, and its leftmost-first choice of the lazy argument is the backtracking one.
 */
const COMMAND = /%([A-Z0-9_]+)(?:\(([^\n]*?)\))?(?::([0-9]+))?%/y;

const SIZE_MAX = 2n ** 64n - 1n;

/** Why the command is refused (`CommandSyntaxChecker::verifySyntax`, then the command's own parse), or undefined. */
function commandError(command: string, arg: string, length: string | undefined): string | undefined {
  const flags = COMMANDS.get(command);
  if (flags === undefined) return `Not supported field in StreamInfo: ${command}`;
  if (flags === C && (arg !== '' || length !== undefined)) return `${command} does not take any parameters or length`;
  if ((flags & R) !== 0 && arg === '') return `${command} requires parameters`;
  if ((flags & L) === 0 && length !== undefined) return `${command} does not allow length to be specified.`;
  if (HEADER_COMMANDS.has(command) && arg.split('?').length > 2) return `More than 1 alternative header specified in token: ${arg}`;
  if (command === 'FILTER_STATE' || command === 'UPSTREAM_FILTER_STATE') {
    const [key = '', type = '', field = ''] = arg.split(':');
    if (key === '') return 'Invalid filter state configuration, key cannot be empty.';
    const serialize = type === '' ? 'TYPED' : type;
    if (serialize !== 'PLAIN' && serialize !== 'TYPED' && serialize !== 'FIELD') return 'Invalid filter state serialize type, only support PLAIN/TYPED/FIELD.';
    if ((serialize === 'FIELD') !== (field !== '')) return 'Invalid filter state serialize type, FIELD should be used with the field name.';
  }
  if (command === 'PATH') {
    const [query = '', option = ''] = arg.split(':');
    if (query !== '' && query !== 'WQ' && query !== 'NQ') return `Invalid PATH option: '${query}', only 'WQ'/'NQ' are allowed`;
    if (option !== '' && option !== 'ORIG' && option !== 'PATH' && option !== 'ORIG_OR_PATH') return `Invalid PATH option: '${option}', only 'ORIG'/'PATH'/'ORIG_OR_PATH' are allowed`;
  }
  return undefined;
}

/** `SubstitutionFormatParser::parse` of an already translated value. */
function parseFormat(format: string): HeaderFormat {
  const parts: HeaderFormatPart[] = [];
  let literal = '';
  for (let pos = 0; pos < format.length;) {
    const ch = format[pos]!;
    if (ch !== '%') {
      literal += ch;
      pos++;
      continue;
    }
    if (format[pos + 1] === '%') {
      literal += '%';
      pos += 2;
      continue;
    }
    if (literal !== '') parts.push({ literal });
    literal = '';
    COMMAND.lastIndex = pos;
    const m = COMMAND.exec(format);
    const length = m?.[3];
    if (!m || (length !== undefined && BigInt(length) > SIZE_MAX)) {
      // Envoy counts bytes.
      return { ok: false, error: `Incorrect configuration: ${format}. Couldn't find valid command at position ${Buffer.byteLength(format.slice(0, pos))}` };
    }
    const command = m[1]!;
    const arg = m[2] ?? '';
    const error = commandError(command, arg, length);
    if (error) return { ok: false, error };
    parts.push({ command, arg: m[2], maxLength: length === undefined ? undefined : Number(length) });
    pos += m[0].length;
  }
  if (literal !== '') parts.push({ literal });
  return { ok: true, parts };
}

// RE2's `\s` is [\t\n\f\r ] and its `.` any character but a newline.
const LEGACY_METADATA = /%(UPSTREAM|DYNAMIC)_METADATA\([\t\n\f\r ]*(\[(?:[^\n]|\r?\n)+?\][\t\n\f\r ]*)\)%/;
const LEGACY_PER_REQUEST_STATE = /%PER_REQUEST_STATE\(([^\n]+?)\)%/;

/** `HeaderParser::translateMetadataFormat`: JSON array arguments to `a:b`; the value unchanged if one is not an array of strings. */
function translateMetadataFormat(value: string): string {
  let out = value;
  for (let m = LEGACY_METADATA.exec(out), n = 0; m && n < 1000; m = LEGACY_METADATA.exec(out), n++) {
    let args: unknown;
    try {
      args = JSON.parse(m[2]!);
    } catch {
      return value;
    }
    if (!Array.isArray(args) || args.length === 0 || !args.every((a) => typeof a === 'string')) return value;
    out = out.replaceAll(m[0], `%${m[1]}_METADATA(${args.join(':')})%`);
  }
  return out;
}

/** `HeaderParser::translatePerRequestState`: `%PER_REQUEST_STATE(k)%` to `%FILTER_STATE(k:PLAIN)%`. */
function translatePerRequestState(value: string): string {
  let out = value;
  for (let m = LEGACY_PER_REQUEST_STATE.exec(out), n = 0; m && n < 1000; m = LEGACY_PER_REQUEST_STATE.exec(out), n++) {
    out = out.replaceAll(m[0], `%FILTER_STATE(${m[1]}:PLAIN)%`);
  }
  return out;
}

/** A header value to add as Envoy parses it (legacy forms translated first): its literal and command parts, or Envoy's error. */
export function parseHeaderFormat(value: string): HeaderFormat {
  if (!value.includes('%')) return { ok: true, parts: value === '' ? [] : [{ literal: value }] };
  return parseFormat(translatePerRequestState(translateMetadataFormat(value)));
}

/** Envoy's error for a header value to add (`Couldn't find valid command at position 3`, `REQ requires parameters`), or undefined when it parses. */
export function headerFormatError(value: string): string | undefined {
  const parsed = parseHeaderFormat(value);
  return parsed.ok ? undefined : parsed.error;
}
