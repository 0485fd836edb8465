/** node-cron, the one copy every part of kasane uses, loaded when a schedule is first read. */
import { createRequire } from 'node:module';

type NodeCron = typeof import('node-cron');
let loaded: NodeCron | undefined;

export function nodeCron(): NodeCron {
  // In the bundle (scripts/bundle.mjs), `require` is the bundle's own and node-cron is part of the
  // bundle, evaluated on this first call; dist/ is ES modules, which have no `require`.
  loaded ??= (typeof require === 'function' ? require('node-cron') : createRequire(import.meta.url)('node-cron')) as NodeCron;
  return loaded;
}
