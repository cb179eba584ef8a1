// The real CommandRunner and sysfs readers. Probes take these as defaults; tests never use them.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

import type { CommandRunner, DirectoryLister, TextFileReader } from './probe.js';

export const runCommand: CommandRunner = (command, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    // windowsHide: a console window flashing every poll would be worse than no probe at all.
    execFile(command, [...args], { timeout: timeoutMs, windowsHide: true, encoding: 'utf8', maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) {
        // Keep the program's own words: "NVIDIA-SMI has failed because it couldn't communicate..."
        const said = firstLine(stdout) || firstLine(stderr);
        if (said && (error as NodeJS.ErrnoException).code !== 'ENOENT') error.message = `${error.message.split('\n')[0]}: ${said}`;
        reject(error);
      } else {
        resolve(stdout);
      }
    });
  });

export const readTextFile: TextFileReader = async (path) => {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
};

export const listDirectory: DirectoryLister = async (path) => {
  try {
    return await readdir(path);
  } catch {
    return [];
  }
};

function firstLine(text: string | undefined): string {
  return (text ?? '').trim().split('\n')[0]?.trim() ?? '';
}

/** A one-line description of why a command failed, for an Unavailable reason. */
export function describeCommandError(command: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return `${command} not found`;
  if ((error as { killed?: boolean } | undefined)?.killed) return `${command} timed out`;
  const message = error instanceof Error ? error.message : String(error);
  return `${command} failed: ${message.split('\n')[0]}`;
}
