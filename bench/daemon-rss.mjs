#!/usr/bin/env node
// Starts `kasane daemon` on a Git repository, waits until every environment is Synced, lets it idle,
// and writes the daemon process's resident memory (from /proc/PID/status) to a JSON file:
//   {rssMb, peakMb, syncedSeconds}   (peakMb: VmHWM, the high-water mark while syncing)
//
//   node bench/daemon-rss.mjs --repo DIR --kubeconfig F --out FILE [--env bench] [--idle 10] [--node-options OPTS]
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    repo: { type: 'string' },
    kubeconfig: { type: 'string' },
    out: { type: 'string' },
    env: { type: 'string', default: 'bench' },
    idle: { type: 'string', default: '10' },
    timeout: { type: 'string', default: '300' },
    'node-options': { type: 'string' },
  },
});
if (!args.repo || !args.kubeconfig || !args.out) {
  process.stderr.write('usage: daemon-rss.mjs --repo DIR --kubeconfig F --out FILE [--env bench] [--idle 10]\n');
  process.exit(1);
}

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const port = await freePort();
const started = Date.now();
const daemon = spawn(
  process.execPath,
  [join(root, 'bin', 'kasane.js'), 'daemon', '--repo', `file://${args.repo}`, '--env', args.env, '--listen', `127.0.0.1:${port}`, '--no-leader-election', '--kubeconfig', args.kubeconfig],
  {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, KUBECONFIG: args.kubeconfig, ...(args['node-options'] ? { NODE_OPTIONS: args['node-options'] } : {}) },
  },
);
let stderr = '';
daemon.stderr.on('data', (d) => {
  stderr = (stderr + d).slice(-4000);
});
let exited = false;
daemon.on('exit', () => {
  exited = true;
});

const memory = () => {
  const status = readFileSync(`/proc/${daemon.pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
};

try {
  const deadline = Date.now() + Number(args.timeout) * 1000;
  let synced = false;
  while (!synced) {
    if (exited) throw new Error(`the daemon exited early: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`not Synced within ${args.timeout} s: ${stderr}`);
    await sleep(250);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/status`);
      if (res.ok) {
        const status = await res.json();
        const envs = status.environments ?? [];
        const failed = envs.find((e) => e.state === 'Failed');
        if (failed) throw new Error(`sync failed: ${failed.lastError}`);
        synced = envs.length > 0 && envs.every((e) => e.state === 'Synced' && e.revision !== null);
      }
    } catch (err) {
      if (String(err).includes('sync failed')) throw err;
    }
  }
  const syncedSeconds = (Date.now() - started) / 1000;
  await sleep(Number(args.idle) * 1000);
  if (exited) throw new Error(`the daemon exited while idle: ${stderr}`);
  writeFileSync(args.out, JSON.stringify({ ...memory(), syncedSeconds }));
} finally {
  daemon.kill('SIGTERM');
  const killer = setTimeout(() => daemon.kill('SIGKILL'), 10_000);
  if (!exited) await new Promise((resolve) => daemon.on('exit', resolve));
  clearTimeout(killer);
}
