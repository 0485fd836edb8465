/** The in-cluster GitOps controller behind `kasane daemon`. */
export { Daemon, type DaemonOptions, type LeaderElectionOptions } from './daemon.js';
export { LeaderElector, ANNOTATION_LEADER_URL, type LeaderOptions, type LeaderCallbacks } from './leader.js';
export { DaemonMetrics } from './metrics.js';
export { MAX_WEBHOOK_BYTES } from './server.js';
export type * from './status.js';
export { concernsRef, pushedRef, verifyWebhook, type Verification } from './webhook.js';
export { openUntil, windowVerdict, type WindowVerdict } from './windows.js';
