import { addTypenameSelectionDocumentTransform, type ClientPresetConfig } from '@graphql-codegen/client-preset';
import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the operations in src/, from the SDL Tollgate prints.
// `persistedDocuments` also writes src/gql/persisted-documents.json
// (sha256 hex → document text): Tollgate's TRUSTED_DOCUMENTS_MANIFEST as it is.
const presetConfig: ClientPresetConfig = {
  fragmentMasking: false,
  persistedDocuments: { hashAlgorithm: 'sha256' },
};

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/**/*.ts', '!src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig,
      // Both clients ask for __typename (their caches need it); the
      // persisted document must carry it too, since the server runs the
      // manifest's text, not the client's.
      documentTransforms: [addTypenameSelectionDocumentTransform],
      config: {
        scalars: { DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
      },
    },
  },
};

export default config;
