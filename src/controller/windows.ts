/**
 * Sync windows (Argo CD's model): a window opens at each time its cron schedule names and stays
 * open for its duration. Inside an open deny window no automatic sync runs; when any allow window
 * is declared, automatic syncs run only inside an open one. Deny wins over allow. Times are UTC.
 * Pure: the clock is an argument.
 */
import { nodeCron } from '../lazy-module.js';
import type { SyncWindow } from '../model/rendered.js';

export type WindowVerdict =
  | { readonly open: true }
  | {
      readonly open: false;
      /** The window that holds the sync: an open deny window, or (no allow window open) the first allow window. */
      readonly window: SyncWindow;
      /** When the deny window closes; absent when waiting for an allow window to open. */
      readonly until?: Date;
    };

const MINUTE = 60_000;

interface CronFields {
  readonly minute: ReadonlySet<number>;
  readonly hour: ReadonlySet<number>;
  readonly dayOfMonth: ReadonlySet<number>;
  readonly month: ReadonlySet<number>;
  readonly dayOfWeek: ReadonlySet<number>;
}

const parsed = new Map<string, CronFields>();

function fields(schedule: string): CronFields {
  let f = parsed.get(schedule);
  if (f === undefined) {
    const p = nodeCron().parse(schedule);
    const nums = (xs: readonly (number | string)[]): Set<number> => new Set(xs.filter((x): x is number => typeof x === 'number'));
    const dow = nums(p.dayOfWeek);
    if (dow.has(7)) dow.add(0);
    f = { minute: nums(p.minute), hour: nums(p.hour), dayOfMonth: nums(p.dayOfMonth), month: nums(p.month), dayOfWeek: dow };
    parsed.set(schedule, f);
  }
  return f;
}

function matches(f: CronFields, t: Date): boolean {
  return (
    f.minute.has(t.getUTCMinutes()) &&
    f.hour.has(t.getUTCHours()) &&
    f.dayOfMonth.has(t.getUTCDate()) &&
    f.month.has(t.getUTCMonth() + 1) &&
    f.dayOfWeek.has(t.getUTCDay())
  );
}

/** When the window that is open at `now` closes, or undefined when it is closed. */
export function openUntil(window: SyncWindow, now: Date): Date | undefined {
  const f = fields(window.schedule);
  const latestStart = Math.floor(now.getTime() / MINUTE) * MINUTE;
  // The most recent start within one duration before now decides: it closes last.
  for (let t = latestStart; t > now.getTime() - window.durationMs; t -= MINUTE) {
    if (matches(f, new Date(t))) return new Date(t + window.durationMs);
  }
  return undefined;
}

/** Whether an automatic sync may run at `now`. */
export function windowVerdict(windows: readonly SyncWindow[], now: Date): WindowVerdict {
  let denyUntil: { window: SyncWindow; until: Date } | undefined;
  for (const w of windows.filter((x) => x.kind === 'deny')) {
    const until = openUntil(w, now);
    if (until !== undefined && (denyUntil === undefined || until > denyUntil.until)) denyUntil = { window: w, until };
  }
  if (denyUntil !== undefined) return { open: false, window: denyUntil.window, until: denyUntil.until };
  const allows = windows.filter((x) => x.kind === 'allow');
  if (allows.length > 0 && !allows.some((w) => openUntil(w, now) !== undefined)) return { open: false, window: allows[0]! };
  return { open: true };
}
