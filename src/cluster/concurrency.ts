/**
 * Bounded concurrency: many API calls in flight at once, but never more than the limit, so a large
 * environment neither waits on one call at a time nor floods the API server.
 */

/** A counting semaphore: `run(fn)` waits for a free slot, runs fn, frees the slot. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`concurrency limit must be at least 1, got ${limit}`);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    // A freed slot passes straight to the next waiter, so a newcomer can never slip in between.
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/**
 * Maps items through fn with at most `limit` calls in flight; results keep the input order.
 * Every call settles before this returns: on failures it rejects with the first error (in input
 * order), and `settled` gives all outcomes to callers that report every failure at once.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const outcomes = await settleLimit(items, limit, fn);
  const failed = outcomes.find((o) => !o.ok);
  if (failed && !failed.ok) throw failed.error;
  return outcomes.map((o) => (o as { ok: true; value: R }).value);
}

export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export async function settleLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<Settled<R>[]> {
  const limiter = new Limiter(limit);
  return Promise.all(
    items.map((item, index) =>
      limiter.run(() => fn(item, index)).then(
        (value): Settled<R> => ({ ok: true, value }),
        (error: unknown): Settled<R> => ({ ok: false, error }),
      ),
    ),
  );
}
