// Prefill and decode speed of llama.cpp (node-llama-cpp, CPU only) on a GGUF, by the shared protocol.
import { getCpuLlama, nodeLlamaCppVersion } from './node-llama-cpp.js';
import { bestRates, timeRound, type SpeedOptions, type SpeedResult } from './protocol.js';

export interface LlamaCppSpeed extends SpeedResult {
  llamaCppVersion: string;
}

export async function measureLlamaCpp(ggufPath: string, opts: SpeedOptions): Promise<LlamaCppSpeed> {
  const llama = await getCpuLlama();
  const model = await llama.loadModel({ modelPath: ggufPath, gpuLayers: 0 });
  const context = await model.createContext({
    contextSize: opts.promptTokens + opts.decodeTokens + 8,
    // The whole prompt in one batch, as our engine reads it.
    batchSize: opts.promptTokens,
    sequences: 1,
    threads: { ideal: opts.threads, min: opts.threads },
  });
  const sequence = context.getSequence();
  try {
    const result = await bestRates(opts, async () => {
      await sequence.clearHistory();
      // evaluate() reads the tokens, samples one (greedy at temperature 0) and yields it; each
      // next() evaluates the token it yielded and yields the following one.
      let generator: AsyncGenerator<number, void, void | number> | null = null;
      const pull = async () => {
        const next = await generator!.next();
        if (next.done) throw new Error('llama.cpp stopped generating');
        return next.value;
      };
      try {
        return await timeRound(
          opts,
          async (prompt) => {
            generator = sequence.evaluate(prompt, { temperature: 0 });
            return pull();
          },
          () => pull(),
        );
      } finally {
        await (generator as AsyncGenerator<number, void, void | number> | null)?.return();
      }
    });
    const release = llama.llamaCppRelease;
    return { ...result, llamaCppVersion: `${release.repo}@${release.release} (node-llama-cpp ${nodeLlamaCppVersion()}, ${llama.buildType})` };
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
}
