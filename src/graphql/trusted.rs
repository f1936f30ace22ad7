//! Trusted documents: a manifest of the operations the clients were built
//! with (graphql-codegen's persisted documents: SHA-256 of the text → the
//! text, the key bare lower-case hex or, as client-preset writes it,
//! `sha256:<hex>`). Clients name a document by `documentId` (`sha256:<hex>`
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
        Self::parse(only, &text)
    }

    /// The manifest's text: a JSON object of hash → document, each hash
    /// checked against its document.
    fn parse(only: bool, text: &str) -> Result<Self, ConfigError> {
        let entries: HashMap<String, String> = serde_json::from_str(text).map_err(|err| {
            ConfigError::new(
                MANIFEST,
                format!("not a JSON object of sha256 → document: {err}"),
            )
        })?;
        let mut documents = HashMap::with_capacity(entries.len());
        for (key, document) in entries {
            let hash = manifest_hash(&key)?;
            if sha256_hex(&document) != hash {
                return Err(ConfigError::new(
                    MANIFEST,
                    format!("the entry {key} is not the sha256 of its document"),
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

/// The lower-case hex of a manifest key: bare hex, or `sha256:<hex>` as
/// graphql-codegen's client-preset writes it. Another algorithm's prefix
/// (client-preset's default is sha1) is named, so the fix is plain.
fn manifest_hash(key: &str) -> Result<String, ConfigError> {
    let hex = match key.split_once(':') {
        None => key,
        Some((algorithm, hex)) if algorithm.eq_ignore_ascii_case("sha256") => hex,
        Some((algorithm, _)) => {
            return Err(ConfigError::new(
                MANIFEST,
                format!(
                    "the entry {key} is hashed with {algorithm}; documents are named by sha256 \
                     (client-preset: persistedDocuments.hashAlgorithm = 'sha256')"
                ),
            ));
        }
    };
    Ok(hex.to_ascii_lowercase())
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

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &str = "query Viewer { __typename viewer { __typename id } }";

    fn manifest(key: &str) -> String {
        serde_json::json!({ key: DOCUMENT }).to_string()
    }

    #[test]
    fn client_presets_prefixed_keys_load_as_they_are() {
        let hex = sha256_hex(DOCUMENT);
        let trusted = TrustedDocuments::parse(true, &manifest(&format!("sha256:{hex}"))).unwrap();
        assert_eq!(trusted.get(&hex).as_deref(), Some(DOCUMENT));
        assert_eq!(
            trusted.get(&format!("sha256:{hex}")).as_deref(),
            Some(DOCUMENT)
        );
        assert!(trusted.contains(DOCUMENT));
    }

    #[test]
    fn bare_hex_keys_in_any_case_load() {
        let hex = sha256_hex(DOCUMENT).to_ascii_uppercase();
        let trusted = TrustedDocuments::parse(false, &manifest(&hex)).unwrap();
        assert!(trusted.contains(DOCUMENT));
    }

    #[test]
    fn a_key_of_another_algorithm_or_document_is_refused() {
        let sha1 = TrustedDocuments::parse(true, &manifest("sha1:0a1b")).unwrap_err();
        assert!(sha1.to_string().contains("sha1"), "{sha1}");
        let wrong = format!("sha256:{}", sha256_hex("query Other { viewer { id } }"));
        let wrong = TrustedDocuments::parse(true, &manifest(&wrong)).unwrap_err();
        assert!(wrong.to_string().contains("not the sha256"), "{wrong}");
    }
}
