/** `kasane diff`: what a sync would change, against the cluster or between two Git revisions. */
export { diffAgainstCluster, MissingNamespaceError, type ClusterDiffOptions } from './cluster.js';
export {
  compareObject,
  DEFAULT_CONTEXT_LINES,
  formatSummary,
  hasChanges,
  summarize,
  toYaml,
  unifiedDiff,
  type CompareOptions,
  type DiffAction,
  type DiffReport,
  type DiffSource,
  type DiffSummary,
  type ObjectDiff,
} from './compare.js';
export { desiredObjects, namespacesCreated, type DesiredObject } from './desired.js';
export { maskSecrets, maskText } from './mask.js';
export { canonical, normalize, LAST_APPLIED_ANNOTATION } from './normalize.js';
export { diffRendered, type RenderedDiffOptions } from './offline.js';
export { MARKDOWN_LIMIT, printJson, printMarkdown, printReport, printText, toJsonReport, type OutputFormat } from './print.js';
export { pruneCandidates, type PruneCandidate } from './prune.js';
