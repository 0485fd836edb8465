/**
 * NODE_EXTRA_CA_CERTS, loaded when kasane first connects over TLS instead of at every start.
 *
 * Node 20 reads and parses that file, and its own bundled roots, while it starts, before any of
 * kasane's code runs: tens of milliseconds on every command, most of which never open a TLS
 * connection (render, lint, an offline diff). So the `kasane` launcher (bin/kasane.js run as a
 * program) hands the variable to node under the name below instead, and kasane puts it back at
 * start-up, for the processes it starts, and uses its certificates where node would have: for a
 * TLS connection whose kubeconfig names no CA of its own (node uses neither its roots nor the
 * extra ones when a connection is given its `ca`).
 */
import { readFileSync } from 'node:fs';
// Loaded with the first connection that needs it: loading node:tls loads node:crypto too.
import { nodeTls } from '../lazy-module.js';

/** The name under which the launcher hands NODE_EXTRA_CA_CERTS to kasane (see bin/kasane.js). */
const DEFERRED_EXTRA_CA_CERTS = 'KASANE_EXTRA_CA_CERTS';

let deferredFile: string | undefined;
let loaded: string[] | undefined;

/**
 * Undoes the launcher's renaming in `env` (so child processes see NODE_EXTRA_CA_CERTS as the user
 * set it) and remembers that node did not load the file.
 */
export function takeDeferredExtraCaCerts(env: NodeJS.ProcessEnv): void {
  const file = env[DEFERRED_EXTRA_CA_CERTS];
  if (file === undefined) return;
  delete env[DEFERRED_EXTRA_CA_CERTS];
  env['NODE_EXTRA_CA_CERTS'] = file;
  deferredFile = file;
  loaded = undefined;
}

/**
 * The CAs node would trust by default, its bundled roots and the extra ones, when node was started
 * without loading the extra ones itself; undefined otherwise (node's defaults already hold them).
 * As with node, an unreadable file leaves the bundled roots alone, with a warning.
 */
export function deferredDefaultCa(): string[] | undefined {
  if (deferredFile === undefined) return undefined;
  if (loaded === undefined) {
    let extra: string[] = [];
    try {
      extra = [readFileSync(deferredFile, 'latin1')];
    } catch (err) {
      process.emitWarning(`Ignoring extra certs from \`${deferredFile}\`, load failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    loaded = [...nodeTls().rootCertificates, ...extra];
  }
  return loaded;
}
