#!/usr/bin/env node
// Writes a benchmark chart of N services in two forms: a kasane repository (Handlebars chart +
// environment) and its Go-template twin for helm. Same data, same objects, so the two renders
// can be compared object by object and timed side by side. Deterministic: same N, same bytes.
//
//   node bench/generate.mjs --services 1000 --out bench/out/svc-1000
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '100' },
    out: { type: 'string' },
    namespace: { type: 'string', default: 'bench' },
  },
});
const count = Number(args.services);
if (!Number.isInteger(count) || count < 1 || !args.out) {
  process.stderr.write('usage: generate.mjs --services N --out DIR [--namespace NS]\n');
  process.exit(1);
}
const out = args.out;

/** A small deterministic PRNG so every size reproduces byte for byte. */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(count);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

function serviceValues(i) {
  const name = `svc-${String(i).padStart(5, '0')}`;
  return {
    name,
    image: `registry.example.com/team-${i % 17}/${name}:1.${i % 9}.${i % 5}`,
    replicas: 1 + (i % 4),
    port: 8000 + (i % 100),
    tier: pick(['frontend', 'backend', 'worker']),
    autoscale: i % 5 === 0,
    env: {
      LOG_LEVEL: pick(['debug', 'info', 'warn']),
      FEATURE_FLAGS: `a,b,${i % 3}`,
      UPSTREAM: `http://svc-${String((i + 1) % count).padStart(5, '0')}:8080`,
    },
    resources: {
      requests: { cpu: `${50 + (i % 10) * 10}m`, memory: `${64 + (i % 8) * 32}Mi` },
      limits: { cpu: `${200 + (i % 10) * 20}m`, memory: `${128 + (i % 8) * 64}Mi` },
    },
    config: { 'app.properties': `name=${name}\ntimeout=${i % 30}s\nretries=${i % 4}\n` },
  };
}

const services = Array.from({ length: count }, (_, i) => serviceValues(i));

function write(path, text) {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

// The values file is JSON (valid YAML) so both tools read exactly the same data quickly.
const valuesText = `${JSON.stringify({ labels: { team: 'bench' }, services }, null, 1)}\n`;
const chartYaml = 'apiVersion: v2\nname: svc\nversion: 1.0.0\nappVersion: "1.0.0"\ndescription: generated benchmark chart\n';

rmSync(out, { recursive: true, force: true });

// ---- kasane (Handlebars) ----
const k = join(out, 'kasane');
write(join(k, 'charts/svc/Chart.yaml'), chartYaml);
write(join(k, 'charts/svc/values.yaml'), valuesText);
write(join(k, 'charts/svc/templates/_labels.hbs'),
  `app.kubernetes.io/name: {{svc.name}}
app.kubernetes.io/instance: {{release}}
tier: {{svc.tier}}`);
write(join(k, 'charts/svc/templates/services.yaml'),
  `{{#each Values.services}}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{name}}
  labels:{{nindent 4 (include "labels" (dict "svc" this "release" @root.Release.Name))}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{name}}-config
  labels:{{nindent 4 (include "labels" (dict "svc" this "release" @root.Release.Name))}}
data:{{nindent 2 (toYaml config)}}
---
apiVersion: v1
kind: Service
metadata:
  name: {{name}}
  labels:{{nindent 4 (include "labels" (dict "svc" this "release" @root.Release.Name))}}
spec:
  selector:
    app.kubernetes.io/name: {{name}}
  ports:
    - name: http
      port: 80
      targetPort: {{port}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{name}}
  labels:{{nindent 4 (include "labels" (dict "svc" this "release" @root.Release.Name))}}
spec:
  replicas: {{replicas}}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{name}}
  template:
    metadata:
      labels:{{nindent 8 (include "labels" (dict "svc" this "release" @root.Release.Name))}}
      annotations:
        checksum/config: {{sha256sum (toYaml config)}}
    spec:
      serviceAccountName: {{name}}
      containers:
        - name: app
          image: {{quote image}}
          ports:
            - containerPort: {{port}}
          env:
{{#each env}}
            - name: {{@key}}
              value: {{quote this}}
{{/each}}
          resources:{{nindent 12 (toYaml resources)}}
{{#if autoscale}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{name}}
  labels:{{nindent 4 (include "labels" (dict "svc" this "release" @root.Release.Name))}}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{name}}
  minReplicas: {{replicas}}
  maxReplicas: {{mul replicas 4}}
{{/if}}
{{/each}}
`);
write(join(k, 'environments/bench.yaml'),
  `releases:
  - name: bench
    chart: svc
    namespace: ${args.namespace}
`);

// ---- helm (Go templates), the same objects ----
const h = join(out, 'helm/svc');
write(join(h, 'Chart.yaml'), chartYaml);
write(join(h, 'values.yaml'), valuesText);
// Go templates have no @root inside define; the release name is passed in a dict instead.
write(join(h, 'templates/_labels.tpl'),
  `{{- define "svc.labels" -}}
app.kubernetes.io/name: {{ .svc.name }}
app.kubernetes.io/instance: {{ .release }}
tier: {{ .svc.tier }}
{{- end -}}`);
write(join(h, 'templates/services.yaml'),
  `{{- range .Values.services }}
{{- $l := include "svc.labels" (dict "svc" . "release" $.Release.Name) }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .name }}
  labels:{{ $l | nindent 4 }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .name }}-config
  labels:{{ $l | nindent 4 }}
data:{{ toYaml .config | nindent 2 }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  labels:{{ $l | nindent 4 }}
spec:
  selector:
    app.kubernetes.io/name: {{ .name }}
  ports:
    - name: http
      port: 80
      targetPort: {{ .port }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  labels:{{ $l | nindent 4 }}
spec:
  replicas: {{ .replicas }}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ .name }}
  template:
    metadata:
      labels:{{ $l | nindent 8 }}
      annotations:
        checksum/config: {{ toYaml .config | sha256sum }}
    spec:
      serviceAccountName: {{ .name }}
      containers:
        - name: app
          image: {{ quote .image }}
          ports:
            - containerPort: {{ .port }}
          env:
{{- range $k, $v := .env }}
            - name: {{ $k }}
              value: {{ quote $v }}
{{- end }}
          resources:{{ toYaml .resources | nindent 12 }}
{{- if .autoscale }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ .name }}
  labels:{{ $l | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ .name }}
  minReplicas: {{ .replicas }}
  maxReplicas: {{ mul .replicas 4 }}
{{- end }}
{{- end }}
`);
process.stdout.write(`wrote ${count} services to ${out} (kasane/ and helm/)\n`);
