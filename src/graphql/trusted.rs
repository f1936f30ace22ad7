//! Trusted documents: a manifest of the operations the clients were built
//! with (graphql-codegen's persisted documents: lower-case hex SHA-256 of the
//! text → the text). Clients name a document by `documentId` (`sha256:<hex>`
//! or bare hex) or `extensions.persistedQuery.sha256Hash`; in only-trusted
//! mode nothing else runs, over HTTP or WebSocket.

use std::{collections::HashMap, sync::Arc};

use crate::cache::documents::sha256_hex;
use anyhow::{Context, bail};

/// The manifest, and whether only its documents may run.
#[derive(Default)]
pub struct TrustedDocuments {
    only: bool,
    documents: HashMap<String, Arc<str>>,
}

impl TrustedDocuments {
    /// Reads and checks the manifest (every key must be its document's hash).
    pub fn load(only: bool, manifest: Option<&str>) -> anyhow::Result<Self> {
        let Some(path) = manifest else {
            if only {
                bail!("TRUSTED_DOCUMENTS_MANIFEST: required when TRUSTED_DOCUMENTS=only");
            }
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("TRUSTED_DOCUMENTS_MANIFEST: cannot read {path}"))?;
        let entries: HashMap<String, String> = serde_json::from_str(&text)
            .context("TRUSTED_DOCUMENTS_MANIFEST: not a JSON object of sha256 → document")?;
        let mut documents = HashMap::with_capacity(entries.len());
        for (hash, document) in entries {
            let hash = hash.to_ascii_lowercase();
            if sha256_hex(&document) != hash {
                bail!(
                    "TRUSTED_DOCUMENTS_MANIFEST: the entry {hash} is not the sha256 of its document"
                );
            }
            documents.insert(hash, Arc::from(document));
        }
        Ok(Self { only, documents })
    }

    pub fn only(&self) -> bool {
        self.only
    }

    /// The document named `id` (`sha256:<hex>` or bare hex).
    pub fn get(&self, id: &str) -> Option<Arc<str>> {
        let hex = id
            .strip_prefix("sha256:")
            .unwrap_or(id)
            .to_ascii_lowercase();
        self.documents.get(&hex).cloned()
    }

    pub fn contains(&self, query: &str) -> bool {
        self.documents.contains_key(&sha256_hex(query))
    }
}
