import { describe, expect, it } from 'vitest';
import { drifted } from '../../src/sync/apply.js';
import type { KubeObject } from '../../src/model/object.js';

const live: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'c',
    namespace: 'shop',
    resourceVersion: '10',
    managedFields: [
      { manager: 'kasane', operation: 'Apply', time: '2026-01-01T00:00:00Z', fieldsV1: { 'f:data': { 'f:a': {} } } },
      { manager: 'kubectl-edit', operation: 'Update', time: '2026-01-01T00:00:01Z', fieldsV1: { 'f:data': { 'f:b': {} } } },
    ],
  },
  data: { a: '1', b: '2' },
};

describe('drifted', () => {
  it('ignores what every write touches: resourceVersion, managedFields times and order', () => {
    const preview = structuredClone(live);
    preview.metadata.resourceVersion = '11';
    preview.metadata['managedFields'] = [...(live.metadata['managedFields'] as object[])].reverse().map((f) => ({ ...f, time: '2026-06-01T00:00:00Z' }));
    expect(drifted(live, preview)).toBe(false);
  });

  it('sees a changed value and a change of ownership', () => {
    expect(drifted(live, { ...structuredClone(live), data: { a: '2', b: '2' } })).toBe(true);
    const takenBack = structuredClone(live);
    takenBack.metadata['managedFields'] = [{ manager: 'kasane', operation: 'Apply', fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} } } }];
    expect(drifted(live, takenBack)).toBe(true);
  });
});
