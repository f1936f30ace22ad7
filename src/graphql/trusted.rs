//! Trusted documents: a manifest of the operations the clients were built
//! with (graphql-codegen's persisted documents: lower-case hex SHA-256 of the
//! text → the text). Clients name a document by `documentId` (`sha256:<hex>`
//! or bare hex) or `extensions.persistedQuery.sha256Hash`; in only-trusted
//! mode nothing else runs, over HTTP or WebSocket.

use std::{collections::HashMap, fmt, sync::Arc};

use crate::{cache::documents::sha256_hex, config::ConfigError};

const MANIFEST: &str = "TRUSTED_DOCUMENTS_MANIFEST";

/// The manifest, and whether only its documents may run.
#[derive(Default)]
pub struct TrustedDocuments {
    only: bool,
    documents: HashMap<String, Arc<str>>,
}

impl TrustedDocuments {
    /// Reads and checks the manifest (every key must be its document's hash).
    /// Part of loading the configuration, so a bad manifest stops start-up
    /// before the database is touched.
    pub fn load(only: bool, manifest: Option<&str>) -> Result<Self, ConfigError> {
        let Some(path) = manifest else {
            if only {
                return Err(ConfigError::new(
                    MANIFEST,
                    "required when TRUSTED_DOCUMENTS=only",
                ));
            }
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|err| ConfigError::new(MANIFEST, format!("cannot read {path}: {err}")))?;
        let entries: HashMap<String, String> = serde_json::from_str(&text).map_err(|err| {
            ConfigError::new(
                MANIFEST,
                format!("not a JSON object of sha256 → document: {err}"),
            )
        })?;
        let mut documents = HashMap::with_capacity(entries.len());
        for (hash, document) in entries {
            let hash = hash.to_ascii_lowercase();
            if sha256_hex(&document) != hash {
                return Err(ConfigError::new(
                    MANIFEST,
                    format!("the entry {hash} is not the sha256 of its document"),
                ));
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

/// The mode and the manifest's size: the documents would flood a printed
/// configuration.
impl fmt::Debug for TrustedDocuments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedDocuments")
            .field("only", &self.only)
            .field("documents", &self.documents.len())
            .finish()
    }
}
