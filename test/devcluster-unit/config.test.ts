import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jobRuleFor, loadConfigFile } from '../../src/devcluster/config.js';

const dir = mkdtempSync(join(tmpdir(), 'devcluster-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('devcluster configuration file', () => {
  it('reads rollout timing, job rules and faults', () => {
    const path = file(
      'ok.yaml',
      'rolloutDelayMs: 10\njobs:\n  defaultDurationMs: 5\n  rules:\n    - name: "db-*"\n      result: fail\n      logs: "boom\\n"\nfaults:\n  errorRate: 0.1\n',
    );
    expect(loadConfigFile(path)).toEqual({
      rolloutDelayMs: 10,
      jobs: { defaultDurationMs: 5, rules: [{ name: 'db-*', result: 'fail', logs: 'boom\n' }] },
      faults: { errorRate: 0.1 },
    });
  });

  it('names the file and the problem', () => {
    expect(() => loadConfigFile(file('typo.yaml', 'rolloutDelay: 10\n'))).toThrow(/typo\.yaml: unknown key "rolloutDelay"/);
    expect(() => loadConfigFile(file('result.yaml', 'jobs:\n  rules:\n    - result: crash\n'))).toThrow(/jobs\.rules\[0\]\.result must be "complete" or "fail"/);
    expect(() => loadConfigFile(file('faults.yaml', 'faults:\n  dropRate: 3\n'))).toThrow(/faults\.dropRate must be a fraction/);
    expect(() => loadConfigFile(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: cannot read the file/);
  });
});

describe('job rules', () => {
  const config = {
    jobs: {
      rules: [
        { namespace: 'shop', name: 'migrate', result: 'fail' as const },
        { name: 'db-*', result: 'fail' as const },
        { name: 'report', result: 'complete' as const, logs: 'done' },
      ],
    },
  };

  it('matches by namespace and name glob, first match wins', () => {
    expect(jobRuleFor(config, 'shop', 'migrate', undefined)?.result).toBe('fail');
    expect(jobRuleFor(config, 'other', 'migrate', undefined)).toBeUndefined();
    expect(jobRuleFor(config, 'other', 'db-seed', undefined)?.result).toBe('fail');
    expect(jobRuleFor(config, 'other', 'dbx-seed', undefined)).toBeUndefined();
  });

  it('matches a generateName job by its prefix', () => {
    expect(jobRuleFor(config, 'x', 'report-x7k2p', 'report-')?.logs).toBe('done');
    expect(jobRuleFor(config, 'x', 'report-x7k2p', undefined)).toBeUndefined();
  });
});
