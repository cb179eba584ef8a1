// Hostile GGUF files, each a valid file with one field broken, and the refusal each must get:
// the rule text the CheckpointError contains and the tensor or key it names. Shared by the reader's
// unit test, the kept fuzz corpus (test/fixtures/fuzz/gguf) and the CLI test (exit 1 from colm info).
import { encodeGguf, str, u32, validSpec, type GgufSpec, type KvValue } from './gguf-bytes.js';

export interface HostileCase {
  name: string;
  bytes: Uint8Array;
  rule: string;
  tensor?: string;
  key?: string;
}

function variant(change: (spec: GgufSpec) => void): Uint8Array {
  const spec = validSpec();
  change(spec);
  return encodeGguf(spec);
}

function patched(bytes: Uint8Array, at: number, patch: number[]): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy.set(patch, at);
  return copy;
}

/** Writes `patch` at (the first occurrence of `marker`'s bytes) + delta. */
function patchAfter(bytes: Uint8Array, marker: string, delta: number, patch: number[]): Uint8Array {
  const m = new TextEncoder().encode(marker);
  for (let i = 0; i + m.length <= bytes.length; i++) {
    if (m.every((b, j) => bytes[i + j] === b)) return patched(bytes, i + delta, patch);
  }
  throw new Error(`marker ${marker} not found`);
}

function cutAfter(bytes: Uint8Array, marker: string): Uint8Array {
  const m = new TextEncoder().encode(marker);
  for (let i = 0; i + m.length <= bytes.length; i++) {
    if (m.every((b, j) => bytes[i + j] === b)) return bytes.slice(0, i + m.length);
  }
  throw new Error(`marker ${marker} not found`);
}

function deepArray(depth: number): KvValue {
  let v: KvValue = { type: 'array', elementType: 'u8', values: [] };
  for (let i = 1; i < depth; i++) v = { type: 'array', elementType: 'array', values: [v] };
  return v;
}

const u64le = (v: bigint) => Array.from(new Uint8Array(new BigUint64Array([v]).buffer));

export function hostileCases(): HostileCase[] {
  const valid = encodeGguf(validSpec());
  return [
    { name: 'bad-magic', bytes: patched(valid, 0, [0x47, 0x47, 0x55, 0x47]), rule: 'bad magic' },
    { name: 'empty-file', bytes: new Uint8Array(0), rule: 'too short' },
    { name: 'version-1', bytes: variant((s) => (s.version = 1)), rule: 'version 1 is not supported' },
    { name: 'version-big-endian', bytes: variant((s) => (s.version = 0x03000000)), rule: 'big-endian' },
    { name: 'tensor-count-past-end', bytes: patched(valid, 8, u64le(1n << 40n)), rule: 'tensor count' },
    { name: 'kv-count-past-end', bytes: patched(valid, 16, u64le(1n << 62n)), rule: 'metadata count' },
    { name: 'kv-count-one-more', bytes: variant((s) => (s.kvCount = s.kv.length + 1)), rule: 'past the end of the file' },
    { name: 'key-length-past-end', bytes: patched(valid, 24, u64le(1n << 50n)), rule: 'runs past the end of the file' },
    { name: 'string-length-past-end', bytes: patchAfter(variant((s) => s.kv.push(['x.s', str('abcdef')])), 'abcdef', -8, u64le(1n << 33n)), rule: 'runs past the end of the file', key: 'x.s' },
    { name: 'string-length-2^64', bytes: patchAfter(variant((s) => s.kv.push(['x.s', str('abcdef')])), 'abcdef', -8, u64le(2n ** 64n - 1n)), rule: 'runs past the end of the file', key: 'x.s' },
    {
      name: 'array-count-past-end',
      bytes: patchAfter(variant((s) => s.kv.push(['x.arr', { type: 'array', elementType: 'u32', values: [u32(0x55555555)] }])), 'x.arr', 5 + 4, u64le(1n << 40n)),
      rule: 'runs past the end of the file',
      key: 'x.arr',
    },
    { name: 'bad-value-type', bytes: patchAfter(variant((s) => s.kv.push(['x.t', { type: 'u8', value: 1 }])), 'x.t', 3, [13, 0, 0, 0]), rule: 'value type 13', key: 'x.t' },
    { name: 'bad-bool', bytes: patchAfter(variant((s) => s.kv.push(['x.b', { type: 'bool', value: true }])), 'x.b', 3 + 4, [7]), rule: 'bool value 7', key: 'x.b' },
    { name: 'array-nesting-too-deep', bytes: variant((s) => s.kv.push(['x.deep', deepArray(12)])), rule: 'nested deeper', key: 'x.deep' },
    { name: 'truncated-in-string', bytes: cutAfter(variant((s) => s.kv.push(['x.cut', str('abcdefgh')])), 'abcd'), rule: 'past the end of the file', key: 'x.cut' },
    { name: 'alignment-not-power-of-two', bytes: variant((s) => (s.kv[1] = ['general.alignment', u32(24)])), rule: 'power of two', key: 'general.alignment' },
    { name: 'duplicate-key', bytes: variant((s) => s.kv.push(['some.f32', u32(1)])), rule: 'appears twice', key: 'some.f32' },
    { name: 'ndims-0', bytes: variant((s) => (s.tensors[0]!.ne = [])), rule: 'n_dims 0', tensor: 'a.weight' },
    { name: 'ndims-5', bytes: variant((s) => (s.tensors[0]!.ne = [1, 1, 1, 1, 8])), rule: 'n_dims 5', tensor: 'a.weight' },
    { name: 'dim-zero', bytes: variant((s) => (s.tensors[0]!.ne = [4, 0])), rule: 'is 0', tensor: 'a.weight' },
    { name: 'unknown-type', bytes: variant((s) => (s.tensors[0]!.type = 99)), rule: 'unknown type 99', tensor: 'a.weight' },
    { name: 'unsupported-type-iq2', bytes: variant((s) => (s.tensors[0]!.type = 16)), rule: 'IQ2_XXS', tensor: 'a.weight' },
    { name: 'misaligned-offset', bytes: variant((s) => (s.tensors[1]!.offset = 40)), rule: 'not a multiple of general.alignment', tensor: 'b.weight' },
    { name: 'offset-past-end', bytes: variant((s) => (s.tensors[1]!.offset = 1n << 40n)), rule: 'past the end of the file', tensor: 'b.weight' },
    { name: 'tensor-too-small-for-shape', bytes: variant((s) => (s.tensors[1]!.ne = [32, 3])), rule: 'tensor too small for its shape', tensor: 'b.weight' },
    { name: 'shape-larger-than-file', bytes: variant((s) => (s.tensors[0]!.ne = [1n << 40n, 1n << 20n])), rule: 'more bytes than the whole file', tensor: 'a.weight' },
    { name: 'block-row-not-multiple', bytes: variant((s) => (s.tensors[1]!.ne = [16, 4])), rule: 'not a multiple of Q8_0', tensor: 'b.weight' },
    { name: 'duplicate-tensor', bytes: variant((s) => (s.tensors[1]!.name = 'a.weight')), rule: 'duplicate tensor name', tensor: 'a.weight' },
    { name: 'overlapping-tensors', bytes: variant((s) => (s.tensors[1]!.offset = 0)), rule: 'overlaps', tensor: 'b.weight' },
    { name: 'truncated-in-tensor-infos', bytes: valid.subarray(0, valid.length - 100 - 96), rule: 'past the end of the file' },
  ];
}
