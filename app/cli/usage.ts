// Usage errors (exit 2) apart from input errors (exit 1), and the help text.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const HELP = `colm: run Chain-of-Model language models

Usage:
  colm info [MODEL] [--json]
  colm run [MODEL] "prompt" [--chains K] [--max-tokens N] [--temperature T] [--top-k K]
           [--top-p P] [--min-p P] [--repeat-penalty R] [--seed S] [--threads N] [--chat]
  colm chat [MODEL] [--chains K] [--threads N] [--temperature T] [--seed S]
  colm logits MODEL --tokens t0,t1,... [--prefill P] (--chains K | --schedule k,k,...) [--threads N]

MODEL is a checkpoint folder or a single *.safetensors file (see FORMAT.md); without it the
default model that ships in models/ is used.
Exit status: 0 on success, 1 on bad input (the message names the file and the rule), 2 on bad usage.
`;
