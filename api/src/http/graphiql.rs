//! GraphiQL, served entirely from the binary: offices' intranets often have no
//! internet, and a page that loads React from a CDN then shows "Loading…" forever.
//! The content security policy allows only this origin, so the page cannot reach
//! a third party even by accident.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::AppState;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// (name, media type, bytes). The vendored files and their licences are in
/// `api/assets/graphiql/` (GraphiQL 3.9.0, React 18.3.1, from npm).
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
    (
        "init.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/init.js"),
    ),
    (
        "kapok.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/kapok.css"),
    ),
    (
        "LICENSES.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../../assets/graphiql/LICENSES.txt"),
    ),
];

const PAGE: &str = include_str!("../../assets/graphiql/index.html");

fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .json(serde_json::json!({ "code": "NOT_FOUND", "message": "not found" }))
}

pub(super) async fn page(state: web::Data<AppState>) -> HttpResponse {
    if !state.graphiql {
        return not_found();
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(PAGE)
}

pub(super) async fn asset(state: web::Data<AppState>, name: web::Path<String>) -> HttpResponse {
    if !state.graphiql {
        return not_found();
    }
    match ASSETS.iter().find(|(n, _, _)| *n == name.as_str()) {
        Some((_, media, bytes)) => HttpResponse::Ok()
            .content_type(*media)
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .body(*bytes),
        None => not_found(),
    }
}
