// Runs `colm serve` as a user would (bin/colm.js from the build) on a free port with its own
// data folder, and waits for the line that gives the address.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface ColmServe {
  url: string;
  dataDir: string;
  /** Process ids of the engine host(s) that `colm serve` forked. */
  hostPids(): number[];
  output(): string;
  stop(): Promise<void>;
}

/** Children of a process, from /proc (Linux, where the tests run). */
function childrenOf(parent: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) pids.push(Number(name));
    } catch {
      /* the process ended while we looked */
    }
  }
  return pids;
}

/** `extraArgs` go after the usual ones (e.g. ['--simulate-power', 'test/e2e/fixtures/power-on-ac.json']). */
export async function startColmServe(model: string | null, env: Record<string, string> = {}, extraArgs: string[] = []): Promise<ColmServe> {
  const dataDir = mkdtempSync(join(tmpdir(), 'colm-e2e-data-'));
  const args = [resolve('bin/colm.js'), 'serve', ...(model ? [resolve(model)] : []), '--port', '0', '--data-dir', dataDir, ...extraArgs];
  const child: ChildProcess = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`colm serve printed no address in 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /CoLM Desktop is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        done(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => fail(new Error(`colm serve exited with ${code}:\n${output}`)));
  });
  return {
    url,
    dataDir,
    hostPids: () => childrenOf(child.pid!),
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        await new Promise<void>((done) => {
          child.once('exit', () => done());
          child.kill('SIGTERM');
        });
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
