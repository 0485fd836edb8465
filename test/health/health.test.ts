import { describe, expect, it } from 'vitest';
import { health } from '../../src/health/index.js';
import type { KubeObject } from '../../src/model/object.js';

function obj(apiVersion: string, kind: string, rest: Record<string, unknown> = {}, generation = 2): KubeObject {
  return { apiVersion, kind, metadata: { name: 'x', namespace: 'shop', generation }, ...rest };
}

const deployment = (status: Record<string, unknown>, replicas = 3) =>
  obj('apps/v1', 'Deployment', { spec: { replicas }, status });

describe('health', () => {
  it('a Deployment is healthy only once the controller saw the latest spec and all replicas are updated, ready, available', () => {
    const done = { observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 };
    expect(health(deployment(done)).status).toBe('Healthy');
    expect(health(deployment({ ...done, observedGeneration: 1 })).message).toMatch(/generation 2/);
    expect(health(deployment({ ...done, updatedReplicas: 1 }))).toEqual({ status: 'Progressing', message: '1 of 3 replicas updated' });
    expect(health(deployment({ ...done, availableReplicas: 2 })).status).toBe('Progressing');
    expect(health(deployment({ ...done, replicas: 4 })).message).toMatch(/terminating/);
    expect(health(deployment({}, 1)).status).toBe('Progressing');
  });

  it('a Deployment past its progress deadline has failed', () => {
    const h = health(deployment({
      observedGeneration: 2,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-1" has timed out progressing.' }],
    }));
    expect(h.status).toBe('Failed');
    expect(h.message).toContain('has timed out');
  });

  it('defaults a Deployment without spec.replicas to one replica', () => {
    const d = obj('apps/v1', 'Deployment', { spec: {}, status: { observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 } });
    expect(health(d).status).toBe('Healthy');
  });

  it('a StatefulSet waits for ready and updated replicas and the update revision', () => {
    const base = { observedGeneration: 2, replicas: 2, readyReplicas: 2, updatedReplicas: 2, currentRevision: 'a', updateRevision: 'a' };
    const sts = (status: Record<string, unknown>) => obj('apps/v1', 'StatefulSet', { spec: { replicas: 2 }, status });
    expect(health(sts(base)).status).toBe('Healthy');
    expect(health(sts({ ...base, readyReplicas: 1 })).status).toBe('Progressing');
    expect(health(sts({ ...base, updateRevision: 'b' })).status).toBe('Progressing');
  });

  it('a DaemonSet compares scheduled, updated, ready and available pods with desiredNumberScheduled', () => {
    const base = { observedGeneration: 2, desiredNumberScheduled: 3, currentNumberScheduled: 3, updatedNumberScheduled: 3, numberReady: 3, numberAvailable: 3 };
    const ds = (status: Record<string, unknown>) => obj('apps/v1', 'DaemonSet', { status });
    expect(health(ds(base)).status).toBe('Healthy');
    expect(health(ds({ ...base, numberAvailable: 2 })).status).toBe('Progressing');
    expect(health(ds({ observedGeneration: 2 })).status).toBe('Progressing');
  });

  it('a Job succeeds on Complete and fails on Failed, with the reason', () => {
    const job = (conditions: unknown[]) => obj('batch/v1', 'Job', { status: { conditions } });
    expect(health(job([{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }])).status).toBe('Healthy');
    const f = health(job([{ type: 'FailureTarget', status: 'True' }, { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]));
    expect(f).toEqual({ status: 'Failed', message: 'failed (BackoffLimitExceeded): Job has reached the specified backoff limit' });
    expect(health(job([])).status).toBe('Progressing');
  });

  it('a PersistentVolumeClaim is healthy once bound', () => {
    expect(health(obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Pending' } })).status).toBe('Progressing');
    expect(health(obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Bound' } })).status).toBe('Healthy');
  });

  it('other kinds are healthy once applied; an object being deleted is not', () => {
    expect(health(obj('v1', 'ConfigMap')).status).toBe('Healthy');
    expect(health(obj('example.com/v1', 'Widget')).status).toBe('Healthy');
    const deleting = obj('v1', 'ConfigMap');
    deleting.metadata['deletionTimestamp'] = '2026-01-01T00:00:00Z';
    expect(health(deleting).status).toBe('Progressing');
  });
});
