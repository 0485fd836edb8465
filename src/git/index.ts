/** The only door to Git: everything else imports from here, never from simple-git. */
export { exportTree, resolveCommit, GitError, type ExportedTree } from './export.js';
