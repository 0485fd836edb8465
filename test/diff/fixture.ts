/**
 * A small kasane repository in a temp dir: one chart (Deployment, Service, ConfigMap, Secret, an
 * optional extra ConfigMap, an optional custom resource) and an environment whose values the tests
 * change, rendered by the real render pipeline.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { ClusterClient } from '../../src/cluster/index.js';
import { desiredObjects } from '../../src/diff/index.js';
import type { RenderedEnvironment } from '../../src/model/rendered.js';
import { renderEnvironment } from '../../src/render/render.js';

export const CHART_FILES: Record<string, string> = {
  'charts/web/Chart.yaml': 'name: web\nversion: 0.1.0\nappVersion: "1.0"\n',
  'charts/web/values.yaml': stringify({
    replicas: 2,
    image: 'nginx:1.27',
    ports: [80, 9090],
    greeting: 'hello',
    password: 'hunter2-original',
    extra: false,
    widget: false,
    widgetCrd: false,
  }),
  'charts/web/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {{Values.replicas}}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: {{Values.image}}
          ports:
{{#each Values.ports}}
            - containerPort: {{this}}
{{/each}}
`,
  'charts/web/templates/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
`,
  'charts/web/templates/config.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: greeting
data:
  greeting: {{quote Values.greeting}}
{{#if Values.extra}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: extra
data:
  added: "yes"
{{/if}}
`,
  'charts/web/templates/secret.yaml': `apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
data:
  password: {{b64enc Values.password}}
  user: {{b64enc "shop"}}
`,
  'charts/web/templates/widget.yaml': `{{#if Values.widgetCrd}}
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    kind: Widget
    plural: widgets
    singular: widget
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
---
{{/if}}
{{#if Values.widget}}
apiVersion: example.com/v1
kind: Widget
metadata:
  name: gizmo
spec:
  size: 3
{{/if}}
`,
};

export interface Repo {
  readonly root: string;
  /** Writes environments/dev.yaml with these release values (and environment-level extras). */
  setEnvironment(values: Record<string, unknown>, extra?: Record<string, unknown>): void;
  render(): RenderedEnvironment;
  write(path: string, content: string): void;
  dispose(): void;
}

export function makeRepo(opts: { namespace?: string; createNamespace?: boolean; root?: string } = {}): Repo {
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'kasane-diff-repo-'));
  const write = (path: string, content: string): void => {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  };
  for (const [path, content] of Object.entries(CHART_FILES)) write(path, content);
  const setEnvironment = (values: Record<string, unknown>, extra: Record<string, unknown> = {}): void => {
    write(
      'environments/dev.yaml',
      stringify({
        releases: [{ name: 'web', chart: 'web', namespace: opts.namespace ?? 'shop', createNamespace: opts.createNamespace ?? true, values }],
        ...extra,
      }),
    );
  };
  setEnvironment({});
  return {
    root,
    setEnvironment,
    render: () => renderEnvironment({ repoRoot: root, environment: 'dev' }),
    write,
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Applies what a sync would (namespace first), with kasane's cluster layer. */
export async function applyEnvironment(client: ClusterClient, env: RenderedEnvironment): Promise<void> {
  for (const d of desiredObjects(env.releases, { includeHooks: false })) {
    await client.apply(d.object, { force: true });
  }
}
