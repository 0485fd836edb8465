// A devcluster for the cluster cases, run as a child process of bench/run.mjs (which blocks while it
// measures, so the server needs its own process). The same server answers kasane and its peer.
// Besides serving, it counts the requests it receives, so a case can report API calls and writes.
//
// Parent → child messages: {op: 'reset', namespaces}, {op: 'clearStats'}, {op: 'stats'}, {op: 'stop'};
// each is answered by {op, ...} once done. The first message sent is {op: 'ready', url, kubeconfig}.
import http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const kubeconfigPath = process.argv[2];
if (!kubeconfigPath || !process.send) {
  process.stderr.write('usage: started by bench/cases.mjs with an IPC channel: devcluster.mjs KUBECONFIG_OUT\n');
  process.exit(1);
}

// cpuSeconds: this server's own CPU time (user + system) since the last clear.
const stats = { requests: 0, reads: 0, writes: 0, dryRuns: 0, byVerb: {} };
let cpuMark = process.cpuUsage();
const clearStats = () => {
  Object.assign(stats, { requests: 0, reads: 0, writes: 0, dryRuns: 0, byVerb: {} });
  cpuMark = process.cpuUsage();
};
const cpuSeconds = () => {
  const d = process.cpuUsage(cpuMark);
  return (d.user + d.system) / 1e6;
};

// Count every request before the devcluster's handler sees it. The devcluster creates its server with
// node:http's createServer; wrapping it here (and syncing the ESM named export) keeps the devcluster's
// code untouched.
const createServer = http.createServer;
http.createServer = (...args) => {
  const handler = args.find((a) => typeof a === 'function');
  const rest = args.filter((a) => typeof a !== 'function');
  return createServer(...rest, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    const verb = req.method === 'GET' ? (watch ? 'WATCH' : 'GET') : req.method ?? '?';
    stats.requests++;
    stats.byVerb[verb] = (stats.byVerb[verb] ?? 0) + 1;
    if (req.method === 'GET' || req.method === 'HEAD') stats.reads++;
    else if (url.searchParams.get('dryRun') === 'All') stats.dryRuns++;
    else stats.writes++;
    handler(req, res);
  });
};
syncBuiltinESMExports();

const { startDevcluster } = await import(pathToFileURL(join(root, 'dist', 'devcluster', 'index.js')).href);
// Rollouts complete at once: the cases measure kasane and kubectl, not the simulated controllers.
const cluster = await startDevcluster({ port: 0, config: { rolloutDelayMs: 0 } });
cluster.writeKubeconfig(kubeconfigPath);

async function createNamespaces(names) {
  for (const name of names) {
    const res = await fetch(`${cluster.url}/api/v1/namespaces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer devcluster' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
    });
    if (res.status !== 201 && res.status !== 409) throw new Error(`creating namespace ${name}: ${res.status} ${await res.text()}`);
  }
}

process.on('message', async (msg) => {
  try {
    switch (msg.op) {
      case 'reset':
        cluster.reset();
        await createNamespaces(msg.namespaces ?? []);
        clearStats();
        process.send({ op: 'reset' });
        break;
      case 'clearStats':
        clearStats();
        process.send({ op: 'clearStats' });
        break;
      case 'stats':
        process.send({ op: 'stats', stats: { ...structuredClone(stats), cpuSeconds: cpuSeconds() } });
        break;
      case 'stop':
        await cluster.stop();
        process.send({ op: 'stop' }, () => process.exit(0));
        break;
      default:
        process.send({ op: msg.op, error: `unknown op ${msg.op}` });
    }
  } catch (err) {
    process.send({ op: msg.op, error: String(err?.stack ?? err) });
  }
});
process.send({ op: 'ready', url: cluster.url });
