// Starts a debug build of Tollgate on a fresh SQLite database for one test
// file: `tollgate migrate`, an administrator from `tollgate create-admin`,
// `tollgate serve` on a port the OS picks, ready once /readyz answers 200.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const here = import.meta.dirname;

/** The binary under test: TOLLGATE_BIN, or the workspace's debug build. */
export const binary = resolve(process.env.TOLLGATE_BIN ?? join(here, '../../../target/debug/tollgate'));

/** The manifest GraphQL Code Generator wrote (`npm run codegen`). */
export const manifest = resolve(here, '../src/gql/persisted-documents.json');

export const admin = { email: 'admin@example.test', password: 'admin-password-1234' };

export type TrustedMode = 'off' | 'only';

export interface Server {
  /** http://127.0.0.1:PORT/graphql */
  url: string;
  /** ws://127.0.0.1:PORT/graphql */
  wsUrl: string;
  /** http://127.0.0.1:PORT/metrics */
  metricsUrl: string;
  trusted: TrustedMode;
  stop(): Promise<void>;
}

export async function startServer(trusted: TrustedMode): Promise<Server> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-web-client-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: `sqlite://${join(dir, 'tollgate.db')}?mode=rwc`,
    TOLLGATE_ENV: 'development',
    JWT_SECRET: 'web-client-example-secret-of-32-bytes!',
    BIND_ADDR: '127.0.0.1:0',
    METRICS_ADDR: '127.0.0.1:0',
    RUST_LOG: process.env.RUST_LOG ?? 'warn',
    TRUSTED_DOCUMENTS: trusted,
    ...(trusted === 'only' ? { TRUSTED_DOCUMENTS_MANIFEST: manifest } : {}),
  };
  const run = promisify(execFile);
  await run(binary, ['migrate'], { env });
  await run(binary, ['create-admin', '--email', admin.email, '--password', admin.password], { env });

  const child = spawn(binary, ['serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = async () => {
    await kill(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const { url, metricsUrl } = await listeningUrls(child);
    await ready(new URL('/readyz', url));
    return { url, wsUrl: url.replace(/^http/, 'ws'), metricsUrl, trusted, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The URLs of the lines `Metrics: http://ADDR/metrics` and
 * `GraphiQL: http://ADDR/graphql` that serve prints, in that order. */
function listeningUrls(child: ChildProcess): Promise<{ url: string; metricsUrl: string }> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error('tollgate did not start within 30 s')), 30_000);
    const lines = createInterface({ input: child.stdout! });
    let metricsUrl: string | undefined;
    lines.on('line', (line) => {
      metricsUrl ??= /^Metrics: (http:\/\/\S+)$/.exec(line)?.[1];
      const found = /^GraphiQL: (http:\/\/\S+)$/.exec(line);
      if (found?.[1]) {
        clearTimeout(timer);
        if (metricsUrl) done({ url: found[1], metricsUrl });
        else fail(new Error('tollgate printed no metrics URL'));
      }
    });
    child.once('exit', (code) => fail(new Error(`tollgate exited with ${code} before listening`)));
  });
}

async function ready(url: URL): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const response = await fetch(url).catch(() => undefined);
    if (response?.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200`);
}

/** SIGTERM, then SIGKILL if the server has not drained within 5 s. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
