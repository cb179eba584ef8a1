// The devices this process can run a model on: the CPU always, CUDA devices when the optional
// backend library (native/src/cuda, beside the addon) loads and finds a driver and a GPU.
// Without one, `cudaReason` says why in one line ("no NVIDIA driver: libcuda.so.1 was not found").
import { loadAddon, type NativeCudaDevice, type NativeCudaProbe } from './native.js';

export type CudaDevice = NativeCudaDevice;

export interface DeviceList {
  cuda: CudaDevice[];
  /** Why `cuda` is empty; null when it is not. */
  cudaReason: string | null;
  libraryPath: string | null;
  libraryVersion: string | null;
  driverVersion: number;
}

export function deviceListOf(probe: NativeCudaProbe): DeviceList {
  return {
    cuda: probe.devices,
    cudaReason: probe.devices.length > 0 ? null : (probe.reason ?? 'no CUDA device'),
    libraryPath: probe.libraryPath || null,
    libraryVersion: probe.libraryVersion,
    driverVersion: probe.driverVersion,
  };
}

/** The devices, asked of the addon once per call (free memory changes). */
export function listDevices(libraryPath?: string): DeviceList {
  const addon = loadAddon();
  if (typeof addon.cudaDevices !== 'function') {
    return { cuda: [], cudaReason: 'the CUDA backend was not built (this addon has no cudaDevices)', libraryPath: null, libraryVersion: null, driverVersion: 0 };
  }
  return deviceListOf(libraryPath === undefined ? addon.cudaDevices() : addon.cudaDevices(libraryPath));
}

/** "13.0" from 13000. */
export function cudaVersionText(v: number): string {
  return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}
