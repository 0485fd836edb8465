import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mapLimit, settleLimit } from '../../src/cluster/index.js';
import { backoffDelay, parseRetryAfter, DEFAULT_RETRY } from '../../src/cluster/transport.js';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('bounded concurrency', () => {
  it('never has more than the limit in flight, and keeps input order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }), fc.integer({ min: 1, max: 6 }), async (delays, limit) => {
        let active = 0;
        let peak = 0;
        const out = await mapLimit(delays, limit, async (d, i) => {
          active++;
          peak = Math.max(peak, active);
          await tick(d);
          active--;
          return i;
        });
        expect(out).toEqual(delays.map((_, i) => i));
        expect(peak).toBeLessThanOrEqual(limit);
        if (delays.length >= limit) expect(peak).toBe(limit);
      }),
      { numRuns: 30 },
    );
  });

  it('settles every call before reporting failures', async () => {
    const finished: number[] = [];
    const outcomes = await settleLimit([1, 2, 3, 4], 2, async (n) => {
      await tick(n);
      finished.push(n);
      if (n % 2 === 0) throw new Error(`bad ${n}`);
      return n;
    });
    expect(finished.sort()).toEqual([1, 2, 3, 4]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true, false]);
    await expect(mapLimit([1, 2, 3], 2, async (n) => (n === 2 ? Promise.reject(new Error('two')) : n))).rejects.toThrow('two');
  });
});

describe('retry timing', () => {
  it('backoff grows exponentially to its cap, with full jitter', () => {
    expect(backoffDelay(DEFAULT_RETRY, 1, () => 1)).toBe(DEFAULT_RETRY.baseDelayMs);
    expect(backoffDelay(DEFAULT_RETRY, 3, () => 1)).toBe(DEFAULT_RETRY.baseDelayMs * 4);
    expect(backoffDelay(DEFAULT_RETRY, 30, () => 1)).toBe(DEFAULT_RETRY.maxDelayMs);
    expect(backoffDelay(DEFAULT_RETRY, 3, () => 0)).toBe(0);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
