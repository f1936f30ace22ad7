//! Validated catalog inputs, parsed once where they enter.

use crate::{
    error::{AppError, Result},
    graphql::ids::no_nul,
};

pub const MAX_PRICE_CENTS: i32 = 100_000_000;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 5_000;
pub const MAX_STOCK_DELTA: i32 = 1_000_000;

/// `[A-Z0-9-]{3,32}`.
pub fn sku(raw: &str, field: &str) -> Result<String> {
    let valid = (3..=32).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(AppError::bad_input(
            field,
            "sku must be 3 to 32 of A-Z, 0-9 and -",
        ))
    }
}

/// 1 to 200 characters once trimmed.
pub fn name(raw: &str, field: &str) -> Result<String> {
    no_nul(raw, field)?;
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(AppError::bad_input(
            field,
            format!("name must be 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(name.to_owned())
}

/// At most 5,000 characters.
pub fn description(raw: &str, field: &str) -> Result<String> {
    no_nul(raw, field)?;
    if raw.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(AppError::bad_input(
            field,
            format!("description must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(raw.to_owned())
}

/// 0 to 100,000,000 cents.
pub fn price(cents: i32, field: &str) -> Result<i64> {
    if (0..=MAX_PRICE_CENTS).contains(&cents) {
        Ok(i64::from(cents))
    } else {
        Err(AppError::bad_input(
            field,
            format!("price must be 0 to {MAX_PRICE_CENTS} cents"),
        ))
    }
}

/// An ISO 4217 code.
pub fn currency(raw: &str, field: &str) -> Result<String> {
    match iso_currency::Currency::from_code(raw) {
        Some(currency) => Ok(currency.code().to_owned()),
        None => Err(AppError::bad_input(
            field,
            "currency must be an ISO 4217 code such as EUR",
        )),
    }
}

/// Initial stock: zero or more.
pub fn stock(units: i32, field: &str) -> Result<i32> {
    if units >= 0 {
        Ok(units)
    } else {
        Err(AppError::bad_input(field, "stock cannot be negative"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_are_upper_case_letters_digits_and_dashes() {
        assert!(sku("TG-0001", "s").is_ok());
        for bad in ["TG", "tg-0001", "TG_0001", &"A".repeat(33), "TG 1"] {
            assert!(sku(bad, "s").is_err(), "{bad}");
        }
    }

    #[test]
    fn currencies_are_iso_4217() {
        assert_eq!(currency("EUR", "c").unwrap(), "EUR");
        for bad in ["eur", "EU", "XYZ", "EURO"] {
            assert!(currency(bad, "c").is_err(), "{bad}");
        }
    }

    #[test]
    fn prices_are_bounded() {
        assert!(price(0, "p").is_ok() && price(MAX_PRICE_CENTS, "p").is_ok());
        assert!(price(-1, "p").is_err() && price(MAX_PRICE_CENTS + 1, "p").is_err());
    }
}
