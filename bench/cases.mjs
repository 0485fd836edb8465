// The benchmark cases as data: each sets up its inputs and names the two commands to compare.
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

function generated(services) {
  return async ({ root }) => {
    const dir = mkdtempSync(join(tmpdir(), `kasane-bench-${services}-`));
    execFileSync(process.execPath, [join(root, 'bench', 'generate.mjs'), '--services', String(services), '--out', dir]);
    return {
      kasane: { bin: join(root, 'bin', 'kasane.js'), args: ['render', '--env', 'bench', '--repo-root', join(dir, 'kasane')] },
      peer: { bin: join(root, '.tools', 'bin', 'helm'), args: ['template', 'bench', join(dir, 'helm', 'svc'), '--namespace', 'bench'] },
      teardown: () => rmSync(dir, { recursive: true, force: true }),
    };
  };
}

// ---- cluster cases: one devcluster per case, the same server for kasane and its peer ----

/** Starts bench/devcluster.mjs as a child process; `call(op)` sends it a command and awaits its answer. */
async function startCluster(root, dir) {
  const kubeconfig = join(dir, 'kubeconfig');
  const child = fork(join(root, 'bench', 'devcluster.mjs'), [kubeconfig], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map();
  child.on('message', (msg) => {
    const pending = waiting.get(msg.op);
    waiting.delete(msg.op);
    pending?.(msg);
  });
  child.on('exit', (code) => {
    for (const [op, pending] of waiting) pending({ op, error: `the devcluster exited (${code}) before answering` });
    waiting.clear();
  });
  const answer = (op) => new Promise((resolve, reject) => {
    waiting.set(op, (msg) => (msg.error ? reject(new Error(`devcluster ${op}: ${msg.error}`)) : resolve(msg)));
  });
  const ready = await answer('ready');
  const call = async (op, extra = {}) => {
    const reply = answer(op);
    child.send({ op, ...extra });
    return reply;
  };
  return { kubeconfig, url: ready.url, call, stop: async () => { await call('stop').catch(() => undefined); child.kill(); } };
}

/** Objects per generated service: ServiceAccount, ConfigMap, Service, Deployment, and every fifth an HPA. */
const servicesFor = (objects) => {
  let n = 0;
  while (4 * (n + 1) + Math.ceil((n + 1) / 5) <= objects) n++;
  return n;
};

/** A generated repository of about `objects` objects, a devcluster, and the kasane/kubectl command lines. */
async function clusterSetup(root, objects) {
  const dir = mkdtempSync(join(tmpdir(), `kasane-bench-cluster-`));
  execFileSync(process.execPath, [join(root, 'bench', 'generate.mjs'), '--services', String(servicesFor(objects)), '--out', dir]);
  const repo = join(dir, 'kasane');
  const cluster = await startCluster(root, dir);
  const env = { KUBECONFIG: cluster.kubeconfig, HOME: dir };
  const kasane = (...args) => ({ bin: join(root, 'bin', 'kasane.js'), args: ['--repo-root', repo, ...args], env });
  const kubectl = (...args) => ({ bin: join(root, '.tools', 'bin', 'kubectl'), args: ['--kubeconfig', cluster.kubeconfig, '--cache-dir', join(dir, 'kube-cache'), ...args], env });
  const run = (cmd, okCodes = [0]) => {
    try {
      return execFileSync(cmd.bin, cmd.args, { env: { ...process.env, ...cmd.env }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      if (okCodes.includes(err.status)) return err.stdout;
      throw new Error(`${cmd.args.join(' ')} exited ${err.status}: ${String(err.stderr).slice(-2000)}`);
    }
  };
  const rendered = join(dir, 'rendered.yaml');
  const render = () => writeFileSync(rendered, run(kasane('render', '--env', 'bench', '--show-secrets')));
  const reset = () => cluster.call('reset', { namespaces: ['bench'] });
  await reset();
  const teardown = async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, repo, cluster, kasane, kubectl, run, rendered, render, reset, teardown };
}

/** Changes the image of `count` Deployments that have no HPA, so exactly `count` objects differ. */
function changeImages(repo, count) {
  const file = join(repo, 'charts', 'svc', 'values.yaml');
  const values = JSON.parse(readFileSync(file, 'utf8'));
  const targets = values.services.filter((s) => !s.autoscale).slice(0, count);
  if (targets.length < count) throw new Error(`only ${targets.length} services to change, ${count} wanted`);
  for (const s of targets) s.image = s.image.replace(/:[^:]+$/, ':2.0.0-bench');
  writeFileSync(file, `${JSON.stringify(values, null, 1)}\n`);
}

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/**
 * Hooks that record the devcluster's own CPU time and requests during each measured run of either
 * side: the server is JavaScript on the same cores, so its share says how far a ratio can go.
 */
function serverShare(cluster, before = async () => {}) {
  const seen = { kasane: [], peer: [] };
  const start = async () => {
    await before();
    await cluster.call('clearStats');
  };
  const stop = (side) => async ({ warmup }) => {
    const { stats } = await cluster.call('stats');
    if (!warmup) seen[side].push(stats);
  };
  return {
    hooks: { before: start, after: stop('kasane'), beforePeer: start, afterPeer: stop('peer') },
    report: () => ({
      'devcluster CPU s per run (median), kasane / peer': `${med(seen.kasane.map((s) => s.cpuSeconds)).toFixed(2)} / ${med(seen.peer.map((s) => s.cpuSeconds)).toFixed(2)}`,
      'API requests per run (median), kasane / peer': `${med(seen.kasane.map((s) => s.requests))} / ${med(seen.peer.map((s) => s.requests))}`,
      'requests by verb (last run), kasane': JSON.stringify(seen.kasane.at(-1)?.byVerb ?? {}),
      'requests by verb (last run), peer': JSON.stringify(seen.peer.at(-1)?.byVerb ?? {}),
    }),
  };
}

export const cases = [
  {
    name: 'render 5,000 services',
    peer: 'helm template',
    target: 0.33,
    describe: 'render a generated chart of 5,000 services (~21,000 objects, ~10 MB of YAML)',
    setup: generated(5000),
  },
  {
    name: 'render 1,000 services',
    peer: 'helm template',
    target: 0.5,
    describe: 'render a generated chart of 1,000 services (~4,200 objects)',
    setup: generated(1000),
  },
  {
    name: 'render small chart, cold process',
    peer: 'helm template',
    target: 1.5,
    describe: 'render a generated chart of 3 services in a fresh process (start-up dominates)',
    runsScale: 4,
    setup: async (args) => {
      const ctx = await generated(3)(args);
      // Measured in the same alternation: the floor under this ratio, node starting and exiting with
      // nothing to do (which depends on the environment, e.g. NODE_EXTRA_CA_CERTS), and the same
      // render started as `node bin/kasane.js`, where node loads NODE_EXTRA_CA_CERTS itself.
      return {
        ...ctx,
        alongside: [
          { label: 'node start-up alone (`node -e 0`)', bin: process.execPath, args: ['-e', '0'] },
          { label: 'node start-up alone without NODE_EXTRA_CA_CERTS', bin: '/usr/bin/env', args: ['-u', 'NODE_EXTRA_CA_CERTS', process.execPath, '-e', '0'] },
          { label: 'the same render as `node bin/kasane.js …`', bin: process.execPath, args: [ctx.kasane.bin, ...ctx.kasane.args] },
        ],
      };
    },
  },
  {
    name: 'diff 1,000 objects, 50 changed',
    peer: 'kubectl diff --server-side',
    target: 0.2,
    describe: 'the generated chart (1,000 objects) synced to the devcluster, then 50 Deployments changed in Git; both diff the new desired state against the cluster',
    setup: async ({ root }) => {
      const s = await clusterSetup(root, 1000);
      s.run(s.kasane('sync', '--env', 'bench'));
      changeImages(s.repo, 50);
      s.render();
      // Check the premise once: both tools must see exactly 50 changed objects.
      const report = JSON.parse(s.run(s.kasane('diff', '--env', 'bench', '-o', 'json'), [0, 2]));
      const share = serverShare(s.cluster);
      return {
        ...share.hooks,
        kasane: { ...s.kasane('diff', '--env', 'bench', '--detailed-exitcode'), okCodes: [0, 2] },
        peer: { ...s.kubectl('diff', '--server-side', '--force-conflicts', '-f', s.rendered), okCodes: [0, 1] },
        report: () => ({ 'objects kasane reports changed (from `diff -o json`)': changedCount(report), ...share.report() }),
        teardown: s.teardown,
      };
    },
  },
  {
    name: 'first apply of 1,000 objects',
    peer: 'kubectl apply --server-side',
    target: 0.5,
    describe: 'the generated chart (1,000 objects) applied to an empty namespace of a reset devcluster (kasane sync also waits for the Deployments to be healthy; rollouts complete at once)',
    setup: async ({ root }) => {
      const s = await clusterSetup(root, 1000);
      s.render();
      const share = serverShare(s.cluster, s.reset);
      return {
        kasane: s.kasane('sync', '--env', 'bench'),
        peer: s.kubectl('apply', '--server-side', '-f', s.rendered),
        ...share.hooks,
        report: share.report,
        teardown: s.teardown,
      };
    },
  },
  {
    name: 'sync with nothing to change, 1,000 objects',
    describe: 'kasane sync of the generated chart (1,000 objects) already in sync; API calls and writes counted by the devcluster',
    verdict: (extra) => (extra._writes === 0 ? 'yes (zero writes)' : `no (${extra._writes} writes)`),
    setup: async ({ root }) => {
      const s = await clusterSetup(root, 1000);
      s.run(s.kasane('sync', '--env', 'bench'));
      const samples = [];
      return {
        kasane: s.kasane('sync', '--env', 'bench'),
        before: () => s.cluster.call('clearStats'),
        after: async ({ warmup }) => {
          const { stats } = await s.cluster.call('stats');
          if (!warmup) samples.push(stats);
        },
        report: () => {
          const writes = Math.max(...samples.map((x) => x.writes));
          return {
            _writes: writes,
            'writes per sync (largest over all runs; dry runs not counted)': writes,
            'API requests per sync (median)': med(samples.map((x) => x.requests)),
            'devcluster CPU s per sync (median)': med(samples.map((x) => x.cpuSeconds)).toFixed(2),
            'requests by verb (last run)': JSON.stringify(samples.at(-1)?.byVerb ?? {}),
          };
        },
        teardown: s.teardown,
      };
    },
  },
  {
    name: 'daemon steady state, 2,000 objects',
    describe: 'kasane daemon following a Git repository of the generated chart (2,000 objects), run as the kasane chart runs it (NODE_OPTIONS of the Deployment that `kasane render --env kasane` makes of charts/kasane, i.e. values.maxHeapMb): RSS of the daemon process once it has synced and idled 10 s',
    runs: 1,
    warmup: 0,
    verdict: (extra) => (extra._rssMb <= 150 ? 'yes (≤ 150 MB)' : 'no (> 150 MB)'),
    setup: daemonSetup(chartNodeOptions),
  },
  {
    name: 'daemon steady state, 2,000 objects, node defaults',
    describe: 'the same without NODE_OPTIONS (node sizes its heap by the machine): what the chart\'s heap limit changes',
    runs: 1,
    warmup: 0,
    verdict: (extra) => (extra._rssMb <= 150 ? 'yes (≤ 150 MB)' : 'no (> 150 MB)'),
    setup: daemonSetup(() => undefined),
  },
];

/** NODE_OPTIONS of the kasane container in the Deployment that kasane renders from charts/kasane. */
function chartNodeOptions(root) {
  const rendered = execFileSync(process.execPath, [join(root, 'bin', 'kasane.js'), '--repo-root', root, 'render', '--env', 'kasane'], { encoding: 'utf8' });
  const deployment = parseAllDocuments(rendered).map((d) => d.toJS()).find((o) => o?.kind === 'Deployment');
  const container = deployment?.spec?.template?.spec?.containers?.find((c) => c.name === 'kasane');
  if (container === undefined) throw new Error('kasane render --env kasane made no Deployment with a kasane container');
  return container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
}

function daemonSetup(nodeOptionsOf) {
  return async ({ root }) => {
    const nodeOptions = nodeOptionsOf(root);
    const s = await clusterSetup(root, 2000);
    execFileSync('git', ['init', '-q', '-b', 'main', s.repo]);
    execFileSync('git', ['-C', s.repo, 'add', '.']);
    execFileSync('git', ['-C', s.repo, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-m', 'bench']);
    const result = join(s.dir, 'daemon.json');
    return {
      kasane: {
        bin: process.execPath,
        args: [join(root, 'bench', 'daemon-rss.mjs'), '--repo', s.repo, '--kubeconfig', s.cluster.kubeconfig, '--out', result, '--idle', '10', ...(nodeOptions ? [`--node-options=${nodeOptions}`] : [])],
      },
      before: s.reset,
      report: () => {
        const r = JSON.parse(readFileSync(result, 'utf8'));
        return {
          _rssMb: r.rssMb,
          NODE_OPTIONS: nodeOptions ?? '(none)',
          'daemon RSS after sync + 10 s idle (MB)': r.rssMb.toFixed(0),
          'daemon peak RSS (VmHWM, MB)': r.peakMb.toFixed(0),
          'time to first Synced (s)': r.syncedSeconds.toFixed(1),
        };
      },
      teardown: s.teardown,
    };
  };
}

function changedCount(report) {
  const { create = 0, update = 0, prune = 0 } = report.summary ?? {};
  return `${create + update + prune} (create ${create}, update ${update}, prune ${prune})`;
}
