import { Option, type Command } from 'commander';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SecretMasker } from '../../diff/mask.js';
import { KasaneError } from '../../errors.js';
import type { RenderedEnvironment } from '../../model/rendered.js';
import { toJsonList, toOutputFiles, yamlStreamChunks } from '../../render/output.js';
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
  showSecrets: boolean;
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
    .option('--show-secrets', 'print the values of Secrets (masked by default, as in kasane diff)', false)
    .action((flags: RenderFlags) => {
      const overrides: ValueOverrides = { valuesFiles: readValuesFiles(flags.values), set: sets };
      const { environment: rendered, masked } = withSecretsMasked(
        renderEnvironment({
          repoRoot: ctx.globals().repoRoot,
          environment: flags.env,
          releases: flags.release,
          overrides,
        }),
        !flags.showSecrets,
      );
      if (flags.outputDir !== undefined) {
        if (flags.output !== 'yaml') throw new KasaneError('--output-dir writes YAML files; drop -o json or --output-dir');
        for (const [path, content] of toOutputFiles(rendered)) {
          const target = join(flags.outputDir, path);
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, content);
          ctx.stdout.write(`wrote ${target}\n`);
        }
      } else {
        if (flags.output === 'json') ctx.stdout.write(toJsonList(rendered));
        else for (const chunk of yamlStreamChunks(rendered)) ctx.stdout.write(chunk);
      }
      if (masked > 0) {
        const values = masked === 1 ? '1 Secret value' : `${masked} Secret values`;
        ctx.stderr.write(`kasane: ${values} masked; pass --show-secrets to print them (e.g. to pipe into kubectl apply)\n`);
      }
      done(ExitCode.Ok);
    });
}

/**
 * The environment with every Secret's `data` and `stringData` values replaced by `*** value N ***`
 * (numbered per key, so equal values share a mask), and how many values were masked.
 */
function withSecretsMasked(env: RenderedEnvironment, mask: boolean): { environment: RenderedEnvironment; masked: number } {
  if (!mask) return { environment: env, masked: 0 };
  const masker = new SecretMasker();
  const releases = env.releases.map((release) => ({
    ...release,
    objects: release.objects.map((o) => {
      const object = masker.mask(o.object);
      return object === o.object ? o : { ...o, object };
    }),
  }));
  return { environment: { ...env, releases }, masked: masker.masked };
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
