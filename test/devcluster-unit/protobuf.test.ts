import { describe, expect, it } from 'vitest';
import { useDevcluster } from '../support/devcluster.js';

const getCluster = useDevcluster();

describe('the protobuf typed clients send', () => {
  it('kubectl create namespace, configmap, secret and serviceaccount work', async () => {
    const c = getCluster();
    const ok = async (args: string[]): Promise<string> => {
      const result = await c.kubectl(args);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      return result.stdout;
    };
    await ok(['create', 'namespace', 'proto']);
    await ok(['create', 'configmap', 'settings', '-n', 'proto', '--from-literal=mode=fast', '--from-literal=level=3']);
    await ok(['create', 'secret', 'generic', 'creds', '-n', 'proto', '--from-literal=password=hunter2']);
    await ok(['create', 'serviceaccount', 'robot', '-n', 'proto']);

    const ns = JSON.parse(await ok(['get', 'namespace', 'proto', '-o', 'json']));
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'proto' });
    const cm = JSON.parse(await ok(['get', 'configmap', 'settings', '-n', 'proto', '-o', 'json']));
    expect(cm.data).toEqual({ mode: 'fast', level: '3' });
    const secret = JSON.parse(await ok(['get', 'secret', 'creds', '-n', 'proto', '-o', 'json']));
    expect(secret.type).toBe('Opaque');
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe('hunter2');
    expect(await ok(['get', 'serviceaccount', '-n', 'proto', '-o', 'name'])).toBe('serviceaccount/robot\n');
  });

  it('a kind it cannot read is refused with 415, not misread', async () => {
    const result = await getCluster().kubectl(['create', 'deployment', 'web', '--image=nginx']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('protobuf');
    expect((await getCluster().kubectl(['get', 'deployments', '-o', 'name'])).stdout).toBe('');
  });
});
