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

  it('kubectl create deployment, job, service and run work', async () => {
    const c = getCluster();
    const ok = async (args: string[]): Promise<string> => {
      const result = await c.kubectl(args);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      return result.stdout;
    };
    // (no `-- command`: the helper appends --kubeconfig after the arguments)
    await ok(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2', '--port=8080']);
    const web = JSON.parse(await ok(['get', 'deployment', 'web', '-o', 'json']));
    expect(web.spec.replicas).toBe(2);
    expect(web.spec.selector).toEqual({ matchLabels: { app: 'web' } });
    expect(web.spec.template.spec.containers).toMatchObject([{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 8080, protocol: 'TCP' }] }]);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=10s']);

    await ok(['create', 'job', 'once', '--image=busybox:1']);
    await ok(['wait', '--for=condition=complete', 'job/once', '--timeout=10s']);

    await ok(['create', 'service', 'nodeport', 'web', '--tcp=80:http']);
    const svc = JSON.parse(await ok(['get', 'service', 'web', '-o', 'json']));
    expect(svc.spec).toMatchObject({ type: 'NodePort', selector: { app: 'web' }, ports: [{ name: '80-http', port: 80, protocol: 'TCP', targetPort: 'http' }] });

    await ok(['run', 'shell', '--image=busybox:1']);
    expect(JSON.parse(await ok(['get', 'pod', 'shell', '-o', 'json'])).metadata.labels).toEqual({ run: 'shell' });
  });

  it('a kind it cannot read is refused with 415, not misread', async () => {
    const result = await getCluster().kubectl(['create', 'role', 'reader', '--verb=get', '--resource=pods']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('protobuf');
    expect((await getCluster().kubectl(['get', 'roles', '-o', 'name'])).stdout).toBe('');
  });
});
