// The devices the engine host reports when it starts (its 'ready' event), for the settings'
// device choice: each CUDA device's index, name and memory, or the one-line reason there is none.
// Asking never throws: an addon that cannot answer is a reason too.
import { listDevices, type DeviceList } from '../engine/devices.js';
import type { DeviceSummary } from './protocol.js';

export function deviceSummary(list: () => DeviceList = listDevices): DeviceSummary {
  try {
    const devices = list();
    return {
      cuda: devices.cuda.map((d) => ({ index: d.index, name: d.name, totalBytes: d.totalBytes, freeBytes: d.freeBytes })),
      cudaReason: devices.cuda.length > 0 ? null : (devices.cudaReason ?? 'no CUDA device'),
    };
  } catch (error) {
    return { cuda: [], cudaReason: `the CUDA devices could not be listed: ${(error as Error).message}` };
  }
}
