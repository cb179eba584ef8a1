// Property-based fuzzing: whatever bytes or JSON come in, the reader either returns something that
// honours its promises or throws CheckpointError. Never another exception type, never a hang.
// Runs are bounded so each test stays within a few seconds on a slow machine; fast-check prints the
// seed and the shrunk input of any failure, and such inputs belong in test/fixtures/fuzz/.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { chainWidths, parameterCounts, parseConfig } from '../../../app/checkpoint/config.js';
import { CheckpointError } from '../../../app/checkpoint/errors.js';
import { readCheckpoint } from '../../../app/checkpoint/read-checkpoint.js';
import { ELEMENT_BYTES, parseSafetensorsBytes, readSafetensorsHeader, type SafetensorsHeader } from '../../../app/checkpoint/safetensors.js';
import { encodeSafetensorsHeader } from '../../../app/checkpoint/safetensors-writer.js';
import {
  modelTensors,
  rawSafetensors,
  TempDirs,
  tinyConfig,
  TINY_TOKENIZER,
  writeFolderCheckpoint,
  writeSingleFileCheckpoint,
  type RawConfig,
} from './tiny-checkpoints.js';

const temp = new TempDirs();
afterAll(() => temp.cleanup());

const FUZZ_TIMEOUT_MS = 30_000;

/** Runs `run`; any throw other than CheckpointError fails the property. Returns the value or undefined. */
function acceptOrRefuse<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch (error) {
    if (error instanceof CheckpointError) {
      expect(error.message).not.toContain('\n');
      expect(error.message.startsWith(error.file)).toBe(true);
      return undefined;
    }
    throw error;
  }
}

async function acceptOrRefuseAsync<T>(run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CheckpointError) return undefined;
    throw error;
  }
}

/** What an accepted header promises the engine: every tensor inside the data section, no overlaps. */
function expectHeaderInBounds(header: SafetensorsHeader): void {
  const ranges = header.tensors.map((t) => {
    const elements = t.shape.reduce((a, b) => a * b, 1);
    // Q4_0 / Q4_K (a U8 `X.q4_0` / `X.q4_k`, docs/FORMAT-Q4.md): shape in weights, 18 bytes per 32 or 144 per 256.
    const bytes = t.dtype === 'Q4_0' ? (elements / 32) * 18 : t.dtype === 'Q4_K' ? (elements / 256) * 144 : elements * ELEMENT_BYTES[t.dtype];
    expect(t.byteLength).toBe(bytes);
    expect(t.offset).toBeGreaterThanOrEqual(header.dataStart);
    expect(t.offset + t.byteLength).toBeLessThanOrEqual(header.fileSize);
    return [t.offset, t.offset + t.byteLength] as const;
  });
  const occupied = ranges.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < occupied.length; i++) expect(occupied[i]![0]).toBeGreaterThanOrEqual(occupied[i - 1]![1]);
}

// --- byte mutations ---------------------------------------------------------------------------

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; length: number };

// Bytes that keep JSON nearly valid, so mutations reach the checks after JSON.parse.
const JSON_BYTES = [...'{}[]",:-.0123456789e '].map((c) => c.charCodeAt(0));
const byteValue = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...JSON_BYTES));
const position = fc.nat({ max: 100_000 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: position, value: byteValue }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.array(byteValue, { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 16 }) }),
);

function mutate(original: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = Uint8Array.from(original);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % (bytes.length + 1);
    if (m.kind === 'flip' && at < bytes.length) bytes[at]! ^= 1 << m.bit;
    else if (m.kind === 'set' && at < bytes.length) bytes[at] = m.value;
    else if (m.kind === 'truncate') bytes = bytes.subarray(0, at);
    else if (m.kind === 'insert') bytes = Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
    else if (m.kind === 'delete') bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + m.length)]);
  }
  return bytes;
}

/** Mutations aimed at the JSON text should keep the length prefix honest, or they only test it. */
function withFixedLength(bytes: Uint8Array, headerLengthChange: number): Uint8Array {
  if (bytes.length < 8) return bytes;
  const fixed = Uint8Array.from(bytes);
  const view = new DataView(fixed.buffer);
  const length = view.getBigUint64(0, true) + BigInt(headerLengthChange);
  if (length >= 0n) view.setBigUint64(0, length, true);
  return fixed;
}

function validFileBytes(): Uint8Array {
  const config = tinyConfig({ num_hidden_layers: 1 });
  const tensors = modelTensors(config, { dtype: (name) => (name.includes('mlp') ? 'BF16' : name.includes('norm') ? 'F16' : 'F32') });
  const header = encodeSafetensorsHeader(tensors, { 'colm.config': JSON.stringify(config), 'colm.tokenizer': JSON.stringify(TINY_TOKENIZER) });
  const size = header.length + tensors.reduce((sum, t) => sum + t.data.length, 0);
  const bytes = new Uint8Array(size);
  bytes.set(header);
  let at = header.length;
  for (const t of tensors) {
    bytes.set(t.data, at);
    at += t.data.length;
  }
  return bytes;
}

const VALID = validFileBytes();
const VALID_HEADER_LENGTH = Number(new DataView(VALID.buffer).getBigUint64(0, true));

describe('fuzz: safetensors header bytes', () => {
  it('random mutations of a valid file are accepted in bounds or refused', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
        const header = acceptOrRefuse(() => parseSafetensorsBytes('/fuzz/m.safetensors', mutate(VALID, mutations)));
        if (header) expectHeaderInBounds(header);
      }),
      { numRuns: 1500 },
    );
  }, FUZZ_TIMEOUT_MS);

  it('mutations inside the JSON text, with the length prefix kept consistent', () => {
    const inHeader = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.integer({ min: 8, max: 8 + VALID_HEADER_LENGTH - 1 }), value: byteValue }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.integer({ min: 8, max: 8 + VALID_HEADER_LENGTH - 1 }), bit: fc.integer({ min: 0, max: 7 }) }),
    );
    fc.assert(
      fc.property(fc.array(inHeader, { minLength: 1, maxLength: 4 }), (mutations) => {
        const header = acceptOrRefuse(() => parseSafetensorsBytes('/fuzz/m.safetensors', mutate(VALID, mutations)));
        if (header) expectHeaderInBounds(header);
      }),
      { numRuns: 1500 },
    );
  }, FUZZ_TIMEOUT_MS);

  it('structured changes to entries (numbers, types, names) are accepted in bounds or refused', () => {
    const parsed = JSON.parse(new TextDecoder().decode(VALID.subarray(8, 8 + VALID_HEADER_LENGTH))) as Record<string, Record<string, unknown>>;
    const names = Object.keys(parsed).filter((n) => n !== '__metadata__');
    const dataLength = VALID.length - 8 - VALID_HEADER_LENGTH;
    const interestingNumber = fc.oneof(
      fc.integer({ min: -4, max: dataLength + 8 }),
      fc.constantFrom(0, -0, 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 64, 1e308, 0.5, Number.MAX_VALUE, dataLength, dataLength + 1),
    );
    const anyValue = fc.oneof(interestingNumber, fc.array(interestingNumber, { maxLength: 4 }), fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('F32', 'F16', 'BF16', 'F64', 'I8', '', null));
    const change = fc.record({
      tensor: fc.constantFrom(...names, '__metadata__', 'new.tensor'),
      field: fc.constantFrom('dtype', 'shape', 'data_offsets', 'extra', '*', 'colm.config'),
      value: anyValue,
    });
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 4 }), (changes) => {
        const header: Record<string, unknown> = structuredClone(parsed);
        for (const { tensor, field, value } of changes) {
          if (field === '*') header[tensor] = value;
          else header[tensor] = { ...(typeof header[tensor] === 'object' && header[tensor] !== null ? header[tensor] : {}), [field]: value };
        }
        const bytes = rawSafetensors(header, VALID.subarray(8 + VALID_HEADER_LENGTH));
        const result = acceptOrRefuse(() => parseSafetensorsBytes('/fuzz/m.safetensors', bytes));
        if (result) expectHeaderInBounds(result);
      }),
      { numRuns: 1500 },
    );
  }, FUZZ_TIMEOUT_MS);

  it('random bytes of any length are refused or accepted, never thrown otherwise', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.boolean(), (noise, length, setLength) => {
        const bytes = Uint8Array.from(noise);
        if (setLength && bytes.length >= 8) new DataView(bytes.buffer).setBigUint64(0, length % BigInt(bytes.length), true);
        acceptOrRefuse(() => parseSafetensorsBytes('/fuzz/noise.safetensors', bytes));
      }),
      { numRuns: 1500 },
    );
  }, FUZZ_TIMEOUT_MS);

  it('the file reader agrees with the in-memory check on mutated files', async () => {
    const dir = await temp.make();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.integer({ min: -8, max: 8 }), async (mutations, lengthChange) => {
        const bytes = withFixedLength(mutate(VALID, mutations), lengthChange);
        const path = join(dir, `f${n++}.safetensors`);
        await writeFile(path, bytes);
        const fromFile = await acceptOrRefuseAsync(() => readSafetensorsHeader(path));
        const inMemory = acceptOrRefuse(() => parseSafetensorsBytes(path, bytes));
        expect(fromFile === undefined).toBe(inMemory === undefined);
        if (fromFile) expect(fromFile).toEqual(inMemory);
      }),
      { numRuns: 60 },
    );
  }, FUZZ_TIMEOUT_MS);
});

// --- configs ----------------------------------------------------------------------------------

const CONFIG_KEYS = [
  'model_type', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'vocab_size', 'num_attention_heads',
  'num_key_value_heads', 'head_dim', 'chains', 'kv_sharing', 'rms_norm_eps', 'rope_theta', 'rope_scaling',
  'tie_word_embeddings', 'max_position_embeddings', 'bos_token_id', 'eos_token_id', 'attention_bias', 'mlp_bias',
  'hidden_act', 'sliding_window', 'use_sliding_window', 'quantization_config', 'partial_rotary_factor', '__proto__', 'constructor',
];

const configValue = fc.oneof(
  fc.integer({ min: -3, max: 40 }),
  fc.constantFrom(0, 1, 2, 3, 4, 6, 8, 12, 16, 1.5, -1, 2 ** 24, 2 ** 24 + 1, 2 ** 53, 2 ** 60, Number.NaN, Number.POSITIVE_INFINITY, 1e-300),
  fc.constantFrom(null, true, false, 'colm', 'llama', 'silu', 'llama3', '8', ''),
  fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 5 }),
  fc.record({ rope_type: fc.constantFrom('llama3', 'yarn', 'default'), factor: fc.double(), low_freq_factor: fc.double(), high_freq_factor: fc.double(), original_max_position_embeddings: fc.integer() }, { requiredKeys: [] }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** If a config is accepted, everything derived from it is whole and consistent. */
function expectConsistent(raw: unknown): void {
  const config = acceptOrRefuse(() => parseConfig(raw, '/fuzz/config.json'));
  if (!config) return;
  const widths = chainWidths(config);
  const all = [...widths.hidden, ...widths.heads, ...widths.kvHeads, ...widths.ffn];
  for (const width of all) expect(Number.isSafeInteger(width) && width >= 0).toBe(true);
  expect(widths.cumHidden.at(-1)).toBe(config.hiddenSize);
  expect(widths.cumHeads.at(-1)).toBe(config.numAttentionHeads);
  expect(widths.cumFfn.at(-1)).toBe(config.intermediateSize);
  expect(widths.cumKvHeads.at(-1)).toBe(config.numKeyValueHeads);
  // A 1-chain model is a plain HF checkpoint whose head_dim may differ from D/h (Qwen3).
  if (config.chains.length > 1) widths.hidden.forEach((d, i) => expect(d).toBe((widths.heads[i] ?? 0) * config.headDim));
  expect(config.headDim % 2).toBe(0);
  const counts = parameterCounts(config);
  for (let k = 1; k < counts.length; k++) expect(counts[k]!).toBeGreaterThan(counts[k - 1]!);
}

/** Valid CoLM configs by construction: h = S*g*r query heads, plain GQA h_kv = S*g, Air h_kv = g. */
const validConfig: fc.Arbitrary<RawConfig> = fc
  .record({
    chains: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }),
    g: fc.integer({ min: 1, max: 2 }),
    r: fc.integer({ min: 1, max: 3 }),
    headDim: fc.integer({ min: 1, max: 4 }).map((x) => x * 2),
    ffnUnit: fc.integer({ min: 1, max: 4 }),
    air: fc.boolean(),
    gqa: fc.boolean(),
    tied: fc.boolean(),
    layers: fc.integer({ min: 1, max: 3 }),
    vocab: fc.integer({ min: 3, max: 50 }),
  })
  .map(({ chains, g, r, headDim, ffnUnit, air, gqa, tied, layers, vocab }) => {
    const S = chains.reduce((a, b) => a + b, 0);
    const h = S * g * r;
    const hKv = air ? g : gqa ? S * g : h;
    return {
      model_type: 'colm',
      hidden_size: h * headDim,
      intermediate_size: S * ffnUnit,
      num_hidden_layers: layers,
      vocab_size: vocab,
      num_attention_heads: h,
      num_key_value_heads: hKv,
      chains,
      kv_sharing: air,
      tie_word_embeddings: tied,
    };
  });

describe('fuzz: configs', () => {
  it('arbitrary JSON values are refused with CheckpointError or accepted consistently', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), expectConsistent), { numRuns: 1000 });
    fc.assert(fc.property(fc.anything(), expectConsistent), { numRuns: 500 });
  }, FUZZ_TIMEOUT_MS);

  it('mutated valid configs are refused with CheckpointError or accepted consistently', () => {
    const edit = fc.record({ key: fc.constantFrom(...CONFIG_KEYS), value: fc.option(configValue, { nil: undefined }) });
    fc.assert(
      fc.property(validConfig, fc.array(edit, { minLength: 1, maxLength: 4 }), (config, edits) => {
        const raw: RawConfig = { ...config };
        for (const { key, value } of edits) {
          if (value === undefined) delete raw[key];
          else Object.defineProperty(raw, key, { value, enumerable: true, writable: true, configurable: true });
        }
        expectConsistent(raw);
        // The same config through its JSON text, as a file would carry it.
        expectConsistent(JSON.parse(JSON.stringify(raw) ?? 'null'));
      }),
      { numRuns: 2000 },
    );
  }, FUZZ_TIMEOUT_MS);

  it('configs built to the rules are always accepted', () => {
    fc.assert(
      fc.property(validConfig, (raw) => {
        const config = parseConfig(raw, '/fuzz/config.json');
        expect(config.chains).toEqual(raw['chains']);
        expectConsistent(raw);
      }),
      { numRuns: 1000 },
    );
  }, FUZZ_TIMEOUT_MS);
});

// --- whole checkpoints ------------------------------------------------------------------------

describe('fuzz: readCheckpoint on mutated single-file checkpoints', () => {
  it('either loads a plan whose tensors lie in the file, or refuses with CheckpointError', async () => {
    const dir = await temp.make();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const bytes = mutate(VALID, mutations);
        const path = join(dir, `m${n++}.safetensors`);
        await writeFile(path, bytes);
        const plan = await acceptOrRefuseAsync(() => readCheckpoint(path));
        if (!plan) return;
        for (const t of plan.tensors) expect(t.offset + t.byteLength).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 80 },
    );
  }, FUZZ_TIMEOUT_MS);

  it('valid random models load in every packaging', async () => {
    await fc.assert(
      fc.asyncProperty(validConfig, fc.constantFrom('F32', 'F16', 'BF16' as const), async (config, dtype) => {
        const dir = await temp.make();
        const tensors = modelTensors(config, { dtype });
        const single = await readCheckpoint(await writeSingleFileCheckpoint(join(dir, 'one.safetensors'), config, tensors));
        const folder = await readCheckpoint(await writeFolderCheckpoint(join(dir, 'f'), config, tensors, { shards: 2 }));
        expect(single.tensors.map((t) => [t.name, t.shape])).toEqual(folder.tensors.map((t) => [t.name, t.shape]));
      }),
      { numRuns: 25 },
    );
  }, FUZZ_TIMEOUT_MS);
});
