// One line for the policy's badge: which GPU the GPU rules read and what they see there.
//   "cuda:0 (NVIDIA RTX 4070): others 12%, 6.1 of 8.0 GiB free"          the model runs on it
//   "GPU 0 (NVIDIA RTX 4070): others 12% · the model runs on the CPU"    it does not
//   "GPU: unknown (cannot parse nvidia-smi output: ...)"                  nvidia-smi answered badly
// null where the machine has no GPU signal at all (no nvidia-smi, a simulated script without one):
// there is nothing to say, and "unknown" on every laptop without NVIDIA would only be noise.
import type { Signals } from './signals.js';

const NOTHING_TO_READ = [/ not found$/, /^no probe reads this/, /^no snapshot yet$/];

export function gpuSummary(signals: Signals): string | null {
  const device = signals.gpuDevice;
  if (!device?.available) {
    if (!device || NOTHING_TO_READ.some((r) => r.test(device.reason))) return null;
    return `GPU: unknown (${device.reason})`;
  }
  const { index, name, modelOnGpu } = device.value;
  const label = `${modelOnGpu ? `cuda:${index}` : `GPU ${index}`}${name ? ` (${name})` : ''}`;
  const others = signals.gpuOthers.available ? `others ${Math.round(signals.gpuOthers.value * 100)}%` : 'others unknown';
  if (!modelOnGpu) return `${label}: ${others} · the model runs on the CPU`;
  const m = signals.gpuMemory.available ? signals.gpuMemory.value : null;
  const memory = m ? `, ${(m.freeMiB / 1024).toFixed(1)} of ${(m.totalMiB / 1024).toFixed(1)} GiB free` : '';
  return `${label}: ${others}${memory}`;
}
