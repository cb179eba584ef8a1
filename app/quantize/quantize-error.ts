// The error `colm quantize` throws for a checkpoint or an output it cannot quantize (an already
// quantized model, an F16 scale that would overflow, an output path it must not write). One line
// naming the checkpoint (and the tensor) and the rule, so the CLI prints it as-is (exit status 1).

export class QuantizeError extends Error {
  constructor(
    readonly source: string,
    readonly rule: string,
    readonly tensor?: string,
  ) {
    super(`${source}: ${tensor === undefined ? '' : `tensor ${JSON.stringify(tensor)}: `}${rule}`);
    this.name = 'QuantizeError';
  }
}
