//! SQLite opens a missing database file only when the URL says `mode=rwc`,
//! and never makes its folder. The server does both whatever the query string
//! says, so `sqlite://data/app.db` works on a fresh machine. A read-only URL
//! (`mode=ro`) is the exception: an empty database that can never be written
//! would only hide a wrong path, so it still fails when the file is missing.

use std::str::FromStr;

use anyhow::Context;
use sea_orm::sqlx::sqlite::SqliteConnectOptions;

/// Makes the folder of the file `url` names and says whether the file may be
/// created; false for read-only and in-memory databases, which have no file
/// of ours to create.
pub fn prepare(url: &str) -> anyhow::Result<bool> {
    let mode = url
        .split_once('?')
        .and_then(|(_, query)| query.split('&').find_map(|pair| pair.strip_prefix("mode=")));
    if matches!(mode, Some("ro" | "memory")) {
        return Ok(false);
    }
    let options = SqliteConnectOptions::from_str(url).context("DATABASE_URL")?;
    let file = options.get_filename();
    let name = file.to_string_lossy();
    // `:memory:` becomes a `file:` URI, as does a URL naming one itself:
    // SQLite resolves those, and they name no folder of ours.
    if name.is_empty() || name.starts_with("file:") {
        return Ok(false);
    }
    if let Some(folder) = file.parent().filter(|f| !f.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).with_context(|| {
            format!(
                "DATABASE_URL: cannot create the folder {}",
                folder.display()
            )
        })?;
    }
    Ok(true)
}
