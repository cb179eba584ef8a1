// The trainer's files: the model as one FORMAT.md safetensors file (float32 weights, metadata
// colm.config, colm.tokenizer and, when known, colm.tokenizer_config), Adam's state beside it
// (tensors m.NAME and v.NAME, metadata colm.optimizer: the step and the run's options), and the
// float32 weights of any checkpoint the reader accepts (--init, --resume).

import { open } from 'node:fs/promises';

import { bf16BitsToFloat32, f16BitsToFloat32 } from '../../checkpoint/float-bits.js';
import { readSafetensorsHeader } from '../../checkpoint/safetensors.js';
import { writeSafetensors, type TensorToWrite } from '../../checkpoint/safetensors-writer.js';
import type { LoadPlan } from '../../checkpoint/types.js';
import type { NamedTensor, OptimizerState } from '../../engine/native.js';
import { TrainError } from './train-error.js';

export interface ModelTexts {
  configText: string;
  tokenizerText: string;
  tokenizerConfigText: string | null;
}

function f32Bytes(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export async function saveModel(path: string, weights: NamedTensor[], texts: ModelTexts): Promise<void> {
  const tensors: TensorToWrite[] = weights.map((w) => ({ name: w.name, dtype: 'F32', shape: w.shape, data: f32Bytes(w.data) }));
  const metadata: Record<string, string> = { 'colm.config': texts.configText, 'colm.tokenizer': texts.tokenizerText };
  if (texts.tokenizerConfigText !== null) metadata['colm.tokenizer_config'] = texts.tokenizerConfigText;
  await writeSafetensors(path, tensors, metadata);
}

export async function saveOptimizer(path: string, state: OptimizerState, info: Record<string, unknown>): Promise<void> {
  const tensors: TensorToWrite[] = [];
  for (const [prefix, list] of [['m', state.m], ['v', state.v]] as const)
    for (const t of list) tensors.push({ name: `${prefix}.${t.name}`, dtype: 'F32', shape: t.shape, data: f32Bytes(t.data) });
  await writeSafetensors(path, tensors, { 'colm.optimizer': JSON.stringify({ ...info, step: state.step }) });
}

async function readRange(file: string, offset: number, length: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const bytes = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(bytes, done, length - done, offset + done);
      if (bytesRead === 0) throw new TrainError(`${file}: a tensor ends past the end of the file`);
      done += bytesRead;
    }
    return bytes;
  } finally {
    await handle.close();
  }
}

function toFloat32(bytes: Uint8Array, dtype: string, where: string): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F32') {
    const out = new Float32Array(bytes.byteLength / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  if (dtype === 'F16' || dtype === 'BF16') {
    const out = new Float32Array(bytes.byteLength / 2);
    const widen = dtype === 'F16' ? f16BitsToFloat32 : bf16BitsToFloat32;
    for (let i = 0; i < out.length; i++) out[i] = widen(view.getUint16(2 * i, true));
    return out;
  }
  throw new TrainError(`${where} is stored as ${dtype}; training needs float weights (F32, F16 or BF16)`);
}

/** Every tensor of a checked checkpoint, widened to float32. */
export async function readWeights(plan: LoadPlan): Promise<NamedTensor[]> {
  const out: NamedTensor[] = [];
  for (const t of plan.tensors) {
    const file = plan.files[t.file]!;
    out.push({ name: t.name, shape: t.shape, data: toFloat32(await readRange(file, t.offset, t.byteLength), t.dtype, `${file}: tensor ${t.name}`) });
  }
  return out;
}

/** Adam's state and the run's recorded options from a file saveOptimizer wrote. */
export async function loadOptimizer(path: string): Promise<{ state: OptimizerState; info: Record<string, unknown> }> {
  const header = await readSafetensorsHeader(path);
  const text = header.metadata['colm.optimizer'];
  if (text === undefined) throw new TrainError(`${path}: not an optimizer state file (no colm.optimizer metadata)`);
  const info = JSON.parse(text) as Record<string, unknown>;
  const state: OptimizerState = { step: Number(info.step), m: [], v: [] };
  if (!Number.isInteger(state.step) || state.step < 0) throw new TrainError(`${path}: colm.optimizer has no valid step`);
  for (const t of header.tensors) {
    const dot = t.name.indexOf('.');
    const which = t.name.slice(0, dot);
    if (dot < 0 || (which !== 'm' && which !== 'v')) throw new TrainError(`${path}: unexpected tensor ${t.name}`);
    const data = toFloat32(await readRange(path, t.offset, t.byteLength), t.dtype, `${path}: tensor ${t.name}`);
    state[which].push({ name: t.name.slice(dot + 1), shape: t.shape, data });
  }
  return { state, info };
}
