// node dist/bench/llama-cpp/run.js MODEL.gguf [--threads N] [--prompt-tokens 128] [--decode-tokens 64]
//   [--rounds 2] [--json]
// llama.cpp's prefill and decode tokens/s on a GGUF, CPU only. Runs in its own process so that
// llama.cpp's threads never share the machine with our engine's while either is timed.
import { parseBenchArgs } from './args.js';
import { measureLlamaCpp } from './measure-llama-cpp.js';

const args = parseBenchArgs(process.argv.slice(2));
const [model] = args.positional;
if (!model) {
  console.error('usage: node dist/bench/llama-cpp/run.js MODEL.gguf [--threads N] [--prompt-tokens N] [--decode-tokens N] [--rounds N] [--json]');
  process.exit(2);
}
const r = await measureLlamaCpp(model, args);
// maxRSS is in KiB: the process's peak resident set, mapped weight pages included (memory.js).
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
if (args.json) {
  console.log(JSON.stringify({ ...r, peakRssMiB }));
} else {
  console.log(`llama.cpp ${r.llamaCppVersion}, ${r.threads} thread(s)`);
  console.log(`prefill ${r.prefillTokensPerSecond.toFixed(1)} tokens/s (${args.promptTokens} tokens)`);
  console.log(`decode  ${r.decodeTokensPerSecond.toFixed(1)} tokens/s (${args.decodeTokens} tokens)`);
  console.log(`peak resident memory ${peakRssMiB.toFixed(1)} MiB`);
}
