import { afterEach } from 'vitest';

export type Defer = (step: () => Promise<void> | void) => void;

/** Teardown for the tests of a file: steps registered during a test run after it, newest first. */
export function useCleanup(): Defer {
  const steps: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of steps.splice(0).reverse()) await step();
  });
  return (step) => {
    steps.push(step);
  };
}
