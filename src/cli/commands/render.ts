import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/** `kasane render`: placeholder until the render pipeline lands (keeps the build green). */
export function registerRender(program: Command, _ctx: CliContext, _done: (code: number) => void): void {
  program.command('render').description('render the manifests of an environment');
}
