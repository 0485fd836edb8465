/**
 * The devcluster's merge engine: pure functions over objects, no I/O.
 *
 * - `serverSideApply` merges an applied configuration (PATCH application/apply-patch+yaml) and keeps
 *   metadata.managedFields; on `{ok: false}` answer 409 with `conflictMessage` and `conflictCauses`.
 *   Pass `resetFields: ['status']` for the main resource of a kind with a status subresource, and
 *   `subresource: 'status', resetFields: ['spec']` for applies to /status.
 * - `recordUpdate` keeps managedFields for create, update and the other patch types (operation Update).
 * - `strategicMergePatch`, `mergePatch`, `jsonPatch` compute a patched object.
 * - `isSemanticNoOp` tells a write that changes nothing but managedFields timestamps.
 * - `registerListSchema` / `unregisterListSchema` teach it a CRD's list types.
 * Every function throws only `PatchError`, whose `code` is the HTTP status to answer with.
 */
export { serverSideApply, conflictMessage, conflictCauses, type ApplyConflict, type ApplyResult, type ApplyInput } from './apply.js';
export { recordUpdate, isSemanticNoOp, type UpdateInput } from './update.js';
export { strategicMergePatch, mergePatch, jsonPatch } from './patch.js';
export { PatchError } from './errors.js';
export { registerListSchema, unregisterListSchema } from './schema.js';
