// An Apollo Client: HttpLink for queries and mutations, GraphQLWsLink
// (graphql-ws) for subscriptions. With `persisted`, PersistedQueryLink sends
// each operation as the hash GraphQL Code Generator computed, never
// retrying with the text, as a server running TRUSTED_DOCUMENTS=only requires.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import type { Client as WsClient } from 'graphql-ws';
import { persistedHash } from './persisted';
import { bearer, createWsClient, type ClientOptions } from './transport';

export interface Apollo {
  client: ApolloClient;
  close(): Promise<void>;
}

export function createApolloClient(options: ClientOptions): Apollo {
  const ws = createWsClient(options);
  const auth = new SetContextLink((prev) => {
    const authorization = bearer(options);
    return authorization ? { headers: { ...prev.headers, authorization } } : {};
  });
  const transport = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
    },
    new GraphQLWsLink(options.persisted ? hashOnly(ws) : ws),
    new HttpLink({ uri: options.url, fetch: options.fetch }),
  );
  const persisted = new PersistedQueryLink({
    generateHash: persistedHash,
    retry: () => false,
  });
  const link = options.persisted ? ApolloLink.from([auth, persisted, transport]) : auth.concat(transport);
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  return {
    client,
    close: async () => {
      client.stop();
      await ws.dispose();
    },
  };
}

/**
 * GraphQLWsLink always sends the printed text beside the extensions, where
 * HttpLink honours PersistedQueryLink's `includeQuery: false`; leave the
 * text out of hashed operations here too.
 */
function hashOnly(ws: WsClient): WsClient {
  return {
    ...ws,
    subscribe: (payload, sink) =>
      ws.subscribe(payload.extensions?.persistedQuery ? { ...payload, query: '' } : payload, sink),
  };
}
