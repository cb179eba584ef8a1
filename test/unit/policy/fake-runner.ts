// A CommandRunner that answers from recorded outputs, keyed by the command and its arguments,
// and remembers what it was asked.
import type { CommandRunner } from '../../../app/policy/probes/probe.js';

export type Answer = string | Error;

export function fakeRunner(answer: (command: string, args: readonly string[]) => Answer | undefined): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run: CommandRunner = async (command, args) => {
    calls.push([command, ...args].join(' '));
    const a = answer(command, args);
    if (a === undefined) throw Object.assign(new Error(`spawn ${command} ENOENT`), { code: 'ENOENT' });
    if (a instanceof Error) throw a;
    return a;
  };
  return Object.assign(run, { calls });
}

export const missingBinary = () => undefined;
