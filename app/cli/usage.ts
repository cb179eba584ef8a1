// Usage errors (exit 2) apart from input errors (exit 1), and the help text.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const HELP = `colm: run Chain-of-Model language models

Usage:
  colm info [MODEL] [--json] [--context N] [--kv-type T] [--device auto|cpu|cuda[:N]]
           what the model holds, the context a session gets with its KV cache memory, the
           devices (CUDA: VRAM free) and the GPU memory plan per chain count
  colm run [MODEL] "prompt" [--chains K] [--max-tokens N] [--temperature T] [--top-k K]
           [--top-p P] [--min-p P] [--repeat-penalty R] [--seed S] [--threads N] [--chat]
           [--context N] [--kv-type T] [--device auto|cpu|cuda[:N]]
  colm chat [MODEL] [--chains K] [--threads N] [--temperature T] [--seed S] [--context N] [--kv-type T]
           [--device auto|cpu|cuda[:N]]
           sampling options left out take the model's generation_config.json values (then the engine's)
  colm serve [MODEL] [--port N] [--host 127.0.0.1] [--data-dir DIR] [--api-key KEY] [--max-queue N]
           [--context N] [--kv-type T] [--device auto|cpu|cuda[:N]] [--simulate-power FILE.json]
           the chat app in a browser, at http://127.0.0.1:4747 (--port 0: any free port), and an
           OpenAI-compatible API at /v1 (docs/API.md); --api-key (or COLM_API_KEY) makes /v1 ask
           for "Authorization: Bearer KEY"; --max-queue: requests that may wait (default 16);
           --simulate-power replays a battery/GPU timeline for the chain policy
           (app/policy/README.md) instead of reading this machine
  colm logits MODEL --tokens t0,t1,... [--prefill P] (--chains K | --schedule k,k,...) [--threads N]
           [--context N] (default: the tokens given) [--kv-type T] [--device auto|cpu|cuda[:N]]
  colm perplexity MODEL --corpus FILE... [--corpus-format text|brown] [--window 256] [--max-windows N]
           [--chains K] [--threads N] [--kv-type T] [--device auto|cpu|cuda[:N]] [--json]
           perplexity at every chain count (or K) on the same windows of the files' text: each file
           one document ended by EOS, windows of --window tokens that do not overlap
  colm tokenizer train --corpus FILE... --vocab N --out tokenizer.json [--config-out FILE]
           [--special TOKEN]... [--corpus-format text|brown]
  colm grow MODEL --add-chain C --out NEW.safetensors [--seed S] [--dtype F32|BF16|F16]
           append a chain of ratio C; the grown model first gives the old logits exactly
  colm train --config MODEL.json --tokenizer tokenizer.json --corpus FILE... --steps N --out DIR
           [--batch 8] [--seq-len 256] [--lr 2e-3] [--loss multi|full] [--freeze-chains K] ...
           train with the native trainer; --init MODEL starts from a checkpoint, --resume DIR
           continues a run; Ctrl-C saves DIR/model.safetensors first (app/trainer/train/README.md)
  colm quantize MODEL --out NEW.safetensors [--type q8_0|q4_0|q4_k] [--scale-dtype F16|F32]
           8-bit block quantization of the chain linears (docs/FORMAT-Q8.md)
  colm convert MODEL --out NEW.safetensors [--dequantize q8_0|bf16]
           write any checkpoint, a GGUF file above all, as one FORMAT.md *.safetensors file with
           the same logits; GGUF Q8_0, Q4_0 and Q5_0 become q8_0 exactly, other block types are
           dequantized and re-quantized to q8_0 (or BF16 with --dequantize bf16)

--context N: the positions a session holds. Without it: what the model allows
(max_position_embeddings; 4096 when its config names none) and half of the free memory beside
the weights holds, at least 256. Above max_position_embeddings it is refused (exit 1).

--kv-type f32|bf16|f16|q8_0: how the KV cache stores keys and values (default bf16: half of f32's
memory; q8_0: int8 with an F16 scale per 32 values, 0.27 of f32; f32: the exact reference). The
error each adds is in docs/BENCHMARKS.md; --context's default grows as the cache shrinks.

Every command that runs a model (info, run, chat, logits, perplexity, serve) takes --device auto|cpu|cuda[:N]:
auto (the default) uses a CUDA GPU when the CUDA backend is built, a driver and a GPU are
present and the model fits its free memory (colm info shows the plan per chain count), else the
CPU; --device cuda[:N] insists (exit 1 with the reason when it cannot), --device cpu never asks.
Until the CUDA backend has passed its GPU check, auto keeps the CPU and --device cuda says so.
A CUDA session keeps a bf16 KV cache only: --kv-type f32|f16|q8_0 with --device cuda is an error
naming both ways out, and auto with one of them keeps the CPU, saying why.

Every command that runs a model takes --kernels NAME (e.g. avx2, scalar, or the opt-in BF16
precision mode avx512-bf16: decode activations rounded to BF16 for the AVX512-BF16 dot product).

MODEL is a checkpoint folder, a single *.safetensors file (see FORMAT.md) or a *.gguf file of
architecture llama, mistral, qwen2 or qwen3 (converted on load, said in one line); without it the
default model that ships in models/ is used.
Exit status: 0 on success, 1 on bad input (the message names the file and the rule), 2 on bad usage.
`;
