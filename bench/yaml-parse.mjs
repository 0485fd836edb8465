// Compares YAML stream parsers on a synthetic rendered environment (Deployments, ConfigMaps, Services).
// Usage: npx tsx bench/yaml-parse.mjs [megabytes]
//   (set JSYAML5=/path/to/js-yaml@5/dist/js-yaml.mjs to compare js-yaml 5, which the project no longer uses)
import jsyaml from 'js-yaml';
import * as YAML from 'yaml';

const targetMb = Number(process.argv[2] ?? 10);

function deployment(i) {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-${i}
  namespace: shop
  labels:
    app.kubernetes.io/name: web-${i}
    app.kubernetes.io/managed-by: kasane
  annotations:
    checksum/config: 3f1c2a9b0d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8
spec:
  replicas: ${i % 5}
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      app.kubernetes.io/name: web-${i}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web-${i}
    spec:
      containers:
        - name: web
          image: "registry.example.com/shop/web:1.${i}.0"
          imagePullPolicy: IfNotPresent
          args: ["--port", "8080", "--verbose"]
          ports:
            - containerPort: 8080
              name: http
              protocol: TCP
          env:
            - name: FEATURE_FLAG
              value: "on"
            - name: RATIO
              value: "0.75"
          resources:
            limits: {cpu: 500m, memory: 256Mi}
            requests: {cpu: 100m, memory: 128Mi}
          readinessProbe:
            httpGet: {path: /healthz, port: http}
            initialDelaySeconds: 5
      securityContext:
        runAsNonRoot: true
        fsGroup: 2000
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-${i}-config
data:
  enabled: "true"
  app.properties: |
    server.port=8080
    feature.x=on
    greeting=hello world ${i}
---
`;
}

const parts = [];
let size = 0;
for (let i = 0; size < targetMb * 1024 * 1024; i++) {
  const d = deployment(i);
  parts.push(d);
  size += d.length;
}
const text = parts.join('');
const mb = text.length / 1024 / 1024;

async function time(name, fn) {
  fn(); // warm-up
  const runs = 3;
  const start = process.hrtime.bigint();
  let docs = 0;
  for (let r = 0; r < runs; r++) docs = fn();
  const sec = Number(process.hrtime.bigint() - start) / 1e9 / runs;
  console.log(`${name.padEnd(36)} ${(mb / sec).toFixed(2).padStart(7)} MB/s  (${docs} docs, ${sec.toFixed(2)} s)`);
}

console.log(`input: ${mb.toFixed(1)} MB`);
await time('js-yaml 4 loadAll DEFAULT_SCHEMA', () => jsyaml.loadAll(text).length);
if (process.env.JSYAML5) {
  const v5 = await import(process.env.JSYAML5);
  await time('js-yaml 5 loadAll YAML11_SCHEMA', () => v5.loadAll(text, { schema: v5.YAML11_SCHEMA }).length);
}
await time('yaml 2 parseAllDocuments yaml-1.1', () =>
  YAML.parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS()).length);
const { parseYamlStream } = await import('../src/yaml/read.ts');
await time('kasane parseYamlStream', () => parseYamlStream(text, 'bench').length);

// The other direction: `kasane render` prints every object with toHelmYaml.
const { toHelmYaml } = await import('../src/yaml/write.ts');
const objects = parseYamlStream(text, 'bench').map((d) => d.value);
await time('kasane toHelmYaml (same objects)', () => objects.map((o) => toHelmYaml(o)).length);
