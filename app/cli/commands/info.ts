// colm info: what a checkpoint holds, what each chain count costs, and the context a session gets
// (the default, or --context N) with the memory of its KV cache.
import { DEFAULT_KV_TYPE, type KvType } from '../../engine/kv-type.js';
import { gib, type DeviceRequest } from '../../engine/device-choice.js';
import { cudaVersionText, listDevices } from '../../engine/devices.js';
import { loadModel } from '../../engine/model.js';
import { cliContextPlan } from '../context.js';
import { cliDeviceChoice } from '../device.js';

const size = (b: number) => (b >= 2 ** 30 ? gib(b) : `${(b / 2 ** 20).toFixed(1)} MiB`);

export async function infoCommand(
  modelPath: string,
  json: boolean,
  out: NodeJS.WritableStream,
  context?: number,
  kvType: KvType = DEFAULT_KV_TYPE,
  device?: DeviceRequest,
): Promise<void> {
  const model = await loadModel(modelPath);
  try {
    const plan = cliContextPlan(model, context, kvType);
    const c = model.config;
    const w = model.widths;
    const devices = listDevices();
    const vramPlan = model.vramPlan(plan.context);
    let choice;
    try {
      choice = cliDeviceChoice(model, device, plan.context, kvType, devices);
    } catch (error) {
      choice = { device: 'none', reason: (error as Error).message };
    }
    const subModels = c.chains.map((_, i) => ({
      chains: i + 1,
      width: w.cumHidden[i + 1],
      heads: w.cumHeads[i + 1],
      ffn: w.cumFfn[i + 1],
      parameters: model.parameterCounts[i],
    }));
    const info = {
      path: model.path,
      packaging: model.plan.packaging,
      modelType: c.modelType,
      chains: c.chains,
      kvSharing: c.kvSharing,
      hiddenSize: c.hiddenSize,
      intermediateSize: c.intermediateSize,
      layers: c.numHiddenLayers,
      vocabSize: c.vocabSize,
      heads: c.numAttentionHeads,
      kvHeads: c.numKeyValueHeads,
      headDim: c.headDim,
      tiedEmbeddings: c.tieWordEmbeddings,
      dtypes: model.dtypes,
      ropeTheta: c.ropeTheta,
      ropeScaling: c.ropeScaling,
      mappedBytes: model.info().mappedBytes,
      kernels: model.info().kernels,
      context: { size: plan.context, default: context === undefined, limit: plan.limit, kvCacheBytes: plan.kvBytes, kvType },
      subModels,
      devices: {
        cuda: devices.cuda,
        cudaReason: devices.cudaReason,
        cudaLibrary: devices.libraryVersion,
        choice: { device: choice.device, reason: choice.reason },
        vramPlan,
      },
    };
    if (json) {
      out.write(JSON.stringify(info, null, 2) + '\n');
      return;
    }
    const lines = [
      `model       ${info.path} (${info.packaging})`,
      `type        ${info.modelType}${c.kvSharing ? ', CoLM-Air (KV cache shared by every chain count)' : ''}`,
      `chains      {${c.chains.join(', ')}}`,
      `layers      ${c.numHiddenLayers}, hidden ${c.hiddenSize}, ffn ${c.intermediateSize}, vocab ${c.vocabSize}`,
      `attention   ${c.numAttentionHeads} heads x ${c.headDim}, ${c.numKeyValueHeads} KV heads${c.kvSharing ? ' (from chain 1)' : ''}`,
      `weights     ${info.dtypes.join(', ')}, ${(info.mappedBytes / 2 ** 20).toFixed(1)} MiB mapped${c.tieWordEmbeddings ? ', tied LM head' : ''}`,
      `kernels     ${info.kernels}`,
      `context     ${plan.context} tokens${context === undefined ? ' (default)' : ''} · ${(plan.kvBytes / 2 ** 20).toFixed(1)} MiB KV cache (${kvType}); ` +
        (plan.limit === null ? 'the config names no limit' : `the model allows ${plan.limit}`),
      '',
      'chains  width  heads    ffn   parameters',
      ...subModels.map(
        (s) =>
          `${String(s.chains).padStart(6)} ${String(s.width).padStart(6)} ${String(s.heads).padStart(6)} ${String(s.ffn).padStart(6)} ${String(s.parameters).padStart(12)}`,
      ),
    ];
    lines.push(
      '',
      `cpu         always (kernels ${info.kernels})`,
      ...(devices.cuda.length === 0
        ? [`cuda        none: ${devices.cudaReason}`]
        : devices.cuda.map(
            (d) =>
              `cuda:${d.index}      ${d.name}, compute ${d.computeCapability}, ${gib(d.freeBytes)} of ${gib(d.totalBytes)} free, driver CUDA ${cudaVersionText(d.driverVersion)}`,
          )),
      `device      ${choice.reason}`,
      '',
      `GPU memory plan at ${plan.context} tokens (weights in their stored types, BF16 KV cache, workspace):`,
      'chains    weights   KV cache  workspace      total',
      ...vramPlan.map(
        (p) => `${String(p.chains).padStart(6)} ${size(p.weightBytes).padStart(10)} ${size(p.kvBytes).padStart(10)} ${size(p.workspaceBytes).padStart(10)} ${size(p.totalBytes).padStart(10)}`,
      ),
    );
    out.write(lines.join('\n') + '\n');
  } finally {
    model.dispose();
  }
}
