/**
 * The built `kasane` binary as a pipeline runs it: exit codes reach the process, and the process ends
 * on its own once the diff is printed (no connection left holding it open).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/cluster/index.js';
import { runCli } from '../support/cli.js';
import { useDevcluster } from '../support/devcluster.js';
import { applyEnvironment, makeRepo } from './fixture.js';

const cluster = useDevcluster();
const repo = makeRepo();
afterAll(() => repo.dispose());

describe('kasane diff, the built binary', () => {
  it('exits 0 when in sync and 2 with --detailed-exitcode when not, within its timeout', async () => {
    const client = await connect({ kubeconfig: cluster().kubeconfigPath, env: {} });
    await applyEnvironment(client, repo.render());
    const args = ['--kubeconfig', cluster().kubeconfigPath, 'diff', '--env', 'dev', '--detailed-exitcode'];

    const same = await runCli(args, { repoRoot: repo.root, timeoutMs: 60_000 });
    expect(same.timedOut).toBe(false);
    expect(same.stderr).toBe('');
    expect(same.code).toBe(0);

    repo.setEnvironment({ replicas: 5 });
    const changed = await runCli([...args, '-o', 'json'], { repoRoot: repo.root, timeoutMs: 60_000 });
    expect(changed.timedOut).toBe(false);
    expect(changed.code).toBe(2);
    expect(JSON.parse(changed.stdout)).toMatchObject({ summary: { update: 1 } });
  });
});
