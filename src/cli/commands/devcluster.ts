import type { Command } from 'commander';
import { resolve } from 'node:path';
import { KasaneError } from '../../errors.js';
import { loadConfigFile, startDevcluster, type DevclusterConfig } from '../../devcluster/index.js';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit.js';

interface DevclusterFlags {
  port: string;
  host: string;
  state?: string;
  kubeconfigOut?: string;
  config?: string;
}

/** `kasane devcluster`: a local Kubernetes API server for trying kasane without a cluster. */
export function registerDevcluster(program: Command, ctx: CliContext, done: (code: number) => void): void {
  program
    .command('devcluster')
    .description('run a local Kubernetes API server on loopback (kubectl and kasane can use it as a cluster)')
    .option('--port <n>', 'port to listen on (0: any free port)', '0')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--state <file>', 'keep the cluster\'s objects in this file across restarts')
    .option('--kubeconfig-out <file>', 'write a kubeconfig for the server here (otherwise it is printed)')
    .option('--config <file>', 'devcluster configuration: rollout delay, job outcomes and logs, faults')
    .action(async (flags: DevclusterFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new KasaneError(`--port must be a port number, got "${flags.port}"`);
      }
      const config: DevclusterConfig = flags.config === undefined ? {} : loadConfigFile(resolve(flags.config));
      const cluster = await startDevcluster({
        port,
        host: flags.host,
        config,
        ...(flags.state === undefined ? {} : { stateFile: resolve(flags.state) }),
      });
      ctx.stdout.write(`devcluster listening on ${cluster.url}\n`);
      if (flags.kubeconfigOut !== undefined) {
        const path = resolve(flags.kubeconfigOut);
        cluster.writeKubeconfig(path);
        ctx.stdout.write(`kubeconfig written to ${path}\n`);
        ctx.stdout.write(`try: kubectl --kubeconfig ${path} get namespaces\n`);
      } else {
        ctx.stdout.write(cluster.kubeconfig());
      }
      await new Promise<void>((resolveStop) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolveStop();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await cluster.stop();
      ctx.stdout.write('devcluster stopped\n');
      done(ExitCode.Ok);
    });
}
