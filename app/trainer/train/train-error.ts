// Bad input to `colm train` (a missing file, a config that does not fit the tokenizer, a corpus
// too small for one window): one line naming what is wrong; the CLI exits 1.
export class TrainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainError';
  }
}
