// node dist/bench/llama-cpp/run-ours.js MODEL [--threads N] [--prompt-tokens 128] [--decode-tokens 64]
//   [--rounds 2] [--json]
// Our engine's prefill and decode tokens/s on a checkpoint or GGUF, by llama.cpp's protocol, in a
// process of its own (as run.js runs llama.cpp), so that its peak resident memory is the engine's
// alone: memory.js compares the two.
import { parseBenchArgs } from './args.js';
import { measureOurs } from './measure-ours.js';

const args = parseBenchArgs(process.argv.slice(2));
const [model] = args.positional;
if (!model) {
  console.error('usage: node dist/bench/llama-cpp/run-ours.js MODEL [--threads N] [--prompt-tokens N] [--decode-tokens N] [--rounds N] [--json]');
  process.exit(2);
}
const r = await measureOurs(model, args);
// maxRSS is in KiB: the process's peak resident set, mapped weight pages included.
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
if (args.json) {
  console.log(JSON.stringify({ ...r, peakRssMiB }));
} else {
  console.log(`ours (${r.kernels}), ${args.threads} thread(s)`);
  console.log(`prefill ${r.prefillTokensPerSecond.toFixed(1)} tokens/s (${args.promptTokens} tokens)`);
  console.log(`decode  ${r.decodeTokensPerSecond.toFixed(1)} tokens/s (${args.decodeTokens} tokens)`);
  console.log(`peak resident memory ${peakRssMiB.toFixed(1)} MiB`);
}
