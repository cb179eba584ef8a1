// The error `colm grow` throws for a growth it cannot do (a width that would not be whole, an output
// path it must not write). Like CheckpointError, the message is one line that names the checkpoint,
// the config key and the FORMAT.md rule, so the CLI can print it as-is (exit status 1).

export class GrowError extends Error {
  constructor(
    readonly source: string,
    readonly rule: string,
    readonly key?: string,
  ) {
    super(`${source}: ${key === undefined ? '' : `key ${JSON.stringify(key)}: `}${rule}`);
    this.name = 'GrowError';
  }
}
