/** The only door to Git: everything else imports from here, never from simple-git. */
export { exportTree, resolveCommit, GitError, type ExportedTree } from './export.js';
export { GitSource, GitFetchError, readSecret, redactUrl, type GitAuth, type GitSourceOptions, type SecretSource, type SourceSnapshot } from './source.js';
