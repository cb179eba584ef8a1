// Builds GGUF files byte by byte for the reader's tests: valid ones, and hostile ones by changing
// one field. Little-endian, as GGUF is.

export type KvValue =
  | { type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'u64' | 'i64' | 'f64'; value: number | bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; elementType: string; values: KvValue[] };

export interface TensorSpec {
  name: string;
  ne: (number | bigint)[]; // GGUF order
  type: number;
  offset?: number | bigint; // relative to the data section; default: packed, aligned
  data: Uint8Array;
}

export interface GgufSpec {
  magic?: string;
  version?: number;
  tensorCount?: number | bigint; // default: tensors.length
  kvCount?: number | bigint;
  kv: [string, KvValue][];
  tensors: TensorSpec[];
  alignment?: number; // for laying out data; general.alignment must be in kv to change the reader's
  truncateTo?: number;
}

const TYPE_IDS: Record<string, number> = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12 };

class Out {
  bytes: number[] = [];
  u8(v: number) { this.bytes.push(v & 0xff); }
  u32(v: number) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); this.bytes.push(...b); }
  u64(v: number | bigint) { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v), true); this.bytes.push(...b); }
  raw(b: Uint8Array) { for (const x of b) this.bytes.push(x); }
  string(s: string) { const b = new TextEncoder().encode(s); this.u64(b.length); this.raw(b); }
  value(v: KvValue) {
    const b = new Uint8Array(8);
    const view = new DataView(b.buffer);
    switch (v.type) {
      case 'u8': case 'i8': this.u8(Number(v.value)); break;
      case 'u16': case 'i16': view.setUint16(0, Number(v.value) & 0xffff, true); this.raw(b.subarray(0, 2)); break;
      case 'u32': case 'i32': this.u32(Number(v.value)); break;
      case 'f32': view.setFloat32(0, Number(v.value), true); this.raw(b.subarray(0, 4)); break;
      case 'u64': this.u64(v.value); break;
      case 'i64': view.setBigInt64(0, BigInt(v.value), true); this.raw(b); break;
      case 'f64': view.setFloat64(0, Number(v.value), true); this.raw(b); break;
      case 'bool': this.u8(v.value ? 1 : 0); break;
      case 'string': this.string(v.value); break;
      case 'array': this.u32(TYPE_IDS[v.elementType]!); this.u64(v.values.length); for (const e of v.values) this.value(e); break;
    }
  }
}

export function encodeGguf(spec: GgufSpec): Uint8Array {
  const out = new Out();
  out.raw(new TextEncoder().encode(spec.magic ?? 'GGUF'));
  out.u32(spec.version ?? 3);
  out.u64(spec.tensorCount ?? spec.tensors.length);
  out.u64(spec.kvCount ?? spec.kv.length);
  for (const [key, value] of spec.kv) {
    out.string(key);
    out.u32(TYPE_IDS[value.type]!);
    out.value(value);
  }
  const alignment = spec.alignment ?? 32;
  let next = 0;
  const offsets: bigint[] = [];
  for (const t of spec.tensors) {
    const offset = t.offset ?? next;
    offsets.push(BigInt(offset));
    // A hostile offset far away does not grow the file; the data goes nowhere.
    if (Number(offset) < 1 << 20) next = Math.max(next, Math.ceil((Number(offset) + t.data.length) / alignment) * alignment);
  }
  spec.tensors.forEach((t, i) => {
    out.string(t.name);
    out.u32(t.ne.length);
    for (const d of t.ne) out.u64(d);
    out.u32(t.type);
    out.u64(offsets[i]!);
  });
  while (out.bytes.length % alignment !== 0) out.u8(0);
  const dataStart = out.bytes.length;
  const bytes = new Uint8Array(dataStart + next);
  bytes.set(out.bytes);
  spec.tensors.forEach((t, i) => {
    const at = dataStart + Number(offsets[i]!);
    if (at + t.data.length <= bytes.length) bytes.set(t.data, at);
  });
  return spec.truncateTo === undefined ? bytes : bytes.subarray(0, spec.truncateTo);
}

export const str = (value: string): KvValue => ({ type: 'string', value });
export const u32 = (value: number): KvValue => ({ type: 'u32', value });
export const f32 = (value: number): KvValue => ({ type: 'f32', value });

/** A small valid GGUF: metadata of every kind, an F32 and a Q8_0 tensor. */
export function validSpec(): GgufSpec {
  const f32Data = new Uint8Array(4 * 8).map((_, i) => i);
  const q8Data = new Uint8Array(34 * 2).map((_, i) => (i * 7) & 0xff);
  return {
    kv: [
      ['general.architecture', str('llama')],
      ['general.alignment', u32(32)],
      ['some.f32', f32(0.5)],
      ['some.bool', { type: 'bool', value: true }],
      ['some.i64', { type: 'i64', value: -5n }],
      ['some.u64.big', { type: 'u64', value: 2n ** 60n }],
      ['tokenizer.ggml.tokens', { type: 'array', elementType: 'string', values: [str('a'), str('b'), str('ü')] }],
      ['nested', { type: 'array', elementType: 'array', values: [{ type: 'array', elementType: 'u8', values: [{ type: 'u8', value: 1 }] }] }],
    ],
    tensors: [
      { name: 'a.weight', ne: [4, 2], type: 0, data: f32Data },
      { name: 'b.weight', ne: [32, 2], type: 8, data: q8Data },
    ],
  };
}
