/**
 * `kasane diff` colours its output only on a terminal, and never with --no-color or NO_COLOR
 * (offline diff of a real Git repository, the CLI's main() with a terminal-like stdout).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

let repo: string;
const write = (path: string, text: string): void => {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  writeFileSync(join(repo, path), text);
};

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'kasane-accept-color-'));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo });
  git('init', '-q', '-b', 'main');
  write('charts/app/Chart.yaml', 'name: app\nversion: 0.1.0\n');
  write('charts/app/values.yaml', 'mode: blue\n');
  write('charts/app/templates/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: {{ Values.mode }}\n');
  write('environments/dev.yaml', 'releases:\n  - name: app\n    chart: app\n    namespace: shop\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'blue');
  write('charts/app/values.yaml', 'mode: green\n');
});

afterAll(() => rmSync(repo, { recursive: true, force: true }));

async function diff(tty: boolean, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<string> {
  let text = '';
  const stdout = Object.assign(
    new Writable({
      write(chunk: Buffer | string, _e, cb) {
        text += chunk.toString();
        cb();
      },
    }),
    tty ? { isTTY: true } : {},
  );
  const stderr = new Writable({ write: (_c, _e, cb) => cb() });
  const code = await main(['node', 'kasane', '--repo-root', repo, ...extra, 'diff', '--env', 'dev', '--from', 'HEAD'], { stdout, stderr, env });
  expect(code).toBe(0);
  return text;
}

describe('kasane diff colour', () => {
  it('colours added and removed lines on a terminal only', async () => {
    const coloured = await diff(true);
    expect(coloured).toContain('\u001b[');
    expect(coloured).toMatch(/\u001b\[\d+m\+\s+mode: green/);
    const plain = await diff(false);
    expect(plain).not.toContain('\u001b[');
    expect(plain).toContain('+  mode: green');
  });

  it('never with --no-color or NO_COLOR', async () => {
    expect(await diff(true, ['--no-color'])).not.toContain('\u001b[');
    expect(await diff(true, [], { NO_COLOR: '1' })).not.toContain('\u001b[');
  });
});
