// An urql client: queries and mutations over HTTP, subscriptions over
// graphql-ws (graphql-transport-ws). With `persisted`, every operation is
// sent as its hash alone (`@urql/exchange-persisted`), as a server running
// TRUSTED_DOCUMENTS=only requires. No cacheExchange: every call asks the
// server, whose answers the tests check.
import { Client, fetchExchange, subscriptionExchange, type Exchange } from '@urql/core';
import { persistedExchange } from '@urql/exchange-persisted';
import { persistedHash } from './persisted';
import { bearer, createWsClient, type ClientOptions } from './transport';

export interface UrqlClient {
  client: Client;
  close(): Promise<void>;
}

export function createUrqlClient(options: ClientOptions): UrqlClient {
  const ws = createWsClient(options);
  const exchanges: Exchange[] = [
    fetchExchange,
    subscriptionExchange({
      forwardSubscription: (request) => ({
        subscribe: (sink) => ({
          // A hashed operation has no text; graphql-ws wants a string.
          unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink),
        }),
      }),
    }),
  ];
  if (options.persisted) {
    exchanges.unshift(
      persistedExchange({
        enforcePersistedQueries: true,
        enableForMutation: true,
        enableForSubscriptions: true,
        generateHash: async (_query, document) => persistedHash(document),
      }),
    );
  }
  const client = new Client({
    url: options.url,
    exchanges,
    fetch: options.fetch,
    fetchOptions: () => {
      const authorization = bearer(options);
      return authorization ? { headers: { authorization } } : {};
    },
  });
  return { client, close: () => ws.dispose() as Promise<void> };
}
