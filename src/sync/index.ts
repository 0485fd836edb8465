/** Syncing an environment to its cluster: the engine, its plan, and the events it reports. */
export { runSync, runRollback, NoRevisionError, type SyncOptions, type RollbackOptions, type RollbackScope, type Emit } from './engine.js';
export { hasChanges, type SyncEvent, type SyncPhase, type SyncResult, type ReleaseResult, type ReleaseStatus, type ObjectChange, type ApplyAction } from './events.js';
export { planSync, type SyncPlan, type PlanOptions, type HooksMode, type HooksDecision, type ApplyStep } from './plan.js';
export { pruneRefusal, ANNOTATION_PRUNE } from './prune.js';
export * from './errors.js';
