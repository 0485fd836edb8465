/** Exit codes of the contract: pipelines depend on these. */
export const ExitCode = {
  /** Success, nothing to change. */
  Ok: 0,
  /** Any error. */
  Error: 1,
  /** Success with changes pending (`diff --detailed-exitcode`, `sync --dry-run --detailed-exitcode`). */
  Changes: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
