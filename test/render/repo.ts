/** Temporary repositories (charts/ and environments/) written from a file map, for render tests. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { renderEnvironment, tryRenderEnvironment, type RenderRequest } from '../../src/render/render.js';
import type { KasaneError } from '../../src/errors.js';
import type { RenderedEnvironment } from '../../src/model/rendered.js';

export function writeRepo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'kasane-render-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

export const chartYaml = (name = 'app'): string => `name: ${name}\nversion: 1.0.0\nappVersion: "2.1"\n`;

/** One environment `test` with one release `web` of chart `app` in namespace `shop`. */
export function oneRelease(extra = ''): string {
  return `releases:\n  - name: web\n    chart: app\n    namespace: shop\n${extra}`;
}

export function render(root: string, request: Partial<RenderRequest> = {}): RenderedEnvironment {
  return renderEnvironment({ repoRoot: root, environment: 'test', ...request });
}

/** The problems of a render that must fail, as their messages. */
export function problemsOf(root: string, request: Partial<RenderRequest> = {}): string[] {
  const outcome = tryRenderEnvironment({ repoRoot: root, environment: 'test', ...request });
  if (outcome.ok) throw new Error('expected the render to fail, it succeeded');
  return outcome.problems.map((p: KasaneError) => p.message);
}

export function objectsOf(env: RenderedEnvironment): Record<string, unknown>[] {
  return env.releases.flatMap((r) => r.objects.map((o) => o.object as unknown as Record<string, unknown>));
}
