//! Paging arguments and keyset cursors, as plain Rust: the API parses them
//! from its arguments, the database layer pages with them.
//!
//! A cursor names the sort key and id of the last row seen, plus a tag for the
//! list and ordering it belongs to, so a cursor from one list is refused by
//! another. `first` is 1..=100 and defaults to 20.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{AppError, Result};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// The position after which a page starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cursor {
    /// The sort key: microseconds since the epoch for time orderings, the
    /// value itself for integer orderings.
    pub key: i64,
    /// The row id, breaking ties.
    pub id: Uuid,
}

impl Cursor {
    pub fn from_time(at: DateTime<Utc>, id: Uuid) -> Self {
        Self {
            key: at.timestamp_micros(),
            id,
        }
    }

    /// The sort key as a timestamp.
    pub fn time(&self) -> Result<DateTime<Utc>> {
        DateTime::from_timestamp_micros(self.key).ok_or_else(invalid_cursor)
    }

    pub fn encode(&self, tag: &str) -> String {
        URL_SAFE_NO_PAD.encode(format!("{tag}:{}:{}", self.key, self.id))
    }

    pub fn decode(encoded: &str, tag: &str) -> Result<Self> {
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded.trim())
            .map_err(|_| invalid_cursor())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid_cursor())?;
        let mut parts = text.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(t), Some(key), Some(id)) if t == tag => Ok(Self {
                key: key.parse().map_err(|_| invalid_cursor())?,
                id: id.parse().map_err(|_| invalid_cursor())?,
            }),
            _ => Err(invalid_cursor()),
        }
    }
}

fn invalid_cursor() -> AppError {
    AppError::bad_input("after", "`after` is not a cursor of this list")
}

/// Validated paging arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageArgs {
    pub first: u64,
    pub after: Option<Cursor>,
    /// Whether to read one row past the page, to learn whether a next page
    /// exists: only when that is asked.
    pub peek: bool,
}

impl PageArgs {
    pub fn parse(first: Option<i32>, after: Option<&str>, tag: &str) -> Result<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if (1..=MAX_PAGE_SIZE as i32).contains(&n) => n as u64,
            Some(_) => {
                return Err(AppError::bad_input(
                    "first",
                    format!("`first` must be between 1 and {MAX_PAGE_SIZE}"),
                ));
            }
        };
        let after = after.map(|a| Cursor::decode(a, tag)).transpose()?;
        Ok(Self {
            first,
            after,
            peek: true,
        })
    }

    /// The same page, read past its end only when `peek`.
    pub fn peeking(self, peek: bool) -> Self {
        Self { peek, ..self }
    }

    /// Rows to fetch: the page, and one more when peeking.
    pub fn fetch_limit(&self) -> u64 {
        self.first + u64::from(self.peek)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_is_opaque() {
        let cursor = Cursor {
            key: 1_764_000_000_123_456,
            id: Uuid::now_v7(),
        };
        let encoded = cursor.encode("pn");
        assert!(!encoded.contains(&cursor.id.to_string()));
        assert_eq!(Cursor::decode(&encoded, "pn").unwrap(), cursor);
    }

    #[test]
    fn a_cursor_of_another_list_or_garbage_is_bad_input_on_after() {
        let encoded = Cursor {
            key: 5,
            id: Uuid::nil(),
        }
        .encode("pa");
        for bad in [encoded.as_str(), "", "not base64!", "Zm9vOmJhcg"] {
            match Cursor::decode(bad, "pn") {
                Err(AppError::BadInput { field, .. }) => assert_eq!(field, "after"),
                other => panic!("{bad:?} decoded to {other:?}"),
            }
        }
    }

    #[test]
    fn first_defaults_to_20_and_must_be_1_to_100() {
        assert_eq!(PageArgs::parse(None, None, "pn").unwrap().first, 20);
        assert_eq!(PageArgs::parse(Some(100), None, "pn").unwrap().first, 100);
        assert_eq!(
            PageArgs::parse(Some(1), None, "pn").unwrap().fetch_limit(),
            2
        );
        for bad in [0, -1, 101, i32::MAX] {
            match PageArgs::parse(Some(bad), None, "pn") {
                Err(AppError::BadInput { field, .. }) => assert_eq!(field, "first"),
                other => panic!("first = {bad} gave {other:?}"),
            }
        }
    }
}
