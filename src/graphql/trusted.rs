//! Trusted documents: a manifest of the operations the clients were built
//! with (graphql-codegen's persisted documents: SHA-256 of the text → the
//! text, the key bare lower-case hex or, as client-preset writes it,
//! `sha256:<hex>`). Clients name a document by `documentId` (`sha256:<hex>`
//! or bare hex) or `extensions.persistedQuery.sha256Hash`; in only-trusted
//! mode nothing else runs, over HTTP, SSE or WebSocket. In report mode
//! everything runs, and the documents outside the manifest are counted and
//! logged, so that operators see what safelisting would refuse before they
//! turn it on.

use std::{collections::HashMap, fmt, sync::Arc, time::Duration};

use moka::sync::Cache;

use crate::{config::ConfigError, digest::sha256_hex, telemetry::metrics};

const MANIFEST: &str = "TRUSTED_DOCUMENTS_MANIFEST";

/// How long a reported document stays quiet in the log (it is counted
/// every time).
const REPORT_QUIET: Duration = Duration::from_secs(3600);
/// The most documents kept quiet at once.
const REPORT_QUIET_CAPACITY: u64 = 10_000;

/// What `TRUSTED_DOCUMENTS` does with documents outside the manifest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// They run, unnoticed.
    #[default]
    Off,
    /// They run, and are counted and logged.
    Report,
    /// They are refused.
    Only,
}

/// The manifest, and what becomes of the documents outside it.
#[derive(Default)]
pub struct TrustedDocuments {
    mode: Mode,
    documents: HashMap<String, Arc<str>>,
    /// The hashes of the documents reported lately, not logged again.
    reported: Option<Cache<String, ()>>,
}

impl TrustedDocuments {
    /// Reads and checks the manifest (every key must be its document's hash).
    /// Part of loading the configuration, so a bad manifest stops start-up
    /// before the database is touched.
    pub fn load(mode: Mode, manifest: Option<&str>) -> Result<Self, ConfigError> {
        let Some(path) = manifest else {
            if mode != Mode::Off {
                return Err(ConfigError::new(
                    MANIFEST,
                    "required when TRUSTED_DOCUMENTS is only or report",
                ));
            }
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|err| ConfigError::new(MANIFEST, format!("cannot read {path}: {err}")))?;
        Self::parse(mode, &text)
    }

    /// The manifest's text: a JSON object of hash → document, each hash
    /// checked against its document.
    fn parse(mode: Mode, text: &str) -> Result<Self, ConfigError> {
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
        let reported = (mode == Mode::Report).then(|| {
            Cache::builder()
                .max_capacity(REPORT_QUIET_CAPACITY)
                .time_to_live(REPORT_QUIET)
                .build()
        });
        Ok(Self {
            mode,
            documents,
            reported,
        })
    }

    pub fn only(&self) -> bool {
        self.mode == Mode::Only
    }

    /// In report mode, counts `query` when it is not in the manifest, and
    /// logs its hash and operation name, once an hour per document.
    pub fn report(&self, query: &str, operation_name: Option<&str>) {
        let Some(reported) = &self.reported else {
            return;
        };
        let hash = sha256_hex(query);
        if self.documents.contains_key(&hash) {
            return;
        }
        metrics::untrusted_document();
        if reported.contains_key(&hash) {
            return;
        }
        tracing::warn!(
            document_hash = %hash,
            operation = operation_name.unwrap_or(""),
            "a document outside the trusted-documents manifest ran (TRUSTED_DOCUMENTS=report)"
        );
        reported.insert(hash, ());
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
            .field("mode", &self.mode)
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
        let trusted =
            TrustedDocuments::parse(Mode::Only, &manifest(&format!("sha256:{hex}"))).unwrap();
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
        let trusted = TrustedDocuments::parse(Mode::Off, &manifest(&hex)).unwrap();
        assert!(trusted.contains(DOCUMENT));
    }

    #[test]
    fn a_key_of_another_algorithm_or_document_is_refused() {
        let sha1 = TrustedDocuments::parse(Mode::Only, &manifest("sha1:0a1b")).unwrap_err();
        assert!(sha1.to_string().contains("sha1"), "{sha1}");
        let wrong = format!("sha256:{}", sha256_hex("query Other { viewer { id } }"));
        let wrong = TrustedDocuments::parse(Mode::Only, &manifest(&wrong)).unwrap_err();
        assert!(wrong.to_string().contains("not the sha256"), "{wrong}");
    }
}
