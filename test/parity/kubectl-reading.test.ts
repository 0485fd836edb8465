/**
 * The parity tests read Helm's and kasane's YAML with the `yaml` package. This test takes the reader out of
 * the question: Helm's output is read by the real kubectl (sigs.k8s.io/yaml, what the API machinery uses)
 * and compared with the objects kasane itself prints with `-o json`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { useDevcluster } from '../support/devcluster.js';
import { helmTemplate } from '../support/helm.js';
import { projectRoot, runCli } from '../support/cli.js';
import { collectManifests, compareRenders, stripKasaneLabels } from './manifests.js';

const fixtures = join(projectRoot, 'test', 'parity', 'fixtures');
const repo = join(fixtures, 'repo');

/** kubectl prints one JSON document per object, back to back. */
function parseJsonStream(text: string): unknown[] {
  const docs: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) docs.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return docs;
}

describe('kasane -o json against Helm output as kubectl reads it', () => {
  const getCluster = useDevcluster();

  it('gives the same objects for the parity environment', async () => {
    const cluster = getCluster();
    const env = parse(readFileSync(join(repo, 'environments', 'parity.yaml'), 'utf8'), { version: '1.1' }) as {
      values: unknown;
      releases: { name: string; namespace: string; valuesFiles: string[]; values: unknown }[];
    };
    const release = env.releases[0]!;
    const files = [
      cluster.writeFile('environment.yaml', stringify(env.values, { version: '1.1' })),
      ...release.valuesFiles.map((file) => join(repo, file)),
      cluster.writeFile('release.yaml', stringify(release.values, { version: '1.1' })),
    ];
    const helmYaml = await helmTemplate(release.name, join(fixtures, 'helm', 'shop'), { namespace: release.namespace, valuesFiles: files });
    const read = await cluster.kubectl(['create', '--dry-run=client', '-o', 'json', '-f', cluster.writeFile('helm.yaml', helmYaml)]);
    expect(read.code, read.stderr).toBe(0);
    const fromKubectl = collectManifests(parseJsonStream(read.stdout));

    const kasane = await runCli(['render', '--env', 'parity', '-o', 'json', '--show-secrets'], { repoRoot: repo });
    expect(kasane.code, kasane.stderr).toBe(0);
    const fromKasane = collectManifests(JSON.parse(kasane.stdout));

    expect(fromKubectl.length).toBeGreaterThan(5);
    const differences = compareRenders(fromKubectl, fromKasane);
    expect(differences, differences.join('\n')).toEqual([]);
  }, 120_000);

  it('prints YAML that kubectl reads back as the objects kasane prints with -o json', async () => {
    const cluster = getCluster();
    const yamlOut = await runCli(['render', '--env', 'parity', '-o', 'yaml'], { repoRoot: repo });
    const jsonOut = await runCli(['render', '--env', 'parity', '-o', 'json'], { repoRoot: repo });
    expect(yamlOut.code, yamlOut.stderr).toBe(0);
    expect(jsonOut.code, jsonOut.stderr).toBe(0);
    const read = await cluster.kubectl(['create', '--dry-run=client', '-o', 'json', '-f', cluster.writeFile('kasane.yaml', yamlOut.stdout)]);
    expect(read.code, read.stderr).toBe(0);
    const fromKubectl = collectManifests(parseJsonStream(read.stdout));
    const fromKasane = collectManifests(JSON.parse(jsonOut.stdout));
    expect(fromKubectl.length).toBe(fromKasane.length);
    // Both sides are kasane's: its labels are expected on both.
    const differences = compareRenders(fromKubectl.map(stripKasaneLabels), fromKasane);
    expect(differences, differences.join('\n')).toEqual([]);
  }, 120_000);
});
