// What every client shares: where the server is, the access token for
// HTTP headers and for graphql-ws's connection_init, and hashes-only mode.
import { createClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface ClientOptions {
  /** http(s)://…/graphql */
  url: string;
  /** ws(s)://…/graphql */
  wsUrl: string;
  /** The current access token, read for every request and each WebSocket. */
  token?: () => string | undefined;
  /** Send hashes only: the server accepts nothing but its trusted documents. */
  persisted: boolean;
  fetch?: typeof fetch;
}

/** The Authorization header's value, when signed in. */
export function bearer(options: ClientOptions): string | undefined {
  const token = options.token?.();
  return token ? `Bearer ${token}` : undefined;
}

/** A graphql-ws client that signs in with the token in connection_init. */
export function createWsClient(options: ClientOptions): WsClient {
  return createClient({
    url: options.wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: () => {
      const authorization = bearer(options);
      return authorization ? { Authorization: authorization } : {};
    },
  });
}
