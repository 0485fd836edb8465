import { describe, expect, it } from 'vitest';
import { windowVerdict } from '../../src/controller/index.js';
import type { SyncWindow } from '../../src/model/rendered.js';
import { useDevcluster } from '../support/devcluster.js';
import { createRemote } from '../git/support/remote.js';
import { appFiles, getMetrics, getStatus, metricValue, startDaemon, waitFor } from './support/fixture.js';
import { useCleanup } from '../support/cleanup.js';

const HOUR = 3_600_000;
const fridayNight: SyncWindow = { kind: 'deny', schedule: '0 22 * * 5', durationMs: 60 * HOUR };
const officeHours: SyncWindow = { kind: 'allow', schedule: '0 9 * * 1-5', durationMs: 8 * HOUR };

describe('windowVerdict', () => {
  it('a deny window holds from its start for its duration, across days', () => {
    // 2026-11-27 is a Friday.
    expect(windowVerdict([fridayNight], new Date('2026-11-27T21:59:00Z'))).toEqual({ open: true });
    expect(windowVerdict([fridayNight], new Date('2026-11-27T22:00:00Z'))).toMatchObject({ open: false, until: new Date('2026-11-30T10:00:00Z') });
    expect(windowVerdict([fridayNight], new Date('2026-11-29T23:00:00Z'))).toMatchObject({ open: false, window: fridayNight });
    expect(windowVerdict([fridayNight], new Date('2026-11-30T10:00:00Z'))).toEqual({ open: true });
  });

  it('with allow windows, syncs run only inside one; deny wins over allow', () => {
    expect(windowVerdict([officeHours], new Date('2026-11-24T10:00:00Z'))).toEqual({ open: true });
    expect(windowVerdict([officeHours], new Date('2026-11-24T18:00:00Z'))).toMatchObject({ open: false, window: officeHours });
    expect(windowVerdict([officeHours], new Date('2026-11-28T10:00:00Z'))).toMatchObject({ open: false });
    const lunch: SyncWindow = { kind: 'deny', schedule: '0 12 * * *', durationMs: HOUR };
    expect(windowVerdict([officeHours, lunch], new Date('2026-11-24T12:30:00Z'))).toMatchObject({ open: false, window: lunch });
    expect(windowVerdict([officeHours, lunch], new Date('2026-11-24T13:30:00Z'))).toEqual({ open: true });
  });
});

const cluster = useDevcluster({ rolloutDelayMs: 50 });
const defer = useCleanup();

describe('kasane daemon: sync windows', () => {
  it('a deny window holds a due sync (status shows it); leaving the window lets it run', async () => {
    const r = createRemote();
    defer(() => r.remove());
    const windows = '[{kind: deny, schedule: "0 3 * * *", duration: 1h}]';
    r.commit(appFiles({ namespace: 'windows', message: 'before', windows }));
    let now = new Date('2026-11-24T02:00:00Z');
    const d = await startDaemon({ kubeconfig: cluster().kubeconfigPath, repo: r.fileUrl, now: () => now });
    defer(() => d.stop());
    const message = async (): Promise<string> =>
      (await cluster().kubectl(['get', 'configmap', 'web-config', '-n', 'windows', '-o', 'jsonpath={.data.message}'])).stdout;
    await waitFor('first sync outside the window', async () => (await message()) === 'before');

    now = new Date('2026-11-24T03:30:00Z');
    const held = r.commit(appFiles({ namespace: 'windows', message: 'after', windows }));
    const status = await waitFor('the sync held', async () => {
      const s = await getStatus(d.url);
      return s.environments[0]?.heldByWindow !== null && s.environments[0]?.desiredRevision === held ? s : undefined;
    });
    expect(status.environments[0]).toMatchObject({
      state: 'OutOfSync',
      heldByWindow: { kind: 'deny', schedule: '0 3 * * *', until: '2026-11-24T04:00:00.000Z' },
    });
    // Several intervals pass inside the window: nothing is applied.
    await new Promise((res) => setTimeout(res, 3_000));
    expect(await message()).toBe('before');
    expect(metricValue(await getMetrics(d.url), 'kasane_syncs_total', { environment: 'demo', result: 'held' })).toBeGreaterThanOrEqual(2);

    now = new Date('2026-11-24T04:00:00Z');
    await waitFor('applied after the window closed', async () => (await message()) === 'after', 5_000);
    const after = await getStatus(d.url);
    expect(after.environments[0]?.heldByWindow).toBeNull();
    expect(after.environments[0]?.revision).toBe(held);
  });

  it('with sync.schedule the cron times drive the ticks, not the interval', async () => {
    const r = createRemote();
    defer(() => r.remove());
    // Once a year: the interval (1s) must not fetch in between.
    r.commit(appFiles({ namespace: 'cron', message: 'one', schedule: '0 0 1 1 *' }));
    const d = await startDaemon({ kubeconfig: cluster().kubeconfigPath, repo: r.fileUrl });
    defer(() => d.stop());
    const message = async (): Promise<string> =>
      (await cluster().kubectl(['get', 'configmap', 'web-config', '-n', 'cron', '-o', 'jsonpath={.data.message}'])).stdout;
    await waitFor('first sync at start', async () => (await message()) === 'one');
    const status = await waitFor('next run known', async () => {
      const s = await getStatus(d.url);
      return s.environments[0]?.state === 'Synced' && s.environments[0].nextSyncAt !== null ? s : undefined;
    });
    expect(status.environments[0]!.nextSyncAt).toBe(`${new Date().getUTCFullYear() + 1}-01-01T00:00:00.000Z`);
    r.commit(appFiles({ namespace: 'cron', message: 'two', schedule: '0 0 1 1 *' }));
    const fetches = metricValue(await getMetrics(d.url), 'kasane_git_fetches_total');
    await new Promise((res) => setTimeout(res, 3_000));
    expect(metricValue(await getMetrics(d.url), 'kasane_git_fetches_total')).toBe(fetches);
    expect(await message()).toBe('one');
  });
});
