/**
 * meta.k8s.io/v1 Table answers, which `kubectl get` asks for: a few columns per kind, Name and Age
 * for everything else.
 */
import type { KubeObject } from '../model/object.js';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

/** kubectl's short duration: 45s, 3m12s, 5h, 2d3h. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 730) return `${d}d`;
  return `${Math.floor(d / 365)}y${d % 365}d`;
}

interface Column {
  name: string;
  type: string;
  cell: (o: KubeObject) => unknown;
}

const AGE: Column = {
  name: 'Age',
  type: 'string',
  cell: (o) => humanDuration(Date.now() - Date.parse(String(o.metadata['creationTimestamp'] ?? new Date().toISOString()))),
};

const COLUMNS: Record<string, Column[]> = {
  '/Namespace': [{ name: 'Status', type: 'string', cell: (o) => obj(o['status'])['phase'] ?? '' }],
  '/Node': [
    {
      name: 'Status',
      type: 'string',
      cell: (o) => {
        const conditions = Array.isArray(obj(o['status'])['conditions']) ? (obj(o['status'])['conditions'] as Obj[]) : [];
        return conditions.find((c) => c['type'] === 'Ready')?.['status'] === 'True' ? 'Ready' : 'NotReady';
      },
    },
    { name: 'Version', type: 'string', cell: (o) => obj(obj(o['status'])['nodeInfo'])['kubeletVersion'] ?? '' },
  ],
  '/Pod': [
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => {
        const containers = Array.isArray(obj(o['spec'])['containers']) ? (obj(o['spec'])['containers'] as unknown[]).length : 0;
        const statuses = Array.isArray(obj(o['status'])['containerStatuses']) ? (obj(o['status'])['containerStatuses'] as Obj[]) : [];
        return `${statuses.filter((c) => c['ready'] === true).length}/${containers}`;
      },
    },
    { name: 'Status', type: 'string', cell: (o) => (o.metadata['deletionTimestamp'] ? 'Terminating' : obj(o['status'])['phase'] ?? '') },
  ],
  'apps/Deployment': [
    { name: 'Ready', type: 'string', cell: (o) => `${num(obj(o['status'])['readyReplicas'])}/${num(obj(o['spec'])['replicas'])}` },
    { name: 'Up-to-date', type: 'integer', cell: (o) => num(obj(o['status'])['updatedReplicas']) },
    { name: 'Available', type: 'integer', cell: (o) => num(obj(o['status'])['availableReplicas']) },
  ],
  'apps/ReplicaSet': [
    { name: 'Desired', type: 'integer', cell: (o) => num(obj(o['spec'])['replicas']) },
    { name: 'Current', type: 'integer', cell: (o) => num(obj(o['status'])['replicas']) },
    { name: 'Ready', type: 'integer', cell: (o) => num(obj(o['status'])['readyReplicas']) },
  ],
  'apps/DaemonSet': [
    { name: 'Desired', type: 'integer', cell: (o) => num(obj(o['status'])['desiredNumberScheduled']) },
    { name: 'Current', type: 'integer', cell: (o) => num(obj(o['status'])['currentNumberScheduled']) },
    { name: 'Ready', type: 'integer', cell: (o) => num(obj(o['status'])['numberReady']) },
  ],
  'apps/StatefulSet': [{ name: 'Ready', type: 'string', cell: (o) => `${num(obj(o['status'])['readyReplicas'])}/${num(obj(o['spec'])['replicas'])}` }],
  'batch/Job': [
    {
      name: 'Status',
      type: 'string',
      cell: (o) => {
        const conditions = Array.isArray(obj(o['status'])['conditions']) ? (obj(o['status'])['conditions'] as Obj[]) : [];
        const done = conditions.find((c) => (c['type'] === 'Complete' || c['type'] === 'Failed') && c['status'] === 'True');
        return done !== undefined ? String(done['type']) : 'Running';
      },
    },
    { name: 'Completions', type: 'string', cell: (o) => `${num(obj(o['status'])['succeeded'])}/${num(obj(o['spec'])['completions']) || 1}` },
  ],
  '/Service': [
    { name: 'Type', type: 'string', cell: (o) => obj(o['spec'])['type'] ?? '' },
    { name: 'Cluster-IP', type: 'string', cell: (o) => obj(o['spec'])['clusterIP'] ?? '<none>' },
  ],
  '/ConfigMap': [{ name: 'Data', type: 'integer', cell: (o) => Object.keys(obj(o['data'])).length + Object.keys(obj(o['binaryData'])).length }],
  '/Secret': [
    { name: 'Type', type: 'string', cell: (o) => o['type'] ?? '' },
    { name: 'Data', type: 'integer', cell: (o) => Object.keys(obj(o['data'])).length },
  ],
  '/PersistentVolumeClaim': [{ name: 'Status', type: 'string', cell: (o) => obj(o['status'])['phase'] ?? 'Pending' }],
};

export type IncludeObject = 'None' | 'Metadata' | 'Object';

function rowObject(o: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function toTable(group: string, kind: string, objects: KubeObject[], listMeta: Obj, include: IncludeObject): Record<string, unknown> {
  const columns: Column[] = [
    { name: 'Name', type: 'string', cell: (o) => o.metadata.name ?? '' },
    ...(COLUMNS[`${group}/${kind}`] ?? []),
    AGE,
  ];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.name === 'Name' ? 'name' : '',
      description: c.name === 'Name' ? 'Name must be unique within a namespace.' : '',
      priority: 0,
    })),
    rows: objects.map((o) => {
      const row: Obj = { cells: columns.map((c) => c.cell(o)) };
      const object = rowObject(o, include);
      if (object !== undefined) row['object'] = object;
      return row;
    }),
  };
}
