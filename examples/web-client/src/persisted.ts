// Trusted documents on the client side: GraphQL Code Generator stores each
// document's hash on it (`__meta__.hash`, "sha256:<hex>"), the key of the
// same document in persisted-documents.json. Clients send the hex as
// Apollo's persisted-query extension and leave the text out.
import type { DocumentNode } from 'graphql';

export function persistedHash(document: DocumentNode): string {
  const hash = (document as { __meta__?: { hash?: unknown } }).__meta__?.hash;
  if (typeof hash !== 'string') {
    throw new Error('document has no persisted hash; generate it with `npm run codegen`');
  }
  return hash.replace(/^sha256:/, '');
}
