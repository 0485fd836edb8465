#!/usr/bin/env node
// Runs every benchmark case: kasane and its peer alternately, after a warm-up, on the same machine
// in the same run. Reports median wall time, CPU (user+sys) and peak RSS of each and the ratio
// kasane/peer, and writes bench/results.md with the machine, the versions and the commands.
//
//   npm run bench                       all cases
//   npm run bench -- --only render      cases whose name contains "render"
//   npm run bench -- --runs 3           fewer repetitions
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem, type as osType, release as osRelease } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cases } from './cases.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    only: { type: 'string' },
    out: { type: 'string', default: join(root, 'bench', 'results.md') },
  },
});
const runs = Number(args.runs);
const warmup = Number(args.warmup);
const TIME = '/usr/bin/time';
if (!existsSync(TIME)) {
  process.stderr.write('bench needs GNU time at /usr/bin/time (Debian package "time": apt-get install time)\n');
  process.exit(1);
}
try {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
} catch {
  // tsc still writes dist/ on type errors; say so and measure what was built.
  process.stderr.write('warning: npm run build reported errors (above); benchmarking the JavaScript it emitted\n');
}
execFileSync('npm', ['run', '--silent', 'tools'], { cwd: root, stdio: 'inherit' });

/**
 * Runs one command under GNU time; stdout goes to /dev/null so both tools pay the same for output.
 * GNU time gives CPU and peak RSS; the wall time is taken here, to the microsecond, because GNU
 * time's hundredths of a second are a fifth of a 50 ms start-up.
 */
function measure(cmd) {
  const dir = mkdtempSync(join(tmpdir(), 'kasane-bench-'));
  const timeFile = join(dir, 'time');
  try {
    const started = process.hrtime.bigint();
    const r = spawnSync(TIME, ['-f', '%U %S %M', '-o', timeFile, cmd.bin, ...cmd.args], {
      cwd: cmd.cwd ?? root,
      env: { ...process.env, ...cmd.env },
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const okCodes = cmd.okCodes ?? [0];
    if (!okCodes.includes(r.status ?? -1)) {
      throw new Error(`${cmd.bin} ${cmd.args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(-2000)}`);
    }
    const [user, sys, rssKb] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    return { wall, cpu: user + sys, rssMb: rssKb / 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const summarize = (samples) => ({
  wall: median(samples.map((s) => s.wall)),
  cpu: median(samples.map((s) => s.cpu)),
  rssMb: median(samples.map((s) => s.rssMb)),
});

const selected = cases.filter((c) => !args.only || c.name.includes(args.only));
const results = [];
const failed = [];
for (const c of selected) {
  process.stderr.write(`\n== ${c.name}\n`);
  let ctx;
  try {
    ctx = await c.setup({ root });
    const alongside = ctx.alongside ?? [];
    const row = { case: c, kasane: [], peer: [], alongside: alongside.map(() => []), extra: {} };
    // Hooks: before/after run around each kasane measurement, beforePeer/afterPeer around each peer one
    // (e.g. resetting the cluster before a first apply, counting API calls after a sync).
    // A case may ask for fewer runs (the daemon case measures memory, and one run takes a minute),
    // or for several times as many (a start-up of a twentieth of a second, where one run says little).
    const caseRuns = Math.min(runs * (c.runsScale ?? 1), c.runs ?? Infinity);
    const caseWarmup = Math.min(warmup, c.warmup ?? warmup);
    row.runs = caseRuns;
    for (let i = 0; i < caseWarmup; i++) {
      await ctx.before?.();
      measure(ctx.kasane);
      await ctx.after?.({ warmup: true });
      if (ctx.peer) {
        await ctx.beforePeer?.();
        measure(ctx.peer);
        await ctx.afterPeer?.({ warmup: true });
      }
    }
    for (let i = 0; i < caseRuns; i++) {
      // Alternate so drift in machine load hits both sides alike.
      await ctx.before?.();
      row.kasane.push(measure(ctx.kasane));
      await ctx.after?.({ warmup: false });
      if (ctx.peer) {
        await ctx.beforePeer?.();
        row.peer.push(measure(ctx.peer));
        await ctx.afterPeer?.({ warmup: false });
      }
      alongside.forEach((cmd, j) => row.alongside[j].push(measure(cmd)));
      process.stderr.write(`  run ${i + 1}/${caseRuns}: kasane ${row.kasane.at(-1).wall.toFixed(3)}s${ctx.peer ? `, peer ${row.peer.at(-1).wall.toFixed(3)}s` : ''}\n`);
    }
    row.extra = (await ctx.report?.()) ?? {};
    alongside.forEach((cmd, j) => {
      const f = summarize(row.alongside[j]);
      row.extra[`${cmd.label}, median wall s / CPU s`] = `${f.wall.toFixed(3)} / ${f.cpu.toFixed(2)}`;
    });
    row.commands = { kasane: ctx.kasane, peer: ctx.peer };
    results.push(row);
  } catch (err) {
    // One broken case must not lose the others' results: it is reported as failed.
    process.stderr.write(`  failed: ${err?.stack ?? err}\n`);
    failed.push({ case: c, error: String(err?.message ?? err).slice(0, 1500) });
  } finally {
    await ctx?.teardown?.();
  }
}

const version = (bin, a) => {
  try {
    return execFileSync(bin, a, { encoding: 'utf8' }).trim().split('\n')[0];
  } catch {
    return 'unknown';
  }
};
const tools = join(root, '.tools', 'bin');
const fmt = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '—');
// No machine-specific paths in the report: the checkout, the temp dir and node are named generically.
const portable = (a) => (a === process.execPath ? 'node' : a.replaceAll(root + '/', '').replaceAll(tmpdir(), '$TMPDIR'));
const show = (cmd) => (cmd ? `\`${[cmd.bin, ...cmd.args].map(portable).join(' ')}\`` : '—');

const lines = [];
lines.push('# Benchmark results', '');
lines.push(`Generated by \`npm run bench\` (${runs} runs per side after ${warmup} warm-up unless a case asks for fewer, alternating; medians).`, '');
lines.push('## Machine', '');
lines.push(`- ${osType()} ${osRelease()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`);
// Node reads the file NODE_EXTRA_CA_CERTS names at every start-up, before any of kasane's code runs.
lines.push(`- NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? 'is set (node loads those certificates at every start)' : 'is not set'}`);
lines.push(`- node ${process.version}; helm: ${version(join(tools, 'helm'), ['version', '--short'])}; kubectl: ${version(join(tools, 'kubectl'), ['version', '--client'])}`);
lines.push('');
lines.push('## Results', '');
lines.push('| case | peer | runs | kasane wall s | peer wall s | ratio (wall) | target | met | kasane CPU s | peer CPU s | kasane peak MB | peer peak MB |');
lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const k = summarize(r.kasane);
  const p = r.peer.length ? summarize(r.peer) : undefined;
  const ratio = p ? k.wall / p.wall : NaN;
  const met = r.case.verdict ? r.case.verdict(r.extra) : r.case.target === undefined ? '—' : p ? (ratio <= r.case.target ? 'yes' : 'no') : '—';
  lines.push(`| ${r.case.name} | ${r.case.peer ?? '—'} | ${r.runs} | ${fmt(k.wall, 3)} | ${p ? fmt(p.wall, 3) : '—'} | ${fmt(ratio)} | ${r.case.target === undefined ? '—' : `≤ ${r.case.target}`} | ${met} | ${fmt(k.cpu)} | ${p ? fmt(p.cpu) : '—'} | ${fmt(k.rssMb, 0)} | ${p ? fmt(p.rssMb, 0) : '—'} |`);
}
for (const f of failed) lines.push(`| ${f.case.name} | ${f.case.peer ?? '—'} | — | — | — | — | ${f.case.target === undefined ? '—' : `≤ ${f.case.target}`} | failed to run (below) | — | — | — | — |`);
if (failed.length) {
  lines.push('', '## Cases that failed to run', '');
  for (const f of failed) lines.push(`- ${f.case.name}:`, '', '```', f.error, '```', '');
}
const extras = results.filter((r) => Object.keys(r.extra).length);
if (extras.length) {
  lines.push('', '## Other figures', '');
  for (const r of extras) for (const [key, value] of Object.entries(r.extra)) if (!key.startsWith('_')) lines.push(`- ${r.case.name}: ${key}: ${value}`);
}
lines.push('', '## Commands', '');
for (const r of results) {
  lines.push(`- ${r.case.name}: ${r.case.describe}`);
  lines.push(`  - kasane: ${show(r.commands.kasane)}`);
  if (r.commands.peer) lines.push(`  - peer: ${show(r.commands.peer)}`);
}
lines.push('', 'Reproduce: `npm run bench` (or `npm run bench -- --only <case>`). The data is generated by `bench/generate.mjs`.', '');
writeFileSync(args.out, lines.join('\n'));
process.stderr.write(`\nwrote ${args.out}\n`);
