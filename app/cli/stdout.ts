// The end of a pipe: `colm logits ... | head` closes our stdout after a few lines. Node then
// reports EPIPE as an error event on process.stdout, which, unhandled, prints a stack trace and
// exits 1. A reader that has seen enough is no failure: stop at once, quietly, with exit 0.

type Exit = (code: number) => void;

/** Makes a closed stdout (EPIPE) end the process with exit 0, and a closed stderr be ignored. */
export function endQuietlyWhenPipeCloses(
  stdout: NodeJS.WriteStream | NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WriteStream | NodeJS.WritableStream = process.stderr,
  exit: Exit = (code) => process.exit(code),
): void {
  stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') {
      exit(0);
      return;
    }
    try {
      stderr.write(`colm: cannot write the output: ${error.message}\n`);
    } finally {
      exit(1);
    }
  });
  // Nobody reads our messages any more: nothing to say, and nobody to say it to.
  stderr.on('error', () => undefined);
}
