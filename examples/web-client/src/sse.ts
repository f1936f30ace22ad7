// A graphql-sse client: GraphQL over Server-Sent Events in the protocol's
// distinct-connections mode, each operation one HTTP request answered with
// an event stream (`next` results, then `complete`). With `persisted`, only
// the document's hash is sent, as a server running TRUSTED_DOCUMENTS=only
// requires.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type ExecutionResult, type RequestParams, type Sink } from 'graphql-sse';
import { persistedHash } from './persisted';
import { bearer, type ClientOptions } from './transport';

export interface SseClient {
  /** A query's or mutation's one result. */
  execute<R, V>(document: TypedDocumentNode<R, V>, variables: V): Promise<ExecutionResult<R>>;
  /** A subscription's results, into `sink` until the returned function is called. */
  subscribe<R, V>(document: TypedDocumentNode<R, V>, variables: V, sink: Sink<ExecutionResult<R>>): () => void;
  close(): Promise<void>;
}

export function createSseClient(options: ClientOptions): SseClient {
  const client = createClient({
    url: options.url,
    headers: (): Record<string, string> => {
      const authorization = bearer(options);
      return authorization ? { Authorization: authorization } : {};
    },
    fetchFn: options.fetch ?? fetch,
    // A refused request is the test's answer, not a network blip to retry.
    retryAttempts: 0,
  });
  const request = <R, V>(document: TypedDocumentNode<R, V>, variables: V): RequestParams => {
    const vars = variables as Record<string, unknown>;
    return options.persisted
      ? // A hashed operation has no text; the protocol wants a string.
        { query: '', variables: vars, extensions: { persistedQuery: { version: 1, sha256Hash: persistedHash(document) } } }
      : { query: print(document), variables: vars };
  };
  return {
    async execute<R, V>(document: TypedDocumentNode<R, V>, variables: V) {
      for await (const result of client.iterate<R, Record<string, unknown>>(request(document, variables))) {
        return result;
      }
      throw new Error('the event stream completed without a result');
    },
    subscribe: <R, V>(document: TypedDocumentNode<R, V>, variables: V, sink: Sink<ExecutionResult<R>>) =>
      client.subscribe<R, Record<string, unknown>>(request(document, variables), sink),
    close: async () => client.dispose(),
  };
}
