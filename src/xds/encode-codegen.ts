/**
 * The code generator behind `encode.ts`: from a message descriptor, the JavaScript source of a size
 * function and a write function for that message type and every message type it reaches, compiled
 * together with `new Function` (the descriptors are the generated ones from Envoy's protos, so the
 * source is a function of them only; no input data ever becomes code). Each field is one inline
 * block in field-number order, mirroring `toBinary`'s compiled writers in @bufbuild/protobuf
 * (`to-binary.js`): the same presence tests, the same wire types, the same map entry and Struct
 * handling. A value the fast path does not take throws the fallback marker.
 */
import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { isWrapperDesc } from '@bufbuild/protobuf/wkt';

/** A compiled encoder for one root message type. */
export interface CompiledEncoder {
  /** Size pass: the encoded length of `message` (remembers nested lengths for the write pass). */
  size(message: unknown): number;
  /** Write pass over the message just sized, into `target` at `offset`; returns the end offset. */
  write(message: unknown, target: Uint8Array, offset: number): number;
}

interface Int64 { enc(v: unknown): { lo: number; hi: number }; uEnc(v: unknown): { lo: number; hi: number }; parse(v: string): unknown; uParse(v: string): unknown }

const IMPLICIT = 2;
const LEGACY_REQUIRED = 3;

/** Compiles the encoder of `root` and every message type it reaches. */
export function compileEncoder(root: DescMessage, int64: Int64, preencoded: symbol): CompiledEncoder {
  const types = reachable(root);
  const index = new Map(types.map((t, i) => [t, i]));
  const parts: string[] = [RUNTIME];
  for (const [i, t] of types.entries()) parts.push(messageSource(t, i, index));
  parts.push(`return { size(m) { pa = 0; return S0_${root.name}(m); }, write(m, target, offset) { buf = target; pos = offset; ra = 0; try { W0_${root.name}(m); return pos; } finally { buf = undefined; dvOf = undefined; } } };`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('Buffer', 'I64', 'PRE', parts.join('\n'))(Buffer, int64, preencoded) as CompiledEncoder;
}

function reachable(root: DescMessage): DescMessage[] {
  const out: DescMessage[] = [root];
  const seen = new Set(out);
  for (let i = 0; i < out.length; i++) {
    for (const f of out[i]!.fields) {
      const m = f.message;
      if (m && !seen.has(m) && !usesJson(f) && !(f.fieldKind === 'message' && !f.oneof && isWrapperDesc(m))) {
        seen.add(m);
        out.push(m);
      }
    }
  }
  return out;
}

/** `google.protobuf.Struct` fields (outside `google.protobuf.Value`) hold JSON, as @bufbuild/protobuf's `localMessageMapper`. */
function usesJson(f: DescField): boolean {
  return f.message?.typeName === 'google.protobuf.Struct' && f.parent.typeName !== 'google.protobuf.Value';
}

const q = (s: string) => JSON.stringify(s);

/** `buf[pos++] = b;` for each byte of the tag's varint, and the tag's length. */
function tagOf(no: number, wireType: number): { len: number; write: string } {
  let v = ((no << 3) | wireType) >>> 0;
  const bytes: number[] = [];
  while (v > 0x7f) { bytes.push((v & 0x7f) | 0x80); v >>>= 7; }
  bytes.push(v);
  return { len: bytes.length, write: bytes.map((b) => `buf[pos++]=${b};`).join('') };
}

function wireTypeOf(type: ScalarType): number {
  switch (type) {
    case ScalarType.STRING: case ScalarType.BYTES: return 2;
    case ScalarType.DOUBLE: case ScalarType.FIXED64: case ScalarType.SFIXED64: return 1;
    case ScalarType.FLOAT: case ScalarType.FIXED32: case ScalarType.SFIXED32: return 5;
    default: return 0;
  }
}

/** The runtime helpers' suffix for a scalar type: `s<x>(v)` sizes (and checks) a value, `w<x>(v)` writes it. */
const SCALAR: Record<ScalarType, string> = {
  [ScalarType.STRING]: 'str', [ScalarType.BYTES]: 'bytes', [ScalarType.BOOL]: 'bool', [ScalarType.INT32]: 'i32',
  [ScalarType.UINT32]: 'u32', [ScalarType.SINT32]: 's32', [ScalarType.FIXED32]: 'fu32', [ScalarType.SFIXED32]: 'fs32',
  [ScalarType.FLOAT]: 'flt', [ScalarType.DOUBLE]: 'dbl', [ScalarType.INT64]: 'i64', [ScalarType.UINT64]: 'u64',
  [ScalarType.SINT64]: 's64', [ScalarType.FIXED64]: 'fx64u', [ScalarType.SFIXED64]: 'fx64s',
};

/** The key conversion of a map (keys are object keys, always strings). */
function keyConverter(type: ScalarType): string {
  switch (type) {
    case ScalarType.STRING: return '';
    case ScalarType.BOOL: return 'cvb';
    case ScalarType.UINT64: case ScalarType.FIXED64: return 'I64.uParse';
    case ScalarType.INT64: case ScalarType.SFIXED64: case ScalarType.SINT64: return 'I64.parse';
    default: return 'cvi';
  }
}

/** The implicit-presence test of `toBinary` per type (a value other than the zero is written). */
function isSet(f: DescField, type: ScalarType, v: string): string {
  if (f.fieldKind === 'enum') return `${v}!==${f.enum.values[0]!.number}`;
  switch (type) {
    case ScalarType.BOOL: return `${v}!==false`;
    case ScalarType.STRING: return `${v}!==""`;
    case ScalarType.BYTES: return `(!(${v} instanceof Uint8Array)||${v}.byteLength>0)`;
    case ScalarType.DOUBLE: case ScalarType.FLOAT: return `(${v}!==0||1/${v}<0)`;
    default: return `${v}!=0`;
  }
}

/**
 * A message-typed value `v` as the child message: size and write expressions. Struct fields are
 * JSON, singular wrappers outside oneofs are their scalar, a missing value is the empty message.
 */
function child(f: DescField, index: ReadonlyMap<DescMessage, number>, v: string): { size: string; write: string } {
  const m = f.message!;
  if (usesJson(f)) return { size: `sStruct(${v})`, write: `wStruct(${v});` };
  if (f.fieldKind === 'message' && !f.oneof && isWrapperDesc(m)) {
    const inner = m.fields[0]!;
    const s = SCALAR[inner.scalar!];
    return { size: `(${isSet(inner, inner.scalar!, v)}?1+s${s}(${v}):0)`, write: `if(${isSet(inner, inner.scalar!, v)}){${tagOf(1, wireTypeOf(inner.scalar!)).write}w${s}(${v});}` };
  }
  const i = index.get(m)!;
  // A message encoded once already (its bytes under PRE, see encode.ts preencode) is copied.
  return {
    size: `(${v}===undefined?0:${v}[PRE]!==undefined?${v}[PRE].length:S${i}_${m.name}(${v}))`,
    write: `if(${v}!==undefined){const p=${v}[PRE];if(p!==undefined){buf.set(p,pos);pos+=p.length;}else W${i}_${m.name}(${v});}`,
  };
}

function messageSource(desc: DescMessage, i: number, index: ReadonlyMap<DescMessage, number>): string {
  const fields = [...desc.fields].sort((a, b) => a.number - b.number);
  const size: string[] = [];
  const write: string[] = [];
  if (fields.length > 0) size.push(`if(m.$typeName!==${q(desc.typeName)})throw FB;`);
  for (const f of fields) {
    const [s, w] = fieldSource(f, index);
    size.push(`{${s}}`);
    write.push(`{${w}}`);
  }
  size.push('const u=m.$unknown;if(u!==undefined)for(let j=0;j<u.length;j++)n+=vs(((u[j].no<<3)|u[j].wireType)>>>0)+u[j].data.length;');
  write.push('const u=m.$unknown;if(u!==undefined)for(let j=0;j<u.length;j++){wv(((u[j].no<<3)|u[j].wireType)>>>0);buf.set(u[j].data,pos);pos+=u[j].data.length;}');
  // S<i>_<Message> and W<i>_<Message>: the names profiles show.
  return `// ${desc.typeName}\nfunction S${i}_${desc.name}(m){let n=0;${size.join('')}return n;}\nfunction W${i}_${desc.name}(m){${write.join('')}}`;
}

function fieldSource(f: DescField, index: ReadonlyMap<DescMessage, number>): [string, string] {
  const name = q(f.localName);
  if (f.fieldKind === 'map') return mapSource(f, index, name);
  if (f.fieldKind === 'list') return listSource(f, index, name);
  // Singular: scalar, enum or message; in a oneof or not.
  const read = f.oneof ? `const o=m[${q(f.oneof.localName)}];if(o.case!==${name})break f;const v=o.value;` : `const v=m[${name}];`;
  if (f.fieldKind === 'message') {
    const tag = tagOf(f.number, 2);
    if (f.delimitedEncoding) return [`f:{${read}${f.oneof ? '' : 'if(v===undefined)break f;'}throw FB;}`, ''];
    const c = child(f, index, 'v');
    const guard = f.oneof ? '' : 'if(v===undefined)break f;';
    return [
      `f:{${read}${guard}const k=pa++;const c=${c.size};sz[k]=c;n+=${tag.len}+vs(c)+c;}`,
      `f:{${read}${guard}${tag.write}wv(sz[ra++]);${c.write}}`,
    ];
  }
  const type = f.fieldKind === 'enum' ? ScalarType.INT32 : f.scalar;
  const tag = tagOf(f.number, wireTypeOf(type));
  const s = SCALAR[type];
  let guard: string;
  let otherwise = '';
  if (f.oneof) guard = '';
  else if (f.presence !== IMPLICIT) {
    guard = `if(v===undefined||!Object.prototype.hasOwnProperty.call(m,${name}))`;
    otherwise = f.presence === LEGACY_REQUIRED ? 'throw FB;' : 'break f;';
  } else {
    guard = `if(!(${isSet(f, type, 'v')}))`;
    otherwise = 'break f;';
  }
  const skip = guard ? `${guard}${otherwise}` : '';
  return [`f:{${read}${skip}n+=${tag.len}+s${s}(v);}`, `f:{${read}${guard ? `${guard}break f;` : ''}${tag.write}w${s}(v);}`];
}

function listSource(f: DescField & { fieldKind: 'list' }, index: ReadonlyMap<DescMessage, number>, name: string): [string, string] {
  if (f.listKind === 'message') {
    if (f.delimitedEncoding) return [`if(m[${name}].length>0)throw FB;`, ''];
    const tag = tagOf(f.number, 2);
    const c = child(f, index, 'x');
    return [
      `const v=m[${name}];for(let j=0;j<v.length;j++){const x=v[j];const k=pa++;const c=${c.size};sz[k]=c;n+=${tag.len}+vs(c)+c;}`,
      `const v=m[${name}];for(let j=0;j<v.length;j++){const x=v[j];${tag.write}wv(sz[ra++]);${c.write}}`,
    ];
  }
  const type = f.listKind === 'enum' ? ScalarType.INT32 : f.scalar!;
  const s = SCALAR[type];
  if (f.packed) {
    const tag = tagOf(f.number, 2);
    return [
      `const v=m[${name}];if(v.length>0){const k=pa++;let c=0;for(let j=0;j<v.length;j++)c+=s${s}(v[j]);sz[k]=c;n+=${tag.len}+vs(c)+c;}`,
      `const v=m[${name}];if(v.length>0){${tag.write}wv(sz[ra++]);for(let j=0;j<v.length;j++)w${s}(v[j]);}`,
    ];
  }
  const tag = tagOf(f.number, wireTypeOf(type));
  return [
    `const v=m[${name}];for(let j=0;j<v.length;j++)n+=${tag.len}+s${s}(v[j]);`,
    `const v=m[${name}];for(let j=0;j<v.length;j++){${tag.write}w${s}(v[j]);}`,
  ];
}

function mapSource(f: DescField & { fieldKind: 'map' }, index: ReadonlyMap<DescMessage, number>, name: string): [string, string] {
  const tag = tagOf(f.number, 2);
  const ks = SCALAR[f.mapKey];
  const keyTag = tagOf(1, wireTypeOf(f.mapKey));
  const conv = keyConverter(f.mapKey);
  let sizeValue: string;
  let writeValue: string;
  if (f.mapKind === 'message') {
    const c = child(f, index, 'x');
    sizeValue = `const kk=pa++;const cc=${c.size};sz[kk]=cc;e+=1+vs(cc)+cc;`;
    writeValue = `buf[pos++]=18;wv(sz[ra++]);${c.write}`;
  } else {
    const type = f.mapKind === 'enum' ? ScalarType.INT32 : f.scalar!;
    const valueTag = tagOf(2, wireTypeOf(type));
    sizeValue = `e+=1+s${SCALAR[type]}(x);`;
    writeValue = `${valueTag.write}w${SCALAR[type]}(x);`;
  }
  return [
    `const v=m[${name}];const ks=Object.keys(v);for(let j=0;j<ks.length;j++){const x=v[ks[j]];const k=pa++;let e=${keyTag.len}+s${ks}(${conv}(ks[j]));${sizeValue}sz[k]=e;n+=${tag.len}+vs(e)+e;}`,
    `const v=m[${name}];const ks=Object.keys(v);for(let j=0;j<ks.length;j++){const x=v[ks[j]];${tag.write}wv(sz[ra++]);${keyTag.write}w${ks}(${conv}(ks[j]));${writeValue}}`,
  ];
}

/**
 * The helpers every generated encoder shares: the state of the encoding under way (`buf`, `pos`;
 * `sz`, the lengths the size pass remembered, pushed at `pa` and read back at `ra`), varints, and
 * per scalar type a size function that also checks the value (`FB` for anything toBinary must
 * decide) and a write function. Struct JSON as `google.protobuf.Struct` / `Value` / `ListValue`.
 */
const RUNTIME = String.raw`
'use strict';
let buf, pos = 0, pa = 0, ra = 0, dvw, dvOf;
const sz = [];
const FB = { fallback: true };
function vs(v){return v<128?1:v<16384?2:v<2097152?3:v<268435456?4:5;}
function wv(v){while(v>127){buf[pos++]=(v&127)|128;v>>>=7;}buf[pos++]=v;}
function wv64(lo,hi){while(hi!==0||lo>127){buf[pos++]=(lo&127)|128;lo=((lo>>>7)|(hi<<25))>>>0;hi>>>=7;}buf[pos++]=lo;}
function s64(lo,hi){lo>>>=0;hi>>>=0;return hi===0?vs(lo):Math.ceil((64-Math.clz32(hi))/7);}
function dv(){if(dvOf!==buf){dvw=new DataView(buf.buffer,buf.byteOffset,buf.byteLength);dvOf=buf;}return dvw;}
function sstr(v){if(typeof v!=='string')throw FB;let n=v.length;for(let i=0;i<v.length;i++)if(v.charCodeAt(i)>127){n=Buffer.byteLength(v,'utf8');break;}sz[pa++]=n;return vs(n)+n;}
function wstr(v){const n=sz[ra++];wv(n);if(n===v.length){for(let i=0;i<n;i++)buf[pos++]=v.charCodeAt(i);}else{pos+=Buffer.from(buf.buffer,buf.byteOffset,buf.byteLength).write(v,pos,'utf8');}}
function sbytes(v){if(!(v instanceof Uint8Array))throw FB;return vs(v.byteLength)+v.byteLength;}
function wbytes(v){wv(v.byteLength);buf.set(v,pos);pos+=v.byteLength;}
function sbool(v){return 1;}
function wbool(v){buf[pos++]=v?1:0;}
function si32(v){if(typeof v!=='number'||(v|0)!==v)throw FB;return v<0?10:vs(v);}
function wi32(v){if(v>=0)wv(v);else wv64(v>>>0,0xffffffff);}
function su32(v){if(typeof v!=='number'||(v>>>0)!==v)throw FB;return vs(v);}
function wu32(v){wv(v);}
function ss32(v){if(typeof v!=='number'||(v|0)!==v)throw FB;return vs(((v<<1)^(v>>31))>>>0);}
function ws32(v){wv(((v<<1)^(v>>31))>>>0);}
function sfu32(v){if(typeof v!=='number'||(v>>>0)!==v)throw FB;return 4;}
function wfu32(v){dv().setUint32(pos,v,true);pos+=4;}
function sfs32(v){if(typeof v!=='number'||(v|0)!==v)throw FB;return 4;}
function wfs32(v){dv().setInt32(pos,v,true);pos+=4;}
function sflt(v){if(typeof v!=='number'||(Number.isFinite(v)&&Math.abs(v)>3.4028234663852886e38))throw FB;return 4;}
function wflt(v){dv().setFloat32(pos,v,true);pos+=4;}
function sdbl(v){if(typeof v!=='number')throw FB;return 8;}
function wdbl(v){dv().setFloat64(pos,v,true);pos+=8;}
function zz(t){const s=t.hi>>31;return {lo:((t.lo<<1)^s)>>>0,hi:(((t.hi<<1)|(t.lo>>>31))^s)>>>0};}
function enc(v){try{return I64.enc(v);}catch(e){throw FB;}}
function uenc(v){try{return I64.uEnc(v);}catch(e){throw FB;}}
function small(v){return typeof v==='bigint'&&v>=0n&&v<=4294967295n;}
function si64(v){if(small(v))return vs(Number(v));const t=enc(v);return s64(t.lo,t.hi);}
function wi64(v){if(small(v)){wv(Number(v));return;}const t=enc(v);wv64(t.lo>>>0,t.hi>>>0);}
function su64(v){if(small(v))return vs(Number(v));const t=uenc(v);return s64(t.lo,t.hi);}
function wu64(v){if(small(v)){wv(Number(v));return;}const t=uenc(v);wv64(t.lo>>>0,t.hi>>>0);}
function ss64(v){const t=zz(enc(v));return s64(t.lo,t.hi);}
function ws64(v){const t=zz(enc(v));wv64(t.lo,t.hi);}
function sfx64u(v){uenc(v);return 8;}
function wfx64u(v){const t=uenc(v);dv().setUint32(pos,t.lo>>>0,true);dv().setUint32(pos+4,t.hi>>>0,true);pos+=8;}
function sfx64s(v){enc(v);return 8;}
function wfx64s(v){const t=enc(v);dv().setUint32(pos,t.lo>>>0,true);dv().setUint32(pos+4,t.hi>>>0,true);pos+=8;}
function cvi(k){const n=Number.parseInt(k);if(!Number.isFinite(n))throw FB;return n;}
function cvb(k){if(k==='true')return true;if(k==='false')return false;throw FB;}
function isObj(j){return j!==null&&typeof j==='object'&&!Array.isArray(j);}
function sStruct(j){if(!isObj(j))return 0;let n=0;for(const k of Object.keys(j)){const a=pa++;const e=1+sstr(k)+1+sValF(j[k]);sz[a]=e;n+=1+vs(e)+e;}return n;}
function wStruct(j){if(!isObj(j))return;for(const k of Object.keys(j)){buf[pos++]=10;wv(sz[ra++]);buf[pos++]=10;wstr(k);buf[pos++]=18;wValF(j[k]);}}
function sValF(v){const a=pa++;const n=sVal(v);sz[a]=n;return vs(n)+n;}
function wValF(v){wv(sz[ra++]);wVal(v);}
function sVal(v){switch(typeof v){case 'number':return 9;case 'string':return 1+sstr(v);case 'boolean':return 2;case 'object':{if(v===null)return 2;const a=pa++;let n=0;if(Array.isArray(v)){for(const x of v)n+=1+sValF(x);}else n=sStruct(v);sz[a]=n;return 1+vs(n)+n;}default:return 0;}}
function wVal(v){switch(typeof v){case 'number':buf[pos++]=17;dv().setFloat64(pos,v,true);pos+=8;return;case 'string':buf[pos++]=26;wstr(v);return;case 'boolean':buf[pos++]=32;buf[pos++]=v?1:0;return;case 'object':{if(v===null){buf[pos++]=8;buf[pos++]=0;return;}buf[pos++]=Array.isArray(v)?50:42;wv(sz[ra++]);if(Array.isArray(v)){for(const x of v){buf[pos++]=10;wValF(x);}}else wStruct(v);return;}default:}}
`;
