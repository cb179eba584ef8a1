// Which device runs a model: `--device auto|cpu|cuda[:N]` parsed, the VRAM a model needs per
// chain count (the memory plan), and the choice with a one-line reason for the user:
//   "cuda:0 (NVIDIA RTX 4070, 7.1 of 8.0 GiB free)"
//   "cpu: no NVIDIA driver: libcuda.so.1 was not found"
//   "cpu: the model needs 9.2 GiB, cuda:0 has 7.9 GiB free"
// Pure functions of a DeviceList (devices.ts) and a LoadPlan: the tests mock both.
import type { ChainWidths, ColmConfig, TensorEntry } from '../checkpoint/types.js';
import type { DeviceList } from './devices.js';
import { DEFAULT_KV_TYPE, type KvType } from './kv-type.js';

export type DeviceRequest = { kind: 'auto' } | { kind: 'cpu' } | { kind: 'cuda'; index: number };

/** A device name the native Session takes. */
export type DeviceName = 'cpu' | `cuda:${number}`;

/**
 * Whether the CUDA backend has passed the GPU check (scripts/gpu-check.sh) on a GPU. Until it
 * has, `auto` keeps the CPU (naming the reason) and `--device cuda` runs it with a warning.
 */
export const CUDA_BACKEND_VERIFIED = false;
export const CUDA_UNVERIFIED_WARNING = 'CUDA backend: not yet verified on a GPU by the test suite';

export function parseDevice(text: string): DeviceRequest {
  const t = text.trim().toLowerCase();
  if (t === 'auto') return { kind: 'auto' };
  if (t === 'cpu') return { kind: 'cpu' };
  if (t === 'cuda') return { kind: 'cuda', index: 0 };
  const m = /^cuda:(\d{1,4})$/.exec(t);
  if (m) return { kind: 'cuda', index: Number(m[1]) };
  throw new Error(`--device must be auto, cpu, cuda or cuda:N, got "${text}"`);
}

export function deviceRequestText(r: DeviceRequest): string {
  return r.kind === 'cuda' ? `cuda:${r.index}` : r.kind;
}

// ---- the memory plan ----

/** What the CUDA backend allocates for sub-model k (chains 1..k) and one session. */
export interface VramPlan {
  chains: number;
  /** Weights of chains 1..k in their stored types (embedding and LM head: the first d_k columns). */
  weightBytes: number;
  /** K and V in BF16 for every layer, every KV head and every position of the context. */
  kvBytes: number;
  /** Activations of a 256-position chunk, 32 rows of logits, attention partials, and a fixed reserve. */
  workspaceBytes: number;
  totalBytes: number;
}

/** The reserve counted in every plan for the CUDA context's own allocations and fragmentation. */
export const CUDA_RESERVE_BYTES = 256 * 2 ** 20;
const CHUNK = 256;
const LOGIT_ROWS = 32;

export interface PlanInput {
  config: ColmConfig;
  widths: ChainWidths;
  tensors: readonly Pick<TensorEntry, 'name' | 'byteLength' | 'dtype' | 'shape'>[];
}

const LAYER_TENSOR = /^model\.layers\.\d+\.(self_attn|mlp)\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)\.(weight|qweight|qscale|bias)$/;
const CHAIN_TENSOR = /\.chains\.(\d+)\.(weight|qweight|qscale|bias)$/;

/** Bytes per chain (index i: chain i+1) of one tensor as the backend uploads it. */
function tensorChainBytes(t: PlanInput['tensors'][number], input: PlanInput, n: number): number[] | 'prefix' {
  const out = new Array<number>(n).fill(0);
  const c = input.config;
  if (/^(model\.embed_tokens|lm_head)\.(weight|qweight|qscale)$/.test(t.name)) return 'prefix';
  const chain = CHAIN_TENSOR.exec(t.name);
  if (chain) {
    out[Math.min(n - 1, Number(chain[1]))] = t.byteLength;
    return out;
  }
  if (/norm\.weight$/.test(t.name)) {
    out[0] = t.shape.reduce((a, b) => a * b, 1) * 4; // widened to float32 at load
    return out;
  }
  const whole = LAYER_TENSOR.exec(t.name);
  if (!whole || n === 1 || t.shape.length !== 2 || (c.kvSharing && (whole[2] === 'k_proj' || whole[2] === 'v_proj'))) {
    out[0] = whole?.[3] === 'bias' ? t.shape[0]! * 4 : t.byteLength;
    return out;
  }
  // A whole chain linear: the backend keeps block i as rows_i x cum_in_i (no structural zeros).
  const w = input.widths;
  const hd = c.headDim;
  const times = (a: number[], f: number) => a.map((v) => v * f);
  const cums: Record<string, [number[], number[]]> = {
    q_proj: [times(w.cumHeads, hd), w.cumHidden],
    k_proj: [times(w.cumKvHeads, hd), w.cumHidden],
    v_proj: [times(w.cumKvHeads, hd), w.cumHidden],
    o_proj: [w.cumHidden, times(w.cumHeads, hd)],
    gate_proj: [w.cumFfn, w.cumHidden],
    up_proj: [w.cumFfn, w.cumHidden],
    down_proj: [w.cumHidden, w.cumFfn],
  };
  const [outCum, inCum] = cums[whole[2]!]!;
  const perElement = t.byteLength / (t.shape[0]! * t.shape[1]!);
  const scaleCols = whole[3] === 'qscale' ? (k: number) => Math.ceil(inCum[k]! / 32) : (k: number) => inCum[k]!;
  for (let i = 0; i < n; i++) out[i] = (outCum[i + 1]! - outCum[i]!) * scaleCols(i + 1) * perElement;
  return out;
}

/** The plan for k = 1..n at a context of `contextSize` positions. */
export function planVram(input: PlanInput, contextSize: number): VramPlan[] {
  const c = input.config;
  const w = input.widths;
  const n = c.chains.length;
  const D = c.hiddenSize;
  const perChain = new Array<number>(n).fill(0);
  let prefixBytes = 0; // embedding (+ an untied LM head) over all D columns
  for (const t of input.tensors) {
    if (c.tieWordEmbeddings && t.name.startsWith('lm_head.')) continue; // the engine ignores it
    const b = tensorChainBytes(t, input, n);
    if (b === 'prefix') prefixBytes += t.byteLength;
    else b.forEach((v, i) => (perChain[i]! += v));
  }
  const hd = c.headDim;
  const qdim = c.numAttentionHeads * hd;
  const kvdim = c.numKeyValueHeads * hd;
  const kvBytes = 2 * c.numHiddenLayers * contextSize * kvdim * 2;
  const attention = Math.max(CHUNK * c.numAttentionHeads * (hd + 2), c.numAttentionHeads * (hd + 2) * Math.ceil(contextSize / 64));
  const activations = CHUNK * (3 * D + 2 * qdim + 2 * c.intermediateSize + 2 * kvdim + hd) + LOGIT_ROWS * c.vocabSize + attention;
  const workspaceBytes = activations * 4 + CHUNK * 4 + CUDA_RESERVE_BYTES;
  const plans: VramPlan[] = [];
  let chainSum = 0;
  for (let k = 1; k <= n; k++) {
    chainSum += perChain[k - 1]!;
    const weightBytes = Math.round(chainSum + (prefixBytes * w.cumHidden[k]!) / D);
    plans.push({ chains: k, weightBytes, kvBytes, workspaceBytes, totalBytes: weightBytes + kvBytes + workspaceBytes });
  }
  return plans;
}

// ---- the choice ----

export interface DeviceChoice {
  device: DeviceName;
  /** One line: why this device ("cpu: no NVIDIA driver ..."). */
  reason: string;
  /** The plan of the chain count the backend loads (all chains today), on CUDA. */
  plan: VramPlan | null;
  /** Set when the chosen backend has not passed the GPU check: print it to stderr. */
  warning: string | null;
}

/** An explicit --device that cannot be honoured: the CLI exits 1 with this message. */
export class DeviceUnavailableError extends Error {
  override name = 'DeviceUnavailableError';
}

export const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/**
 * The KV cache types a CUDA session keeps: BF16 only (its attention kernels read BF16). A CPU
 * session takes every type in kv-type.ts. The one place this rule lives: chooseDevice() refuses
 * or avoids CUDA with another type, and Model.createSession() checks it again.
 */
export const CUDA_KV_TYPES: readonly KvType[] = ['bf16'];

/** Why `device` cannot keep a `kvType` KV cache, or null when it can. */
export function kvTypeProblem(device: DeviceName | string, kvType: KvType = DEFAULT_KV_TYPE): string | null {
  if (!device.startsWith('cuda') || CUDA_KV_TYPES.includes(kvType)) return null;
  return `the CUDA session keeps a ${CUDA_KV_TYPES.join('/')} KV cache only, not ${kvType}: use --kv-type bf16 with ${device}, or --device cpu for a ${kvType} cache`;
}

export function chooseDevice(
  request: DeviceRequest,
  devices: DeviceList,
  plans: readonly VramPlan[],
  options: { cudaVerified?: boolean; kvType?: KvType } = {},
): DeviceChoice {
  const verified = options.cudaVerified ?? CUDA_BACKEND_VERIFIED;
  const kvType = options.kvType ?? DEFAULT_KV_TYPE;
  // The backend uploads every chain today: the full model's plan is what must fit.
  const need = plans[plans.length - 1] ?? null;
  if (request.kind === 'cpu') return { device: 'cpu', reason: 'cpu: chosen with --device cpu', plan: null, warning: null };
  const fits = (d: DeviceList['cuda'][number]) => need === null || need.totalBytes <= d.freeBytes;
  const describe = (d: DeviceList['cuda'][number]) => `cuda:${d.index} (${d.name}, ${(d.freeBytes / 2 ** 30).toFixed(1)} of ${gib(d.totalBytes)} free)`;
  const short = (d: DeviceList['cuda'][number]) => `the model needs ${gib(need!.totalBytes)}, cuda:${d.index} has ${gib(d.freeBytes)} free`;
  if (request.kind === 'cuda') {
    const name = `cuda:${request.index}`;
    if (devices.cuda.length === 0) throw new DeviceUnavailableError(`--device ${name}: ${devices.cudaReason ?? 'no CUDA device'}`);
    const d = devices.cuda.find((x) => x.index === request.index);
    if (!d) throw new DeviceUnavailableError(`--device ${name}: there is no CUDA device ${request.index} (this machine has ${devices.cuda.length})`);
    const kvProblem = kvTypeProblem(name, kvType);
    if (kvProblem) throw new DeviceUnavailableError(`--device ${name}: ${kvProblem}`);
    if (!fits(d)) throw new DeviceUnavailableError(`--device ${name}: ${short(d)} (try --context N with a smaller N, or --device cpu)`);
    return { device: `cuda:${d.index}`, reason: describe(d), plan: need, warning: verified ? null : CUDA_UNVERIFIED_WARNING };
  }
  // auto
  if (devices.cuda.length === 0) return { device: 'cpu', reason: `cpu: ${devices.cudaReason ?? 'no CUDA device'}`, plan: null, warning: null };
  const best = [...devices.cuda].sort((a, b) => b.freeBytes - a.freeBytes)[0]!;
  if (!fits(best)) return { device: 'cpu', reason: `cpu: ${short(best)}`, plan: null, warning: null };
  if (kvTypeProblem(`cuda:${best.index}`, kvType))
    return { device: 'cpu', reason: `cpu: the KV cache type is ${kvType}, which runs on the CPU only (cuda:${best.index} keeps bf16: choose --kv-type bf16 for the GPU)`, plan: null, warning: null };
  if (!verified)
    return { device: 'cpu', reason: `cpu: the CUDA backend is not yet verified on a GPU (--device cuda:${best.index} runs it anyway)`, plan: null, warning: null };
  return { device: `cuda:${best.index}`, reason: describe(best), plan: need, warning: null };
}
