import { Option, type Command } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { KasaneError } from '../../errors.js';
import { toJsonList, toOutputFiles, toYamlStream } from '../../render/output.js';
import { renderEnvironment } from '../../render/render.js';
import type { ValueOverrides } from '../../render/values.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit.js';

interface RenderFlags {
  env: string;
  release: string[];
  values: string[];
  outputDir?: string;
  output: 'yaml' | 'json';
}

/** `kasane render`: the manifests of an environment, as the cluster would get them. */
export function registerRender(program: Command, ctx: CliContext, done: (code: number) => void): void {
  // --set and --set-string apply in the order they were typed, interleaved: one list for both.
  const sets: { expression: string; asString: boolean }[] = [];
  program
    .command('render')
    .description('render the manifests of an environment (nothing is sent to a cluster)')
    .requiredOption('--env <env>', 'environment: environments/<env>.yaml')
    .option('--release <name>', 'only this release (repeatable)', collect, [])
    .option('--values <file>', 'values file applied over the environment\'s (repeatable, in order)', collect, [])
    .option('--set <key=value>', 'set a value, e.g. image.tag=1.2.3 (repeatable, in order)', (v: string) => {
      sets.push({ expression: v, asString: false });
    })
    .option('--set-string <key=value>', 'set a value, always as a string (repeatable, in order)', (v: string) => {
      sets.push({ expression: v, asString: true });
    })
    .option('--output-dir <dir>', 'write one file per template under DIR/<release>/<chart>/templates/ instead of printing')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action((flags: RenderFlags) => {
      const overrides: ValueOverrides = { valuesFiles: readValuesFiles(flags.values), set: sets };
      const rendered = renderEnvironment({
        repoRoot: ctx.globals().repoRoot,
        environment: flags.env,
        releases: flags.release,
        overrides,
      });
      if (flags.outputDir !== undefined) {
        if (flags.output !== 'yaml') throw new KasaneError('--output-dir writes YAML files; drop -o json or --output-dir');
        for (const [path, content] of toOutputFiles(rendered)) {
          const target = join(flags.outputDir, path);
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, content);
          ctx.stdout.write(`wrote ${target}\n`);
        }
      } else {
        ctx.stdout.write(flags.output === 'json' ? toJsonList(rendered) : toYamlStream(rendered));
      }
      done(ExitCode.Ok);
    });
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--values FILE`: read from the current directory, named as typed in messages. */
export function readValuesFiles(files: readonly string[]): { name: string; text: string }[] {
  return files.map((name) => {
    try {
      return { name, text: readFileSync(resolve(name), 'utf8') };
    } catch {
      throw new KasaneError(`--values ${name}: cannot read the file`, { hint: 'the path is relative to the current directory' });
    }
  });
}
