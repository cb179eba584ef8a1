// --device auto|cpu|cuda[:N] for the commands that run a model: the device a session gets, with
// its reason on stderr when --device was given (the default, auto, stays quiet unless it warns).
// An explicit CUDA device that cannot run the model is an error (exit 1) naming why.
import { parseDevice, type DeviceChoice, type DeviceName, type DeviceRequest } from '../engine/device-choice.js';
import type { DeviceList } from '../engine/devices.js';
import type { KvType } from '../engine/kv-type.js';
import type { Model } from '../engine/model.js';
import { UsageError } from './usage.js';

export function deviceOption(value: string | undefined): DeviceRequest | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDevice(value);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The choice for `model` at `contextSize` positions with a `kvType` cache; `devices` for tests. */
export function cliDeviceChoice(
  model: Pick<Model, 'chooseDevice'>,
  request: DeviceRequest | undefined,
  contextSize: number,
  kvType?: KvType,
  devices?: DeviceList,
): DeviceChoice {
  return model.chooseDevice(request ?? { kind: 'auto' }, { contextSize, kvType, devices });
}

/** Chooses, reports on `err`, and returns the device name for Model.createSession. */
export function cliDevice(
  model: Pick<Model, 'chooseDevice'>,
  request: DeviceRequest | undefined,
  contextSize: number,
  kvType: KvType | undefined,
  err: NodeJS.WritableStream,
): DeviceName {
  const choice = cliDeviceChoice(model, request, contextSize, kvType);
  if (request !== undefined) err.write(`device: ${choice.reason}\n`);
  if (choice.warning) err.write(`${choice.warning}\n`);
  return choice.device;
}
