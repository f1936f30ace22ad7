//! What Tollgate reads from a provider's verified token: the subject, the
//! email and a display name for the account, and the role, mapped from a
//! configurable claim. A value the mapping does not name, or no claim, is
//! CUSTOMER: the provider can grant roles, a token can never invent one.

use sea_orm::ActiveEnum;
use serde_json::{Map, Value};

use crate::{auth::Role, config::identity::IdentityProviderConfig};

/// The person a verified token of the provider stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalIdentity {
    pub subject: String,
    pub email: Option<String>,
    /// `false` only when the token says the email is unverified.
    pub email_verified: bool,
    pub name: Option<String>,
    pub role: Role,
    pub expires_at: i64,
}

impl ExternalIdentity {
    /// Reads the claims of a token whose signature, issuer, audience and
    /// lifetime were checked; `None` without a usable `sub` or `exp`.
    pub fn from_claims(
        claims: &Map<String, Value>,
        config: &IdentityProviderConfig,
    ) -> Option<Self> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let subject = text("sub").filter(|s| !s.is_empty() && s.len() <= 255)?;
        Some(Self {
            subject,
            email: text("email"),
            email_verified: claims.get("email_verified").and_then(Value::as_bool) != Some(false),
            name: text("name").or_else(|| text("preferred_username")),
            role: role(claims, config),
            expires_at: claims.get("exp").and_then(Value::as_i64)?,
        })
    }
}

/// The highest role the claim's values map to; CUSTOMER when none does.
fn role(claims: &Map<String, Value>, config: &IdentityProviderConfig) -> Role {
    let values: Vec<&str> = match claim(claims, &config.role_claim) {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    values
        .into_iter()
        .filter_map(|value| map(value, &config.role_map))
        .max()
        .unwrap_or(Role::Customer)
}

fn map(value: &str, role_map: &[(String, Role)]) -> Option<Role> {
    if role_map.is_empty() {
        return Role::try_from_value(&value.to_ascii_uppercase()).ok();
    }
    role_map
        .iter()
        .find(|(v, _)| v == value)
        .map(|(_, role)| *role)
}

/// The claim `name`, or, when there is none of that name, the one its dots
/// lead to (`realm_access.roles`). Names with dots (URLs) are claims too.
fn claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(name) {
        return Some(value);
    }
    let mut parts = name.split('.');
    let first = claims.get(parts.next()?)?;
    parts.try_fold(first, |value, part| value.get(part))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;

    fn config(claim: &str, role_map: &[(&str, Role)]) -> IdentityProviderConfig {
        IdentityProviderConfig {
            jwks_url: "https://idp.example/jwks".parse().unwrap(),
            issuer: "https://idp.example/".into(),
            audience: "tollgate".into(),
            role_claim: claim.into(),
            role_map: role_map
                .iter()
                .map(|(v, r)| ((*v).to_owned(), *r))
                .collect(),
            refresh_interval: Duration::from_secs(60),
        }
    }

    fn role_of(claims: serde_json::Value, config: &IdentityProviderConfig) -> Role {
        role(claims.as_object().unwrap(), config)
    }

    #[test]
    fn role_names_map_to_themselves_in_any_case_and_anything_else_is_customer() {
        let c = config("role", &[]);
        assert_eq!(role_of(json!({ "role": "staff" }), &c), Role::Staff);
        assert_eq!(role_of(json!({ "role": "ADMIN" }), &c), Role::Admin);
        assert_eq!(role_of(json!({ "role": "root" }), &c), Role::Customer);
        assert_eq!(role_of(json!({ "role": 3 }), &c), Role::Customer);
        assert_eq!(role_of(json!({}), &c), Role::Customer);
    }

    #[test]
    fn a_role_map_replaces_the_names_and_a_list_grants_its_highest_role() {
        let c = config("realm_access.roles", &[("shop-staff", Role::Staff)]);
        let claims = json!({ "realm_access": { "roles": ["offline", "shop-staff", "ADMIN"] } });
        assert_eq!(role_of(claims, &c), Role::Staff);
        let c = config("https://shop.example/roles", &[("a", Role::Admin)]);
        assert_eq!(
            role_of(json!({ "https://shop.example/roles": ["a"] }), &c),
            Role::Admin
        );
    }

    #[test]
    fn an_identity_needs_a_subject_and_an_expiry() {
        let c = config("role", &[]);
        let claims = json!({ "sub": "u1", "exp": 10, "email": "a@b.c", "email_verified": false });
        let identity = ExternalIdentity::from_claims(claims.as_object().unwrap(), &c).unwrap();
        assert_eq!(identity.subject, "u1");
        assert!(!identity.email_verified);
        let no_sub = json!({ "exp": 10 });
        assert!(ExternalIdentity::from_claims(no_sub.as_object().unwrap(), &c).is_none());
    }
}
