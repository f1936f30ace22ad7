// What the flows share: the trusted modes to run, unique names, and a fetch
// that records what was sent, so the only-trusted runs can show that no
// document text left the client.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { ClientOptions } from '../src/transport';
import { startServer, type Server, type TrustedMode } from './server';

/** `TRUSTED_DOCUMENTS_MODES=off,only` (the default) picks the runs. */
export function trustedModes(): TrustedMode[] {
  const modes = (process.env.TRUSTED_DOCUMENTS_MODES ?? 'off,only').split(',').map((m) => m.trim());
  for (const mode of modes) assert.ok(mode === 'off' || mode === 'only', `unknown trusted mode ${mode}`);
  return modes as TrustedMode[];
}

export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export const password = 'correct-horse-battery';

interface Recorder {
  fetch: typeof fetch;
  /** The JSON bodies (or GET parameters) of every request sent. */
  sent: Record<string, unknown>[];
}

function recordingFetch(): Recorder {
  const sent: Record<string, unknown>[] = [];
  const recording: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (typeof init?.body === 'string') {
      sent.push(JSON.parse(init.body) as Record<string, unknown>);
    } else {
      // A GET (urql sends hashed queries so): extensions and variables are JSON.
      const params = Object.fromEntries(url.searchParams);
      for (const key of ['extensions', 'variables']) {
        if (params[key]) params[key] = JSON.parse(params[key]);
      }
      sent.push(params);
    }
    return fetch(input, init);
  };
  return { fetch: recording, sent };
}

export interface Suite {
  readonly server: Server;
  readonly recorder: Recorder;
  /** Options for a client signed in with whatever token `session` holds. */
  options(session?: { token?: string }): ClientOptions;
  /** Closes the client's sockets when the suite ends. */
  track<C extends { close(): Promise<void> }>(client: C): C;
}

/** A server for the `describe` block this is called in, stopped after it. */
export function serverPerSuite(mode: TrustedMode): Suite {
  let server: Server | undefined;
  const recorder = recordingFetch();
  const clients: { close(): Promise<void> }[] = [];
  before(async () => {
    server = await startServer(mode);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.stop();
  });
  const started = () => {
    assert.ok(server, 'the server has not started');
    return server;
  };
  return {
    get server() {
      return started();
    },
    recorder,
    options: (session = {}) => ({
      url: started().url,
      wsUrl: started().wsUrl,
      token: () => session.token,
      persisted: mode === 'only',
      fetch: recorder.fetch,
    }),
    track(client) {
      clients.push(client);
      return client;
    },
  };
}

/** The suite's last test: how its requests named their documents. */
export function testDocumentsNamed(mode: TrustedMode, suite: Suite): void {
  test(`requests named their documents ${mode === 'only' ? 'by hash alone' : 'by text'}`, async () => {
    assertHashesOnly(mode, suite.recorder);
    if (mode === 'only') await assertUntrustedRefused(suite.server.url);
  });
}

/** In only-trusted mode every request named its document by hash alone. */
function assertHashesOnly(mode: TrustedMode, recorder: Recorder): void {
  assert.ok(recorder.sent.length > 0);
  for (const body of recorder.sent) {
    if (mode === 'only') {
      assert.ok(!body.query, `sent a document's text: ${JSON.stringify(body)}`);
      assert.match(JSON.stringify(body.extensions), /"sha256Hash":"[0-9a-f]{64}"/);
    } else {
      assert.equal(typeof body.query, 'string');
    }
  }
}

/** A refused untrusted document: HTTP 400, PERSISTED_QUERY_NOT_FOUND. */
async function assertUntrustedRefused(url: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ products(first: 1) { edges { node { id } } } }' }),
  });
  assert.equal(response.status, 400);
  const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
  assert.equal(body.errors[0]?.extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
}

/** Resolves with the events of a subscription until `until` accepts one. */
export function collect<T>(until: (event: T) => boolean, timeoutMs = 10_000) {
  const events: T[] = [];
  let settle!: () => void;
  let fail!: (err: unknown) => void;
  const done = new Promise<T[]>((resolve, reject) => {
    settle = () => resolve(events);
    fail = reject;
  });
  const timer = setTimeout(() => fail(new Error(`no final event within ${timeoutMs} ms: ${JSON.stringify(events)}`)), timeoutMs);
  return {
    done,
    push(event: T) {
      events.push(event);
      if (until(event)) {
        clearTimeout(timer);
        settle();
      }
    },
    error(err: unknown) {
      clearTimeout(timer);
      fail(err);
    },
  };
}

/** Waits until the server runs `count` subscriptions (its
 * `tollgate_subscriptions_active` gauge): graphql-ws does not acknowledge a
 * subscription, and events made before it runs are not delivered. */
export async function subscribed(server: Server, count = 1, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(server.metricsUrl)).text();
    const active = Number(/^tollgate_subscriptions_active (\S+)$/m.exec(text)?.[1] ?? 0);
    if (active >= count) return;
    if (Date.now() > deadline) throw new Error(`${count} subscription(s) not running within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
