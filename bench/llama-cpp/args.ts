// The flags the llama.cpp bench scripts share: --threads N --prompt-tokens N --decode-tokens N
// --rounds N --json, and positional arguments.
import { DEFAULT_SPEED_OPTIONS, type SpeedOptions } from './protocol.js';

export interface BenchArgs extends SpeedOptions {
  json: boolean;
  positional: string[];
  /** Flags given more than once (e.g. --threads 1 --threads 2), in order. */
  threadList: number[];
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const out: BenchArgs = { ...DEFAULT_SPEED_OPTIONS, json: false, positional: [], threadList: [] };
  const count = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer, got ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') out.json = true;
    else if (a === '--threads') out.threadList.push(count(a, argv[++i]));
    else if (a === '--prompt-tokens') out.promptTokens = count(a, argv[++i]);
    else if (a === '--decode-tokens') out.decodeTokens = count(a, argv[++i]);
    else if (a === '--rounds') out.rounds = count(a, argv[++i]);
    else if (a.startsWith('--')) throw new Error(`unknown flag ${a}`);
    else out.positional.push(a);
  }
  out.threads = out.threadList[0] ?? out.threads;
  return out;
}
