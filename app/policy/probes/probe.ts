// What every probe is: a source of some signals, read on demand. The ProbeSet polls probes and
// merges what they say; a probe reports only the signals it knows about and leaves the rest out.
import type { SignalName, Signals } from '../signals.js';

export interface Probe {
  /** Short and stable, shown in snapshots and reasons: "linux-power", "nvidia-smi". */
  readonly name: string;
  /**
   * The signals this probe can speak for. When read() throws or hangs, the ProbeSet marks these
   * unavailable with the error, so the UI says "nvidia-smi: timed out" rather than nothing.
   */
  readonly provides: readonly SignalName[];
  /**
   * How long the ProbeSet waits for read(), when this probe needs longer than the set's default
   * (a cold PowerShell start, two nvidia-smi calls in a row).
   */
  readonly timeoutMs?: number;
  /** Never needs to catch: the ProbeSet turns a throw or a hang into "unavailable". */
  read(): Promise<Partial<Signals>>;
}

/**
 * Runs a program and resolves with its standard output; rejects when it cannot start
 * (error.code 'ENOENT' when the binary is missing), exits non-zero, or runs past timeoutMs.
 * Injected into command-based probes so tests hand them recorded output instead.
 */
export type CommandRunner = (command: string, args: readonly string[], timeoutMs: number) => Promise<string>;

/** Reads a small text file (sysfs), or undefined when it does not exist or cannot be read. */
export type TextFileReader = (path: string) => Promise<string | undefined>;

/** Lists a directory's entry names, or [] when it does not exist. */
export type DirectoryLister = (path: string) => Promise<string[]>;
