/** The devcluster's merge engine: pure functions over objects, no I/O. */
export { serverSideApply, conflictMessage, conflictCauses, type ApplyConflict, type ApplyResult, type ApplyInput } from './apply.js';
export { recordUpdate, isSemanticNoOp, type UpdateInput } from './update.js';
export { strategicMergePatch, mergePatch, jsonPatch } from './patch.js';
export { PatchError } from './errors.js';
export { registerListSchema, unregisterListSchema } from './schema.js';
