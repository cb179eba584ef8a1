// Untrusted input that breaks a rule: the message names the field and what it must be. Each face
// turns it into its own answer (the server: a 400; Electron's main process: a rejected IPC call).
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInput';
  }
}
