//! GraphQL over HTTP: reading a request within the limits, refusing what a browser
//! could send cross-site, negotiating the response media type, and mapping request
//! errors to status codes as the GraphQL-over-HTTP specification says.

use std::time::Instant;

use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::Variables;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{caller, documents, AppState};
use crate::error::{normalize_errors, ErrorCode, Lang, Problem, Reason};
use crate::graphql::connection::RawJson;
use crate::graphql::{guard, request_data};
use crate::metrics::METRICS;

/// `application/graphql-response+json`: the specification's media type, which lets
/// a server say with the status code that a request failed before execution.
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    GraphqlResponse,
    Json,
}

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        }
    }
}

/// The response media type from `Accept`: the preferred of the two JSON types by
/// quality, then by order; `application/json` when there is no preference.
fn negotiate(accept: Option<&str>) -> Media {
    let Some(accept) = accept else {
        return Media::Json;
    };
    let mut best: Option<(f32, Media)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let candidate = match media.as_str() {
            GRAPHQL_RESPONSE => Media::GraphqlResponse,
            JSON | "application/*" | "*/*" => Media::Json,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, candidate));
        }
    }
    best.map(|(_, m)| m).unwrap_or(Media::Json)
}

/// Why a request is refused before any GraphQL work: answered in the GraphQL error
/// shape, in the caller's language, with its status code, counted by reason in the
/// metrics.
#[derive(Debug)]
pub(crate) enum Refusal {
    RateLimited(u64),
    TooLarge(usize),
    UnsupportedMediaType,
    BadRequest(Problem),
    CrossSite,
}

impl Refusal {
    fn bad(problem: impl Into<Problem>) -> Refusal {
        Refusal::BadRequest(problem.into())
    }

    fn problem(&self) -> Problem {
        match self {
            Refusal::RateLimited(secs) => Reason::RATE_LIMITED.arg("seconds", secs),
            Refusal::TooLarge(bytes) => Reason::TOO_LARGE.arg("bytes", bytes),
            Refusal::UnsupportedMediaType => Reason::UNSUPPORTED_MEDIA_TYPE.into(),
            Refusal::BadRequest(p) => p.clone(),
            Refusal::CrossSite => Reason::CSRF_PREVENTED.into(),
        }
    }

    fn status_code(&self) -> StatusCode {
        match self {
            Refusal::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Refusal::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Refusal::BadRequest(_) | Refusal::CrossSite => StatusCode::BAD_REQUEST,
        }
    }

    /// The response, with the message in `lang`.
    pub(crate) fn respond(&self, lang: Lang) -> HttpResponse {
        let problem = self.problem();
        METRICS.refuse(&problem.reason.as_str().to_ascii_lowercase());
        let mut res = HttpResponse::build(self.status_code());
        if let Refusal::RateLimited(secs) = self {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if matches!(self, Refusal::TooLarge(_) | Refusal::UnsupportedMediaType) {
            // The body was not read: close rather than read the rest of it (a
            // 300 MB body) only to keep the connection alive.
            res.force_close();
        }
        res.content_type("application/json; charset=utf-8")
            .json(error_body(&problem, lang))
    }
}

/// The language the request asks for (`Accept-Language`).
pub(crate) fn lang_of(http: &HttpRequest) -> Lang {
    Lang::from_accept_language(
        http.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// The answer to a request that may have been refused before any GraphQL work.
pub(crate) fn answer(http: &HttpRequest, r: Result<HttpResponse, Refusal>) -> HttpResponse {
    r.unwrap_or_else(|refusal| refusal.respond(lang_of(http)))
}

/// A GraphQL response body holding one error.
fn error_body(problem: &Problem, lang: Lang) -> Value {
    let mut ext = json!({
        "code": problem.reason.code().as_str(),
        "reason": problem.reason.as_str(),
    });
    if let Some(field) = &problem.field {
        ext["field"] = json!([field]);
    }
    json!({ "errors": [{ "message": problem.render(lang), "extensions": ext }] })
}

/// The parameters of a request, as the client sent them (JSON body or query string).
#[derive(Deserialize, Default)]
struct Params {
    query: Option<Value>,
    #[serde(rename = "operationName")]
    operation_name: Option<Value>,
    variables: Option<Value>,
    extensions: Option<Value>,
}

/// Checks each parameter's type and builds the request. A wrong type is 400.
fn build_request(p: Params) -> Result<async_graphql::Request, Refusal> {
    let persisted = p
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("persistedQuery").is_some());
    let query = match p.query {
        Some(Value::String(q)) => q,
        // A persisted query may come as its hash alone.
        None if persisted => String::new(),
        None => return Err(Refusal::bad(Reason::MISSING_QUERY)),
        Some(_) => return Err(Refusal::bad(Reason::INVALID_PARAMETER.at("query"))),
    };
    if query.contains('\0') {
        return Err(Refusal::bad(Reason::NUL_CHARACTER));
    }
    let mut request = async_graphql::Request::new(query);
    match p.operation_name {
        None => {}
        Some(Value::String(name)) => request = request.operation_name(name),
        Some(_) => return Err(Refusal::bad(Reason::INVALID_PARAMETER.at("operationName"))),
    }
    match p.variables {
        None => {}
        Some(v @ Value::Object(_)) => {
            if has_nul(&v) {
                return Err(Refusal::bad(Reason::NUL_CHARACTER));
            }
            request = request.variables(Variables::from_json(v));
        }
        Some(_) => return Err(Refusal::bad(Reason::INVALID_PARAMETER.at("variables"))),
    }
    match p.extensions {
        None => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                if let Ok(v) = async_graphql::Value::from_json(v) {
                    request.extensions.insert(k, v);
                }
            }
        }
        Some(_) => return Err(Refusal::bad(Reason::INVALID_PARAMETER.at("extensions"))),
    }
    Ok(request)
}

fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// A browser request that a page on another site could have made without a CORS
/// preflight. Browsers label every request with `Sec-Fetch-Site`; older ones are
/// recognised by their `Mozilla/` user agent. Scripts and servers send neither.
fn cross_site_browser_request(http: &HttpRequest) -> bool {
    let h = http.headers();
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    h.get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ua| ua.starts_with("Mozilla/"))
}

/// A header no HTML form or `<img>` can send, so a browser must preflight it (the
/// same rule as Apollo Server's CSRF prevention).
fn has_preflight_header(http: &HttpRequest) -> bool {
    let h = http.headers();
    [
        "x-kapok-request",
        "apollo-require-preflight",
        "x-apollo-operation-name",
        "graphql-preflight",
    ]
    .iter()
    .any(|name| h.contains_key(*name))
}

/// The body's media type must be JSON: HTML forms can post `text/plain`,
/// `multipart/form-data` and `application/x-www-form-urlencoded` across sites
/// without a preflight, and there are no uploads to take.
fn json_content_type(http: &HttpRequest) -> Result<(), Refusal> {
    let Some(ct) = http.headers().get(header::CONTENT_TYPE) else {
        return Err(Refusal::UnsupportedMediaType);
    };
    let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
    let mut parts = ct.split(';').map(str::trim);
    if parts.next() != Some(JSON) {
        return Err(Refusal::UnsupportedMediaType);
    }
    for p in parts {
        if let Some(charset) = p.strip_prefix("charset=") {
            if !charset.trim_matches('"').eq_ignore_ascii_case("utf-8") {
                return Err(Refusal::UnsupportedMediaType);
            }
        }
    }
    Ok(())
}

/// Reads the body up to `limit` bytes. A declared length over the limit is refused
/// before a byte is read; an undeclared one as soon as it passes the limit.
async fn read_body(
    http: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, Refusal> {
    let declared = http
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(Refusal::TooLarge(limit));
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0).min(limit as u64) as usize);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| Refusal::bad(Reason::INVALID_BODY))?;
        if body.len() + chunk.len() > limit {
            return Err(Refusal::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(super) async fn post(
    state: web::Data<AppState>,
    http: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let r = post_params(&state, &http, payload).await;
    answer(&http, r)
}

async fn post_params(
    state: &AppState,
    http: &HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Refusal> {
    super::rate_limited(state, http)?;
    json_content_type(http)?;
    let body = read_body(http, payload, state.limits.max_body_bytes).await?;
    if body.is_empty() {
        return Err(Refusal::bad(Reason::MISSING_BODY));
    }
    let params: Params =
        serde_json::from_slice(&body).map_err(|_| Refusal::bad(Reason::INVALID_JSON))?;
    drop(body);
    execute(state, http, params, Method::POST).await
}

pub(super) async fn get(state: web::Data<AppState>, http: HttpRequest) -> HttpResponse {
    let r = get_params(&state, &http).await;
    answer(&http, r)
}

async fn get_params(state: &AppState, http: &HttpRequest) -> Result<HttpResponse, Refusal> {
    super::rate_limited(state, http)?;
    if http.query_string().len() > state.limits.max_body_bytes {
        return Err(Refusal::TooLarge(state.limits.max_body_bytes));
    }
    if cross_site_browser_request(http) && !has_preflight_header(http) {
        return Err(Refusal::CrossSite);
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(http.query_string())
        .map_err(|_| Refusal::bad(Reason::INVALID_PARAMETER.at("query string")))?;
    let mut params = Params::default();
    for (k, v) in pairs {
        let json = |v: &str, what: &'static str| {
            serde_json::from_str::<Value>(v)
                .map_err(|_| Refusal::bad(Reason::INVALID_PARAMETER.at(what)))
        };
        match k.as_str() {
            "query" => params.query = Some(Value::String(v)),
            "operationName" => params.operation_name = Some(Value::String(v)),
            "variables" => params.variables = Some(json(&v, "variables")?),
            "extensions" => params.extensions = Some(json(&v, "extensions")?),
            _ => {}
        }
    }
    execute(state, http, params, Method::GET).await
}

/// The hash of an automatic persisted query (`extensions.persistedQuery`, version 1).
fn persisted_hash(request: &async_graphql::Request) -> Result<Option<documents::Hash>, Refusal> {
    let Some(pq) = request.extensions.get("persistedQuery") else {
        return Ok(None);
    };
    let invalid = || Refusal::bad(Reason::INVALID_PERSISTED_QUERY);
    let async_graphql::Value::Object(pq) = pq else {
        return Err(invalid());
    };
    let version_one =
        matches!(pq.get("version"), Some(async_graphql::Value::Number(n)) if n.as_u64() == Some(1));
    match pq.get("sha256Hash") {
        Some(async_graphql::Value::String(h)) if version_one => {
            documents::parse_hex(h).map(Some).ok_or_else(invalid)
        }
        _ => Err(invalid()),
    }
}

/// Apollo clients recognise this message and send the query text with its hash.
fn persisted_query_not_found(media: Media) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(media.content_type())
        .json(error_body(
            &Reason::PERSISTED_QUERY_NOT_FOUND.into(),
            Lang::En,
        ))
}

/// Whether the operation the request names is a mutation (or subscription).
fn names_a_mutation(
    doc: &async_graphql::parser::types::ExecutableDocument,
    name: Option<&str>,
) -> bool {
    let ops: Vec<(Option<&str>, OperationType)> = match &doc.operations {
        DocumentOperations::Single(op) => vec![(None, op.node.ty)],
        DocumentOperations::Multiple(map) => map
            .iter()
            .map(|(n, op)| (Some(n.as_str()), op.node.ty))
            .collect(),
    };
    ops.iter().any(|(n, ty)| {
        let selected = match (name, n) {
            (Some(want), Some(n)) => want == *n,
            (Some(_), None) => false,
            (None, _) => true,
        };
        selected && *ty != OperationType::Query
    })
}

async fn execute(
    state: &AppState,
    http: &HttpRequest,
    params: Params,
    method: Method,
) -> Result<HttpResponse, Refusal> {
    let started = Instant::now();
    let media = negotiate(
        http.headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok()),
    );
    let mut request = build_request(params)?;
    let key = match persisted_hash(&request)? {
        Some(hash) if request.query.is_empty() => match state.documents.get(&hash) {
            Some(known) => {
                request.query = known.query.clone();
                hash
            }
            None => return Ok(persisted_query_not_found(media)),
        },
        Some(hash) => {
            if documents::hash(&request.query) != hash {
                return Err(Refusal::bad(Reason::PERSISTED_QUERY_HASH_MISMATCH));
            }
            hash
        }
        None => documents::hash(&request.query),
    };
    let mut operation = METRICS.operation_label(request.operation_name.as_deref());
    let lang = lang_of(http);
    let mut mutation = false;
    let mut validation = None;
    // Each distinct document is parsed once (then kept by its hash, which is also
    // how persisted queries are found). The shape check runs every time; a document
    // that does not parse is left to the executor, which reports it.
    let parsed = match state.documents.get(&key) {
        Some(known) => Some(known.parsed.clone()),
        None => async_graphql::parser::parse_query(&request.query)
            .ok()
            .inspect(|doc| {
                state.documents.put(
                    key,
                    std::sync::Arc::new(documents::Document {
                        query: request.query.clone(),
                        parsed: doc.clone(),
                    }),
                )
            }),
    };
    if let Some(doc) = parsed {
        mutation = names_a_mutation(&doc, request.operation_name.as_deref());
        if request.operation_name.is_none() {
            if let DocumentOperations::Multiple(ops) = &doc.operations {
                if ops.len() == 1 {
                    operation = METRICS.operation_label(ops.keys().next().map(|n| n.as_str()));
                }
            }
        }
        if let Err(e) = guard::check(&doc, request.operation_name.as_deref(), &state.limits) {
            METRICS.refuse("shape");
            METRICS.observe_request(
                &operation,
                ErrorCode::BadUserInput.as_str(),
                started.elapsed(),
            );
            let body = error_body(&e.problem(), lang);
            let status = match media {
                Media::GraphqlResponse => StatusCode::BAD_REQUEST,
                Media::Json => StatusCode::OK,
            };
            return Ok(HttpResponse::build(status)
                .content_type(media.content_type())
                .json(body));
        }
        if method == Method::GET && mutation {
            return Ok(HttpResponse::MethodNotAllowed()
                .insert_header((header::ALLOW, "POST"))
                .content_type(media.content_type())
                .json(error_body(&Reason::MUTATION_OVER_GET.into(), lang)));
        }
        request.set_parsed_query(doc);
        validation = documents::ValidationKey::of(&key, &request);
        if let Some(k) = validation {
            request = request.data(k);
        }
    }
    let access = caller(state, http).await;
    let raw = RawJson::default();
    let request = request_data(request, &state.store, access).data(raw.clone());
    let mut resp = state
        .schemas
        .for_key(validation.as_ref())
        .execute(request)
        .await;
    if mutation {
        // It may have revoked a session, disabled a user or changed a role: the next
        // request must not be answered from what was kept before (it is read again).
        state.store.callers().clear();
    }
    normalize_errors(&mut resp, lang, mutation);
    let code = resp
        .errors
        .first()
        .and_then(|e| e.extensions.as_ref())
        .and_then(|ext| ext.get("code"))
        .and_then(|c| match c {
            async_graphql::Value::String(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "OK".into());
    METRICS.observe_request(&operation, &code, started.elapsed());
    // Parse, validation and variable errors come before execution: no data, and
    // under graphql-response+json a 400.
    let request_error = resp.data == async_graphql::Value::Null
        && !resp.errors.is_empty()
        && resp.errors.iter().all(|e| e.path.is_empty());
    // A sign-in throttled or a resource busy: the client should wait, and say so in
    // the status as well as in the error.
    let retry_after = resp
        .errors
        .iter()
        .filter_map(|e| e.extensions.as_ref()?.get("retryAfter"))
        .filter_map(|v| match v {
            async_graphql::Value::Number(n) => n.as_u64(),
            _ => None,
        })
        .max();
    let (status, body) = match (media, request_error) {
        (Media::GraphqlResponse, true) => (
            StatusCode::BAD_REQUEST,
            serde_json::to_vec(&json!({ "errors": resp.errors })),
        ),
        _ => (StatusCode::OK, response_json(&resp, &raw)),
    };
    Ok(match body {
        Ok(body) => {
            let mut res = HttpResponse::build(match retry_after {
                Some(_) => StatusCode::TOO_MANY_REQUESTS,
                None => status,
            });
            if let Some(secs) = retry_after {
                res.insert_header((header::RETRY_AFTER, secs.to_string()));
            }
            res.content_type(media.content_type()).body(body)
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise a GraphQL response");
            HttpResponse::InternalServerError().json(json!({ "errors": [{
                "message": "internal error",
                "extensions": { "code": ErrorCode::Internal.as_str() },
            }]}))
        }
    })
}

/// The response's JSON, with the pages the flat loop wrote copied in as they are.
fn response_json(resp: &async_graphql::Response, raw: &RawJson) -> serde_json::Result<Vec<u8>> {
    use serde::Serialize;
    let formatter = raw.formatter();
    let mut out = Vec::with_capacity(256 + formatter.len());
    resp.serialize(&mut serde_json::Serializer::with_formatter(
        &mut out, formatter,
    ))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation() {
        assert_eq!(negotiate(None), Media::Json);
        assert_eq!(negotiate(Some("*/*")), Media::Json);
        assert_eq!(negotiate(Some("application/json")), Media::Json);
        assert_eq!(negotiate(Some(GRAPHQL_RESPONSE)), Media::GraphqlResponse);
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Media::GraphqlResponse
        );
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Media::Json
        );
        assert_eq!(negotiate(Some("text/html")), Media::Json);
    }

    #[test]
    fn nul_is_found_anywhere_in_variables() {
        assert!(has_nul(&json!({ "a": [{ "b": "x\u{0}y" }] })));
        assert!(!has_nul(&json!({ "a": [{ "b": "xy" }] })));
    }
}
