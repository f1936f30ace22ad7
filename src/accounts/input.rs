//! Validated account inputs, parsed once where they enter.

use std::{collections::HashSet, sync::LazyLock};

use crate::error::{AppError, Result};

/// A trimmed, lower-cased, plausible email address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str, field: &str) -> Result<Self> {
        let email = raw.trim().to_lowercase();
        let bad = |message: &str| Err(AppError::bad_input(field, message));
        if email.len() > Self::MAX_LEN {
            return bad("email is too long");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return bad("email must look like name@example.com");
        };
        let plausible = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if plausible {
            Ok(Self(email))
        } else {
            bad("email must look like name@example.com")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password of acceptable length (8 to 128 characters, never truncated).
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str, field: &str) -> Result<Self> {
        let chars = raw.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            return Err(AppError::bad_input(
                field,
                format!(
                    "password must be {} to {} characters",
                    Self::MIN_CHARS,
                    Self::MAX_CHARS
                ),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// A new password (registration or change): besides the length, it may
    /// not be one of the most common passwords nor the account's email
    /// (NIST SP 800-63B); no composition rules.
    pub fn parse_new(raw: &str, email: &Email, field: &str) -> Result<Self> {
        let password = Self::parse(raw, field)?;
        let lowered = raw.to_lowercase();
        if lowered == email.as_str() {
            return Err(AppError::bad_input(
                field,
                "password must not be the email address",
            ));
        }
        if COMMON_PASSWORDS.contains(lowered.as_str()) {
            return Err(AppError::bad_input(
                field,
                "password is too common; choose a less guessable one",
            ));
        }
        Ok(password)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The most common passwords (see assets/passwords/README.md), lower-cased.
static COMMON_PASSWORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("../../assets/passwords/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_lowercase)
        .collect()
});

/// A display name: trimmed, 1 to 100 characters, no control characters.
#[derive(Clone, Debug)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str, field: &str) -> Result<Self> {
        let name = raw.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS || name.chars().any(char::is_control) {
            return Err(AppError::bad_input(
                field,
                format!(
                    "display name must be 1 to {} printable characters",
                    Self::MAX_CHARS
                ),
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        let email = Email::parse("  Ada@Example.COM ", "input.email").unwrap();
        assert_eq!(email.as_str(), "ada@example.com");
    }

    #[test]
    fn implausible_emails_are_bad_input_on_their_field() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
        ] {
            match Email::parse(bad, "input.email") {
                Err(AppError::BadInput { field, .. }) => assert_eq!(field, "input.email"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn new_passwords_may_not_be_common_or_the_email() {
        let email = Email::parse("ada@example.com", "input.email").unwrap();
        let shipped = include_str!("../../assets/passwords/common-passwords.txt");
        assert!(shipped.lines().count() >= 10_000);
        assert!(COMMON_PASSWORDS.len() > 9_000, "distinct once lower-cased");
        for bad in ["password", "12345678", "Password1", "ADA@example.com"] {
            match Password::parse_new(bad, &email, "input.password") {
                Err(AppError::BadInput { field, .. }) => assert_eq!(field, "input.password"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
        assert!(Password::parse_new("violet staircase umbrella", &email, "p").is_ok());
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(
            DisplayName::parse("  Ada  ", "n").unwrap().into_inner(),
            "Ada"
        );
        assert!(DisplayName::parse("   ", "n").is_err());
        assert!(DisplayName::parse(&"x".repeat(101), "n").is_err());
    }

    #[test]
    fn passwords_are_8_to_128_characters() {
        assert!(Password::parse("1234567", "p").is_err());
        assert!(Password::parse("12345678", "p").is_ok());
        assert!(Password::parse(&"é".repeat(128), "p").is_ok());
        assert!(Password::parse(&"x".repeat(129), "p").is_err());
    }
}
