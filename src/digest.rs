//! SHA-256 in lower-case hex: how persisted and trusted documents are named,
//! refresh tokens stored, and signing keys identified.

use sha2::{Digest, Sha256};

/// The lower-case hex SHA-256 of some bytes (a document's text, a token).
pub fn sha256_hex(data: impl AsRef<[u8]>) -> String {
    Sha256::digest(data.as_ref())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_lower_case_hex() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
