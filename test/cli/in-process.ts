/** Runs the CLI's main() in this process with captured streams: fast, for checking messages and exit codes. */
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

export async function kasane(args: readonly string[], repoRoot?: string): Promise<Captured> {
  const out = sink();
  const err = sink();
  const argv = ['node', 'kasane', ...(repoRoot === undefined ? [] : ['--repo-root', repoRoot]), ...args];
  const code = await main(argv, { stdout: out.stream, stderr: err.stream, env: {} });
  return { code, stdout: out.text(), stderr: err.text() };
}
