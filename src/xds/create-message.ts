/**
 * `create(schema, init)` of @bufbuild/protobuf, generated per message type: the same message (the
 * same properties in the same order, the same zero values, the same conversion of nested init
 * objects, oneof ADTs, lists, maps, unwrapped wrappers and Struct JSON), built by straight-line code
 * with a named store per field instead of a loop of keyed stores over the descriptor. Creating the
 * 6,000 messages of a cold 1,000-service snapshot was the largest part of translating it.
 *
 * The code is generated from the generated descriptors the first time a type is created (with
 * every type its init can reach) and compiled once per process; proto3 types only: proto2 and
 * editions types (default values on a prototype chain) go to `create` itself.
 */
import { type DescField, type DescMessage, type MessageInitShape, type MessageShape, ScalarType, create, protoInt64 } from '@bufbuild/protobuf';
import { isWrapperDesc } from '@bufbuild/protobuf/wkt';

/** `google.protobuf.Edition.EDITION_PROTO3`. */
const EDITION_PROTO3 = 999;
const IMPLICIT = 2;

type Creator = (init: unknown) => unknown;
const CREATORS = new WeakMap<DescMessage, Creator>();

/**
 * `create(schema, init)`: a new message of `schema`, fields from `init` (nested plain objects
 * become messages; a message of the schema's own type is returned as is), every other field at
 * its zero value. Same result as `create`; see the module comment.
 */
export function createMessage<Desc extends DescMessage>(schema: Desc, init?: MessageInitShape<Desc>): MessageShape<Desc> {
  let c = CREATORS.get(schema);
  if (!c) c = compileCreators(schema);
  return c(init) as MessageShape<Desc>;
}

/** Whether `create` builds messages of `desc` without a prototype chain (proto3), so generated code may. */
function generated(desc: DescMessage): boolean {
  return desc.file.edition === EDITION_PROTO3;
}

function compileCreators(root: DescMessage): Creator {
  const types: DescMessage[] = [root];
  const seen = new Set(types);
  for (let i = 0; i < types.length; i++) {
    if (!generated(types[i]!)) continue;
    for (const f of types[i]!.fields) {
      if (f.message && !seen.has(f.message) && !CREATORS.has(f.message)) {
        seen.add(f.message);
        types.push(f.message);
      }
    }
  }
  const index = new Map(types.map((t, i) => [t, i]));
  const constants: unknown[] = [];
  const external: DescMessage[] = [];
  // A type compiled before (in CREATORS, so not in `types`) is called through X.
  const ref = (d: DescMessage) => {
    const i = index.get(d);
    if (i !== undefined) return creatorName(i, d);
    let k = external.indexOf(d);
    if (k < 0) k = external.push(d) - 1;
    return `X[${k}]`;
  };
  const parts = ['"use strict";', 'function isObj(v){return v!==null&&typeof v==="object"&&!Array.isArray(v);}', 'function u8(v){return Array.isArray(v)?new Uint8Array(v):v;}',
    'function own(o,k,v){if(k==="__proto__")Object.defineProperty(o,k,{value:v,writable:true,enumerable:true,configurable:true});else o[k]=v;}'];
  for (const [i, t] of types.entries()) {
    if (!generated(t)) {
      parts.push(`const ${creatorName(i, t)}=(init)=>CREATE(D[${i}],init);`);
      continue;
    }
    parts.push(creatorSource(t, i, ref, constants));
  }
  parts.push(`return [${types.map((t, i) => creatorName(i, t)).join(',')}];`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const made = new Function('CREATE', 'D', 'K', 'X', parts.join('\n'))(create, types, constants, external.map((d) => CREATORS.get(d)!)) as Creator[];
  types.forEach((t, i) => CREATORS.set(t, made[i]!));
  return made[0]!;
}

const q = (s: string) => JSON.stringify(s);

/** `C<i>_<Message>`: a creator's name, which profiles show. */
const creatorName = (i: number, d: DescMessage) => `C${i}_${d.name}`;

/** create's `compileConvertMessage`: the expression converting init value `v` of a message-typed field, or undefined (used as is). */
function convertMessage(f: DescField, ref: (d: DescMessage) => string, v: string): string | undefined {
  const m = f.message!;
  if (f.fieldKind === 'message' && !f.oneof && isWrapperDesc(m)) return m.fields[0]!.scalar === ScalarType.BYTES ? `u8(${v})` : undefined;
  if (m.typeName === 'google.protobuf.Struct' && f.parent.typeName !== 'google.protobuf.Value') return undefined;
  return `((!isObj(${v})||(typeof ${v}.$typeName==="string"&&${v}.$typeName===${q(m.typeName)}))?${v}:${ref(m)}(${v}))`;
}

function zeroOf(f: DescField & { fieldKind: 'scalar' | 'enum' }, constants: unknown[]): string {
  if (f.fieldKind === 'enum') return String(f.enum.values[0]!.number);
  switch (f.scalar) {
    case ScalarType.STRING: return '""';
    case ScalarType.BOOL: return 'false';
    case ScalarType.BYTES: constants.push(new Uint8Array(0)); return `K[${constants.length - 1}]`;
    case ScalarType.INT64: case ScalarType.UINT64: case ScalarType.SFIXED64: case ScalarType.FIXED64: case ScalarType.SINT64:
      constants.push(f.longAsString ? '0' : protoInt64.zero);
      return `K[${constants.length - 1}]`;
    default: return '0';
  }
}

function creatorSource(desc: DescMessage, i: number, ref: (d: DescMessage) => string, constants: unknown[]): string {
  const body: string[] = [];
  for (const member of desc.members) {
    const name = q(member.localName);
    const read = `v=o===undefined?undefined:o[${name}];`;
    if (member.kind === 'oneof') {
      const cases = member.fields.map((f) => {
        const conv = f.fieldKind === 'message' ? (convertMessage(f, ref, 'v.value') ?? 'v.value') : f.scalar === ScalarType.BYTES ? 'u8(v.value)' : 'v.value';
        return `case ${q(f.localName)}:m[${name}]={case:${q(f.localName)},value:${conv}};break;`;
      });
      body.push(`${read}if(v!=null&&v.case!=null){switch(v.case){${cases.join('')}default:m[${name}]={case:undefined};}}else m[${name}]={case:undefined};`);
      continue;
    }
    const f = member;
    switch (f.fieldKind) {
      case 'message': {
        const conv = convertMessage(f, ref, 'v') ?? 'v';
        body.push(`${read}if(v!=null)m[${name}]=${conv};`);
        break;
      }
      case 'list': {
        const conv = f.listKind === 'message' ? (convertMessage(f, ref, 'x') ?? 'x') : f.scalar === ScalarType.BYTES ? 'u8(x)' : undefined;
        body.push(conv === undefined ? `${read}m[${name}]=v!=null?v:[];` : `${read}m[${name}]=Array.isArray(v)?v.map((x)=>${conv}):(v!=null?v:[]);`);
        break;
      }
      case 'map': {
        const conv = f.mapKind === 'message' ? (convertMessage(f, ref, 'x') ?? 'x') : f.scalar === ScalarType.BYTES ? 'u8(x)' : undefined;
        body.push(conv === undefined ? `${read}m[${name}]=v!=null?v:{};`
          : `${read}if(!isObj(v))m[${name}]=v!=null?v:{};else{const c={};const ks=Object.keys(v);for(let j=0;j<ks.length;j++){const x=v[ks[j]];own(c,ks[j],${conv});}m[${name}]=c;}`);
        break;
      }
      default: {
        const value = f.fieldKind === 'scalar' && f.scalar === ScalarType.BYTES ? 'u8(v)' : 'v';
        const zero = f.presence === IMPLICIT ? zeroOf(f, constants) : undefined;
        body.push(`${read}if(v!=null)m[${name}]=${value};${zero !== undefined ? `else m[${name}]=${zero};` : ''}`);
      }
    }
  }
  return `// ${desc.typeName}\nfunction ${creatorName(i, desc)}(init){if(init!==null&&typeof init==="object"&&typeof init.$typeName==="string"&&init.$typeName===${q(desc.typeName)})return init;const o=init==null?undefined:init;const m={$typeName:${q(desc.typeName)}};let v;${body.join('')}return m;}`;
}
