import type { RenderedEnvironment } from '../model/rendered.js';
import { toHelmYaml } from '../yaml/write.js';

/** One YAML document as `helm template` prints it: `---`, a `# Source:` line, the object. */
function document(template: string, object: unknown): string {
  const yaml = toHelmYaml(object);
  let end = yaml.length;
  while (end > 0 && yaml.charCodeAt(end - 1) === 0x0a) end--;
  return `---\n# Source: ${template}\n${end === yaml.length ? yaml : yaml.slice(0, end)}\n`;
}

/** The YAML stream of `kasane render`: every release in environment order, objects in apply order. */
export function toYamlStream(env: RenderedEnvironment): string {
  return [...yamlStreamChunks(env)].join('');
}

/** Characters of YAML handed out at a time by yamlStreamChunks. */
const CHUNK = 64 * 1024;

/**
 * The same stream in pieces of about 64 KB, for writing as it is made: the documents of a large
 * environment are not all kept until the end, nor joined into one string.
 */
export function* yamlStreamChunks(env: RenderedEnvironment): Generator<string> {
  let chunk = '';
  for (const release of env.releases) {
    for (const o of release.objects) {
      chunk += document(o.template, o.object);
      if (chunk.length >= CHUNK) {
        yield chunk;
        chunk = '';
      }
    }
  }
  if (chunk !== '') yield chunk;
}

/** `-o json`: one JSON list of every object, keys sorted, two-space indent. */
export function toJsonList(env: RenderedEnvironment): string {
  const objects = env.releases.flatMap((r) => r.objects.map((o) => o.object));
  return `${JSON.stringify(objects, sortKeys, 2)}\n`;
}

function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(record).sort().map((k) => [k, record[k]]));
}

/**
 * `--output-dir`: the layout of `helm template --output-dir DIR --release-name`, one file per template
 * holding its objects: `<release>/<chart>/templates/<file>`. Returns relative path → content.
 */
export function toOutputFiles(env: RenderedEnvironment): Map<string, string> {
  const files = new Map<string, string>();
  for (const release of env.releases) {
    for (const o of release.objects) {
      const inChart = o.template.replace(/^charts\//, '');
      const path = `${release.name}/${inChart}`;
      files.set(path, (files.get(path) ?? '') + document(o.template, o.object));
    }
  }
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
