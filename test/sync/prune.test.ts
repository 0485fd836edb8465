import { describe, expect, it } from 'vitest';
import { pruneRefusal } from '../../src/sync/prune.js';
import { rendered } from './fixtures.js';

describe('pruneRefusal', () => {
  it('allows only objects still labelled for this environment and release', () => {
    const ours = rendered('ConfigMap', 'c').object;
    expect(pruneRefusal(ours, 'staging', 'web')).toBeUndefined();
    expect(pruneRefusal(ours, 'prod', 'web')).toMatch(/not labelled/);
    expect(pruneRefusal(ours, 'staging', 'api')).toMatch(/not labelled/);
    expect(pruneRefusal({ ...ours, metadata: { name: 'c', namespace: 'shop' } }, 'staging', 'web')).toMatch(/not labelled/);
  });

  it('never allows an object annotated kasane.io/prune: "false"', () => {
    const kept = rendered('ConfigMap', 'c').object;
    kept.metadata.annotations = { 'kasane.io/prune': 'false' };
    expect(pruneRefusal(kept, 'staging', 'web')).toMatch(/kasane.io\/prune/);
  });
});
