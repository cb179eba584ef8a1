// What the engine knows about this machine, and the process-wide choice of kernel variant
// (the faces expose it as `--kernels NAME`; "avx512-bf16" is the opt-in BF16 precision mode).
import { loadAddon } from './native.js';

export function engineSystemInfo() {
  return loadAddon().systemInfo();
}

/** Picks a kernel variant by name for every session of this process; throws a clear error when
 *  this CPU cannot run it, listing the ones it can. */
export function setKernelVariant(name: string): void {
  const info = engineSystemInfo();
  const known = [...(info.kernelsAvailable ?? []), ...(info.kernelsOptIn ?? [])];
  if (!known.includes(name)) throw new Error(`kernel variant "${name}" is not available on this CPU (available: ${known.join(', ')})`);
  loadAddon().setKernels(name);
}
