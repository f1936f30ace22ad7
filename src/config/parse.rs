//! Reading one setting's text: blank means absent, and a value that does
//! not parse is a [`ConfigError`] naming its variable.

use super::ConfigError;

pub fn non_empty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
}

/// The setting's text, or `default` (the text an absent or blank setting
/// stands for).
pub fn or_default<'a>(value: Option<&'a str>, default: &'a str) -> &'a str {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(default)
}

pub fn parse_or<T: std::str::FromStr>(
    variable: &'static str,
    value: Option<&str>,
    default: &str,
) -> Result<T, ConfigError> {
    let raw = or_default(value, default);
    raw.parse()
        .map_err(|_| ConfigError::new(variable, format!("cannot parse {raw:?}")))
}

pub fn parse_positive<T>(
    variable: &'static str,
    value: &Option<String>,
    default: &str,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + Default,
{
    let raw = or_default(value.as_deref(), default);
    match raw.parse::<T>() {
        Ok(v) if v > T::default() => Ok(v),
        _ => Err(ConfigError::new(
            variable,
            format!("expected a positive whole number, got {raw:?}"),
        )),
    }
}

pub fn parse_bool(
    variable: &'static str,
    value: Option<&str>,
    default: &str,
) -> Result<bool, ConfigError> {
    match or_default(value, default).to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(ConfigError::new(
            variable,
            format!("expected true or false, got {other:?}"),
        )),
    }
}
