//! Media-type rules of GraphQL over HTTP: which request bodies are accepted
//! and which response type the client gets.

/// The media type of a GraphQL response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseType {
    /// `application/graphql-response+json`: request errors are HTTP 4xx.
    GraphqlResponseJson,
    /// `application/json`: the legacy type, always HTTP 200 for a well-formed request.
    Json,
}

impl ResponseType {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }
}

/// Chooses the response type from an `Accept` header: the acceptable type with
/// the highest quality, preferring graphql-response+json on a tie. No header
/// means `application/json`; `None` means nothing acceptable (HTTP 406).
pub fn response_type(accept: Option<&str>) -> Option<ResponseType> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return Some(ResponseType::Json);
    };
    let mut best: Option<(f32, ResponseType)> = None;
    for (range, quality) in media_ranges(accept) {
        let candidate = match range.as_str() {
            "application/graphql-response+json" => ResponseType::GraphqlResponseJson,
            "application/json" | "application/*" | "*/*" => ResponseType::Json,
            _ => continue,
        };
        if quality <= 0.0 {
            continue;
        }
        let better = match best {
            None => true,
            Some((q, current)) => {
                quality > q
                    || (quality == q
                        && candidate == ResponseType::GraphqlResponseJson
                        && current != candidate)
            }
        };
        if better {
            best = Some((quality, candidate));
        }
    }
    best.map(|(_, t)| t)
}

/// Whether the client asks for a graphql-sse event stream: `Accept` names
/// `text/event-stream` at a higher quality than any JSON type. Wildcards never
/// choose it, and clients that take both (urql names JSON, then
/// `text/event-stream` for incremental delivery) get JSON as before.
pub fn wants_event_stream(accept: Option<&str>) -> bool {
    let mut stream = 0.0_f32;
    let mut json = 0.0_f32;
    for (range, quality) in media_ranges(accept.unwrap_or_default()) {
        match range.as_str() {
            "text/event-stream" => stream = stream.max(quality),
            "application/graphql-response+json"
            | "application/graphql+json"
            | "application/json"
            | "application/*"
            | "*/*" => json = json.max(quality),
            _ => {}
        }
    }
    stream > json
}

/// Whether `Accept-Encoding` takes gzip: named (or `*`) at a quality above
/// zero. Without the header, only identity is sure to be understood.
pub fn takes_gzip(accept_encoding: Option<&str>) -> bool {
    let mut gzip = None;
    let mut any = None;
    for (coding, quality) in media_ranges(accept_encoding.unwrap_or_default()) {
        match coding.as_str() {
            "gzip" | "x-gzip" => gzip = Some(quality),
            "*" => any = Some(quality),
            _ => {}
        }
    }
    gzip.or(any).is_some_and(|quality| quality > 0.0)
}

/// The media ranges of an `Accept` header (or the codings of an
/// `Accept-Encoding`), lower-cased, with their quality.
fn media_ranges(accept: &str) -> impl Iterator<Item = (String, f32)> + '_ {
    accept.split(',').map(|item| {
        let mut parts = item.split(';').map(str::trim);
        let range = parts.next().unwrap_or_default().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
            .next()
            .unwrap_or(1.0);
        (range, quality)
    })
}

/// Whether a POST body of this `Content-Type` is accepted: JSON in UTF-8 only.
/// Everything else (text/plain, forms, multipart) is 415, which also keeps
/// browsers from sending GraphQL cross-site without a CORS preflight.
pub fn is_json_body(content_type: Option<&str>) -> bool {
    let Some(Ok(mime)) = content_type.map(str::parse::<mime::Mime>) else {
        return false;
    };
    let json = mime.type_() == mime::APPLICATION && mime.subtype() == mime::JSON;
    let utf8 = mime
        .get_param(mime::CHARSET)
        .is_none_or(|c| c.as_str().eq_ignore_ascii_case("utf-8"));
    json && utf8
}

/// Whether a GET comes from a browser navigating to the page.
pub fn wants_html(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',')
            .any(|item| item.trim().starts_with("text/html"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResponseType::*;

    #[test]
    fn gzip_is_taken_when_named_or_wildcarded_above_quality_zero() {
        for taken in [
            "gzip",
            "gzip, deflate, br",
            "br;q=1.0, GZIP;q=0.5",
            "*",
            "x-gzip",
        ] {
            assert!(takes_gzip(Some(taken)), "{taken}");
        }
        for refused in ["", "identity", "br", "gzip;q=0", "*;q=0", "gzip;q=0, *"] {
            assert!(!takes_gzip(Some(refused)), "{refused}");
        }
        assert!(!takes_gzip(None));
    }

    #[test]
    fn accept_negotiation_follows_the_graphql_over_http_spec() {
        assert_eq!(response_type(None), Some(Json));
        assert_eq!(response_type(Some("application/json")), Some(Json));
        assert_eq!(
            response_type(Some("application/graphql-response+json")),
            Some(GraphqlResponseJson)
        );
        assert_eq!(
            response_type(Some(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(GraphqlResponseJson)
        );
        assert_eq!(
            response_type(Some(
                "application/json, application/graphql-response+json;q=0.5"
            )),
            Some(Json)
        );
        assert_eq!(
            response_type(Some("application/json, application/graphql-response+json")),
            Some(GraphqlResponseJson)
        );
        assert_eq!(response_type(Some("*/*")), Some(Json));
        assert_eq!(response_type(Some("text/html")), None);
        assert_eq!(response_type(Some("application/json;q=0")), None);
    }

    #[test]
    fn an_event_stream_is_chosen_only_when_named_and_preferred() {
        assert!(wants_event_stream(Some("text/event-stream")));
        assert!(wants_event_stream(Some("Text/Event-Stream; charset=utf-8")));
        assert!(wants_event_stream(Some(
            "text/event-stream, application/json;q=0.9"
        )));
        assert!(wants_event_stream(Some(
            "application/json;q=0.5, text/event-stream"
        )));
        // urql's: JSON for queries and mutations, streams when answered so.
        assert!(!wants_event_stream(Some(
            "application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed"
        )));
        assert!(!wants_event_stream(Some(
            "application/json, text/event-stream"
        )));
        assert!(!wants_event_stream(Some(
            "application/json, text/event-stream;q=0.5"
        )));
        assert!(!wants_event_stream(Some("text/event-stream;q=0")));
        assert!(!wants_event_stream(Some("*/*")));
        assert!(!wants_event_stream(Some("text/*")));
        assert!(!wants_event_stream(None));
    }

    #[test]
    fn only_utf8_json_bodies_are_accepted() {
        assert!(is_json_body(Some("application/json")));
        assert!(is_json_body(Some("application/json; charset=utf-8")));
        assert!(is_json_body(Some("Application/JSON; charset=UTF-8")));
        for other in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/json; charset=latin1"),
            Some("application/graphql"),
            Some("garbage"),
        ] {
            assert!(!is_json_body(other), "{other:?}");
        }
    }

    #[test]
    fn browsers_are_recognised_by_text_html() {
        assert!(wants_html(Some(
            "text/html,application/xhtml+xml,*/*;q=0.8"
        )));
        assert!(!wants_html(Some("application/json")));
        assert!(!wants_html(None));
    }
}
