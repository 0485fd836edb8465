/**
 * The example pipelines under examples/ci/ are complete: each is valid YAML and does the four things
 * docs/ci.md promises (lint on every push, the preview on pull requests, the --detailed-exitcode gate,
 * sync on merge). scripts/ci-examples.sh (run by .ci/run) executes their kasane lines; this checks that
 * it finds them all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const examples = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'ci');

function read(path: string): { text: string; doc: Record<string, unknown> } {
  const text = readFileSync(join(examples, path), 'utf8');
  return { text, doc: parse(text) as Record<string, unknown> };
}

/** The lines scripts/ci-examples.sh runs: those starting with `kasane ` (or `- kasane `). */
function kasaneLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => /^\s*(- )?kasane /.test(line))
    .map((line) => line.replace(/^\s*(- )?/, ''));
}

describe('GitHub Actions examples', () => {
  const files = readdirSync(join(examples, 'github')).filter((f) => f.endsWith('.yml'));

  it('are workflows: a trigger and jobs with steps', () => {
    expect(files.sort()).toEqual(['kasane-deploy.yml', 'kasane-lint.yml', 'kasane-preview.yml']);
    for (const file of files) {
      const { doc } = read(`github/${file}`);
      expect(doc['on'], file).toBeDefined();
      const jobs = doc['jobs'] as Record<string, { steps?: unknown[] }>;
      expect(Object.keys(jobs).length, file).toBeGreaterThan(0);
      for (const job of Object.values(jobs)) expect(Array.isArray(job.steps), file).toBe(true);
    }
  });

  it('lint on every push, preview on pull requests, gate and sync on merge to main', () => {
    const lint = read('github/kasane-lint.yml');
    expect(Object.keys(lint.doc['on'] as object)).toEqual(expect.arrayContaining(['push', 'pull_request']));
    expect(kasaneLines(lint.text)).toContain('kasane lint --all-envs');

    const preview = read('github/kasane-preview.yml');
    expect(Object.keys(preview.doc['on'] as object)).toEqual(['pull_request']);
    expect(kasaneLines(preview.text)).toContain('kasane diff --env "$KASANE_ENV" --from "$BASE_REF" -o markdown > kasane-preview.md');
    expect(preview.text).toContain('path: kasane-preview.md');

    const deploy = read('github/kasane-deploy.yml');
    expect((deploy.doc['on'] as { push: { branches: string[] } }).push.branches).toEqual(['main']);
    const lines = kasaneLines(deploy.text);
    expect(lines.some((l) => l.startsWith('kasane diff ') && l.includes('--detailed-exitcode'))).toBe(true);
    expect(lines).toContain('kasane sync --env "$KASANE_ENV"');
  });
});

describe('GitLab CI example', () => {
  const { text, doc } = read('gitlab/.gitlab-ci.yml');

  it('has the stages and jobs of docs/ci.md', () => {
    expect(doc['stages']).toEqual(['lint', 'preview', 'plan', 'sync']);
    for (const job of ['lint', 'render', 'preview', 'plan', 'sync']) expect(doc[job], job).toBeDefined();
    const preview = doc['preview'] as { rules: { if: string }[] };
    expect(preview.rules[0]?.if).toContain('merge_request_event');
  });

  it('runs the same kasane commands as the GitHub examples', () => {
    const lines = kasaneLines(text);
    expect(lines).toContain('kasane lint --all-envs');
    expect(lines).toContain('kasane diff --env "$KASANE_ENV" --from "$BASE_REF" -o markdown > kasane-preview.md');
    expect(lines.some((l) => l.includes('--detailed-exitcode'))).toBe(true);
    expect(lines).toContain('kasane sync --env "$KASANE_ENV"');
  });
});
