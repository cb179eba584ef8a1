// The one error type the checkpoint reader throws for bad input. Callers (the import dialog, the
// CLI, the engine host) show `message` as-is, so it must be one line that says which file, which
// tensor or config key, and which rule was broken; the fields let code react without parsing text.

export interface CheckpointErrorSubject {
  tensor?: string;
  key?: string;
}

// Names come from untrusted files: quote them (JSON escapes newlines and control characters, which
// keeps the message on one line) and cut very long ones so a hostile header cannot flood a log.
const MAX_NAME_CHARS = 200;

export function quoteName(name: string): string {
  const cut = name.length > MAX_NAME_CHARS ? `${name.slice(0, MAX_NAME_CHARS)}...` : name;
  return JSON.stringify(cut);
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

export class CheckpointError extends Error {
  readonly file: string;
  readonly tensor?: string;
  readonly key?: string;
  readonly rule: string;

  constructor(file: string, rule: string, subject: CheckpointErrorSubject = {}) {
    const parts = [oneLine(file)];
    if (subject.tensor !== undefined) parts.push(`tensor ${quoteName(subject.tensor)}`);
    if (subject.key !== undefined) parts.push(`key ${quoteName(subject.key)}`);
    parts.push(oneLine(rule));
    super(parts.join(': '));
    this.name = 'CheckpointError';
    this.file = file;
    this.rule = rule;
    if (subject.tensor !== undefined) this.tensor = subject.tensor;
    if (subject.key !== undefined) this.key = subject.key;
  }
}
