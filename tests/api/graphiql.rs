//! GraphiQL opens on a Tollgate example, a catalog query and a commented
//! login mutation, with an Authorization header template, and the example
//! runs as written against the schema.

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const BROWSER: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

async fn get(app: &TestApp, uri: &str, accept: &str) -> String {
    let request = Request::get(uri).header(header::ACCEPT, accept);
    let response = app.request(request.body(Body::empty()).unwrap()).await;
    assert_eq!(response.status, StatusCode::OK, "{uri}");
    String::from_utf8(response.body).unwrap()
}

/// The text of the page's data block `id`.
fn block<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no {id} block"));
    let text = &html[start..];
    let text = &text[text.find('>').unwrap() + 1..];
    &text[..text.find("</script>").unwrap()]
}

/// The commented mutation of the example, uncommented.
fn login_mutation(example: &str) -> String {
    example
        .lines()
        .skip_while(|line| !line.starts_with("# mutation Login"))
        .map(|line| line.strip_prefix("# ").unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn graphiql_opens_on_the_example_with_an_authorization_header_template() {
    let app = TestApp::spawn().await;

    let html = get(&app, "/graphql", BROWSER).await;
    let init = get(&app, "/graphiql/assets/init.js", "*/*").await;

    let example = block(&html, "default-query");
    assert!(example.contains("query Catalog {"), "{example}");
    assert!(example.contains("# mutation Login {"), "{example}");
    let headers: Value = serde_json::from_str(block(&html, "default-headers")).unwrap();
    let authorization = headers["Authorization"].as_str().unwrap();
    assert!(authorization.starts_with("Bearer "), "{authorization}");
    for wiring in [
        "defaultQuery: block('default-query')",
        "defaultHeaders: block('default-headers')",
        "defaultEditorToolsVisibility: 'headers'",
    ] {
        assert!(init.contains(wiring), "init.js lacks {wiring}");
    }
}

#[tokio::test]
async fn the_example_runs_as_written_and_its_token_fits_the_header_template() {
    let app = TestApp::seeded().await;
    let html = get(&app, "/graphql", BROWSER).await;
    let example = block(&html, "default-query");

    let catalog = app.graphql(example, json!({})).await.json();
    let login = app
        .graphql(&login_mutation(example), json!({}))
        .await
        .json();

    assert!(catalog.get("errors").is_none(), "{catalog}");
    let products = catalog["data"]["products"]["edges"].as_array().unwrap();
    assert_eq!(products.len(), 5, "{catalog}");
    let token = login["data"]["login"]["accessToken"].as_str();
    let token = token.unwrap_or_else(|| panic!("{login}"));
    let headers: Value = serde_json::from_str(block(&html, "default-headers")).unwrap();
    let authorization = headers["Authorization"]
        .as_str()
        .unwrap()
        .replace("<accessToken from login>", token);
    let me = app
        .send(
            None,
            &[("authorization", &authorization)],
            "{ viewer { email } }",
            json!({}),
        )
        .await
        .json();
    assert_eq!(
        me["data"]["viewer"]["email"], "shopper0@example.com",
        "{me}"
    );
}
