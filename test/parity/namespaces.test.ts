/**
 * Objects a template leaves without a namespace land in the release namespace, as `helm install` places
 * them; cluster-scoped objects never get one (the API server would refuse or ignore it), and an explicit
 * namespace is kept. Custom resources follow the scope their CRD in the same chart declares.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { readManifests } from './manifests.js';

const objects = `apiVersion: v1
kind: ConfigMap
metadata: {name: plain}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: elsewhere, namespace: other}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
---
apiVersion: v1
kind: Namespace
metadata: {name: extra}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv}
spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /tmp/pv}}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: example.com/fast
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: x}}
  template: {metadata: {labels: {app: x}}, spec: {containers: [{name: c, image: nginx}]}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets, singular: gadget}
  scope: Cluster
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
---
apiVersion: example.com/v1
kind: Gadget
metadata: {name: g}
`;

describe('namespaces of rendered objects', () => {
  it('defaults namespaced objects to the release namespace and leaves cluster-scoped ones alone', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kasane-ns-'));
    mkdirSync(join(root, 'charts', 'c', 'templates'), { recursive: true });
    mkdirSync(join(root, 'environments'));
    writeFileSync(join(root, 'charts', 'c', 'Chart.yaml'), 'name: c\nversion: 0.1.0\n');
    writeFileSync(join(root, 'charts', 'c', 'templates', 'all.yaml'), objects);
    writeFileSync(join(root, 'environments', 'e.yaml'), 'releases:\n  - name: r\n    chart: c\n    namespace: team\n');
    const result = await runCli(['render', '--env', 'e'], { repoRoot: root });
    expect(result.code, result.stderr).toBe(0);
    const namespaces = Object.fromEntries(
      readManifests(result.stdout).map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.namespace ?? null]),
    );
    expect(namespaces).toEqual({
      'ConfigMap/plain': 'team',
      'ConfigMap/elsewhere': 'other',
      'ClusterRole/reader': null,
      'Namespace/extra': null,
      'PersistentVolume/pv': null,
      'StorageClass/fast': null,
      'Deployment/app': 'team',
      'CustomResourceDefinition/widgets.example.com': null,
      'CustomResourceDefinition/gadgets.example.com': null,
      'Widget/w': 'team',
      'Gadget/g': null,
    });
  }, 60_000);
});
