import { InvalidArgumentError, Option, type Command } from 'commander';
import { createHash } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { connect } from '../../cluster/index.js';
import { Daemon } from '../../controller/index.js';
import { parseDuration } from '../../environment/duration.js';
import { KasaneError } from '../../errors.js';
import { GitSource, readSecret, type GitAuth, type SecretSource } from '../../git/index.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit.js';

interface DaemonFlags {
  repo: string;
  branch?: string;
  tag?: string;
  path?: string;
  env: string[];
  listen: string;
  cacheDir?: string;
  gitUsername?: string;
  gitPasswordFile?: string;
  gitPasswordEnv?: string;
  sshKeyFile?: string;
  sshKnownHosts?: string;
  webhookSecretFile?: string;
  webhookSecretEnv?: string;
  leaderElection: boolean;
  leaseNamespace?: string;
  leaseName: string;
  leaseDuration: number;
  identity?: string;
  advertiseUrl?: string;
  backoffMax: number;
  lockWait: number;
}

/** `kasane daemon`: keep environments in step with a Git branch or tag, unattended. */
export function registerDaemon(program: Command, ctx: CliContext, done: (code: number) => void): void {
  program
    .command('daemon')
    .description('keep the cluster in step with a Git repository: poll or take webhooks, sync, correct drift')
    .requiredOption('--repo <url>', 'Git URL (https://, ssh://, git@host:path, file://); credentials never go in the URL')
    .option('--branch <name>', 'branch to follow (default: main)')
    .option('--tag <name>', 'tag to follow instead of a branch')
    .option('--path <dir>', 'subdirectory of the repository holding charts/ and environments/')
    .requiredOption('--env <env>', 'environment to keep in step (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--listen <addr>', 'HTTP address for probes, metrics, status and the webhook', ':8080')
    .option('--cache-dir <dir>', 'where the local clone lives (default: a directory under the system temp dir)')
    .option('--git-username <name>', 'HTTPS user name sent with --git-password-* (default: x-access-token)')
    .option('--git-password-file <file>', 'HTTPS password or token, read from this file (a mounted Secret)')
    .option('--git-password-env <var>', 'HTTPS password or token, read from this environment variable')
    .option('--ssh-key-file <file>', 'SSH private key for the remote')
    .option('--ssh-known-hosts <file>', 'known_hosts file; the remote host key is checked strictly against it')
    .option('--webhook-secret-file <file>', 'secret that webhook signatures are checked against, from this file')
    .option('--webhook-secret-env <var>', 'secret that webhook signatures are checked against, from this variable')
    .option('--no-leader-election', 'sync without taking the leader Lease (only when a single replica runs)')
    .option('--lease-namespace <ns>', 'namespace of the leader Lease (default: $POD_NAMESPACE, then default)')
    .option('--lease-name <name>', 'name of the leader Lease', 'kasane-daemon')
    .addOption(new Option('--lease-duration <duration>', 'how long a leader that stopped renewing keeps the Lease').argParser(durationArg).default(15_000, '15s'))
    .option('--identity <name>', 'this replica\'s name in the Lease and release locks (default: $POD_NAME, then the host name)')
    .option('--advertise-url <url>', 'where other replicas reach this one, to forward webhooks (default: http://$POD_IP:PORT)')
    .addOption(new Option('--backoff-max <duration>', 'longest wait between retries of a failing environment').argParser(durationArg).default(5 * 60_000, '5m'))
    .addOption(new Option('--lock-wait <duration>', 'how long a sync waits for a release lock held by another process').argParser(durationArg).default(60_000, '1m'))
    .action(async (flags: DaemonFlags) => {
      const globals = ctx.globals();
      if (flags.env.length === 0) throw new KasaneError('no environment to keep in step', { hint: 'name one or more with --env ENV' });
      if (flags.branch !== undefined && flags.tag !== undefined) throw new KasaneError('--branch and --tag exclude each other', { hint: 'follow either a branch or a tag' });
      const listen = parseListen(flags.listen);
      const identity = flags.identity ?? ctx.env['POD_NAME'] ?? hostname();
      const source = new GitSource({
        url: flags.repo,
        ref: flags.tag ?? flags.branch ?? 'main',
        ...(flags.path === undefined ? {} : { path: flags.path }),
        cacheDir: flags.cacheDir ?? join(tmpdir(), `kasane-daemon-${createHash('sha256').update(flags.repo).digest('hex').slice(0, 12)}`),
        auth: gitAuth(flags),
        env: ctx.env,
      });
      const webhookSecret = await secretFrom(flags.webhookSecretFile, flags.webhookSecretEnv, ctx.env);
      const log = pino(
        { base: { identity }, messageKey: 'msg', hooks: { streamWrite: (s: string) => source.redact(webhookSecret === undefined ? s : s.split(webhookSecret).join('***')) } },
        ctx.stdout,
      );
      const client = await connect({ kubeconfig: globals.kubeconfig, context: globals.context, env: ctx.env });
      const podIp = ctx.env['POD_IP'];
      const advertiseUrl = flags.advertiseUrl ?? (podIp === undefined ? undefined : `http://${podIp.includes(':') ? `[${podIp}]` : podIp}:${listen.port}`);
      const daemon = new Daemon({
        client,
        source,
        environments: flags.env,
        log,
        identity,
        listen,
        ...(webhookSecret === undefined ? {} : { webhookSecret }),
        ...(flags.leaderElection
          ? { leaderElection: { namespace: flags.leaseNamespace ?? ctx.env['POD_NAMESPACE'] ?? 'default', name: flags.leaseName, leaseDurationMs: flags.leaseDuration } }
          : {}),
        ...(advertiseUrl === undefined ? {} : { advertiseUrl }),
        backoffMaxMs: flags.backoffMax,
        lockWaitMs: flags.lockWait,
      });
      await daemon.start();
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          log.info({ signal }, 'signal received');
          daemon.shutdown().then(resolve, (err: unknown) => {
            log.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
            resolve();
          });
        };
        const onTerm = (): void => stop('SIGTERM');
        const onInt = (): void => stop('SIGINT');
        process.on('SIGTERM', onTerm);
        process.on('SIGINT', onInt);
      });
      log.flush();
      done(ExitCode.Ok);
    });
}

function gitAuth(flags: DaemonFlags): GitAuth {
  if (flags.gitPasswordFile !== undefined && flags.gitPasswordEnv !== undefined) {
    throw new KasaneError('--git-password-file and --git-password-env exclude each other', { hint: 'name one source of the password or token' });
  }
  const password: SecretSource | undefined =
    flags.gitPasswordFile !== undefined ? { file: flags.gitPasswordFile } : flags.gitPasswordEnv !== undefined ? { env: flags.gitPasswordEnv } : undefined;
  return {
    ...(flags.gitUsername === undefined ? {} : { username: flags.gitUsername }),
    ...(password === undefined ? {} : { password }),
    ...(flags.sshKeyFile === undefined ? {} : { sshKeyFile: flags.sshKeyFile }),
    ...(flags.sshKnownHosts === undefined ? {} : { knownHostsFile: flags.sshKnownHosts }),
  };
}

async function secretFrom(file: string | undefined, variable: string | undefined, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (file !== undefined && variable !== undefined) throw new KasaneError('--webhook-secret-file and --webhook-secret-env exclude each other');
  const source: SecretSource | undefined = file !== undefined ? { file } : variable !== undefined ? { env: variable } : undefined;
  if (source === undefined) return undefined;
  const secret = await readSecret(source, env);
  if (secret.length < 8) throw new KasaneError('the webhook secret is shorter than 8 characters', { hint: 'use a long random secret, e.g. `openssl rand -hex 32`' });
  return secret;
}

/** `:8080`, `0.0.0.0:8080`, `127.0.0.1:0`, `[::1]:8080`. */
function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value);
  const port = Number(m?.[3]);
  if (m === null || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new KasaneError(`--listen ${value} is not an address`, { hint: 'use HOST:PORT or :PORT, e.g. :8080 or 127.0.0.1:8080' });
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

function durationArg(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError('must be a duration such as 90s, 5m or 1h');
  return ms;
}
