/** Runs the kasane CLI in this process (the real command code, streams captured). */
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

export async function kasane(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const out = sink();
  const err = sink();
  const code = await main(['node', 'kasane', ...args], { stdout: out.stream, stderr: err.stream, env });
  return { code, stdout: out.text(), stderr: err.text() };
}
