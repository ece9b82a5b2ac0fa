//! Spreadsheet exports over HTTP (signed in, `Authorization: Bearer`): donation lists
//! and fund statements as CSV or XLSX. Rows come from the database a page at a time
//! (`services::exports`); CSV pages are sent as they are read, and XLSX rows go into
//! a constant-memory worksheet (spilled to a temporary file) whose zip is streamed
//! out — a year of a district's donations is never held in memory.

use std::io::Write;

use actix_web::http::{header, StatusCode};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::{caller, rate_limited, AppState};
use crate::error::{ErrorCode, Reason, ServiceError, ServiceResult};
use crate::graphql::ids::{id_of, NodeKind};
use crate::services::exports::{Cell, Export, Request};
use crate::services::Ctx;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Params {
    format: Option<String>,
    under: Option<String>,
    fund_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Xlsx,
}

fn day(field: &'static str, v: &Option<String>) -> ServiceResult<Option<NaiveDate>> {
    v.as_deref()
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                ServiceError::from(
                    Reason::OUT_OF_RANGE
                        .at(field)
                        .arg("min", "0001-01-01")
                        .arg("max", "9999-12-31"),
                )
            })
        })
        .transpose()
}

fn format_of(p: &Params) -> ServiceResult<Format> {
    match p.format.as_deref().unwrap_or("csv") {
        "csv" => Ok(Format::Csv),
        "xlsx" => Ok(Format::Xlsx),
        _ => Err(Reason::EXPORT_FORMAT.at("format").into()),
    }
}

/// `GET /exports/donations?format=csv|xlsx&under=&fundId=&from=&to=`
pub(super) async fn donations(
    state: web::Data<AppState>,
    http: HttpRequest,
    params: web::Query<Params>,
) -> HttpResponse {
    let p = params.into_inner();
    let request = || -> ServiceResult<Request> {
        Ok(Request::Donations {
            under: p
                .under
                .as_deref()
                .map(|u| crate::services::parse_unit("under", u))
                .transpose()?,
            fund_id: p
                .fund_id
                .as_ref()
                .map(|f| id_of(NodeKind::Fund, &f.as_str().into()))
                .transpose()?,
            from: day("from", &p.from)?,
            to: day("to", &p.to)?,
        })
    };
    export(&state, &http, format_of(&p), request()).await
}

/// `GET /exports/funds/{fundId}/statement?format=csv|xlsx&from=&to=`
pub(super) async fn statement(
    state: web::Data<AppState>,
    http: HttpRequest,
    fund: web::Path<String>,
    params: web::Query<Params>,
) -> HttpResponse {
    let p = params.into_inner();
    let request = || -> ServiceResult<Request> {
        Ok(Request::Statement {
            fund_id: id_of(NodeKind::Fund, &fund.as_str().into())?,
            from: day("from", &p.from)?,
            to: day("to", &p.to)?,
        })
    };
    export(&state, &http, format_of(&p), request()).await
}

fn refuse(http: &HttpRequest, e: &ServiceError) -> HttpResponse {
    if e.code() == ErrorCode::Internal {
        tracing::error!(error = ?e, path = http.path(), "export failed");
    }
    let status = match e.code() {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::BadUserInput => StatusCode::BAD_REQUEST,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let problem = e.problem();
    HttpResponse::build(status).json(serde_json::json!({
        "code": e.code().as_str(),
        "reason": problem.reason.as_str(),
        "message": problem.render(super::graphql::lang_of(http)),
    }))
}

async fn export(
    state: &AppState,
    http: &HttpRequest,
    format: ServiceResult<Format>,
    request: ServiceResult<Request>,
) -> HttpResponse {
    if let Err(refusal) = rate_limited(state, http) {
        return refusal.respond(super::graphql::lang_of(http));
    }
    let cx = Ctx::new(state.store.clone(), caller(state, http).await);
    let started = async {
        let format = format?;
        let mut export = Export::start(&cx, request?).await?;
        // The first page is read before answering, so a failure is still an error
        // status rather than a cut-off file.
        let first = export.next_page(&cx).await?;
        Ok::<_, ServiceError>((format, export, first))
    };
    let (format, export, first) = match started.await {
        Ok(v) => v,
        Err(e) => return refuse(http, &e),
    };
    let name = format!(
        "{}.{}",
        export.title,
        match format {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    );
    let mut response = HttpResponse::Ok();
    response.insert_header((
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{name}\""),
    ));
    match format {
        Format::Csv => response
            .content_type("text/csv; charset=utf-8")
            .streaming(csv_stream(cx, export, first)),
        Format::Xlsx => response
            .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .streaming(xlsx_stream(cx, export, first)),
    }
}

fn text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Fen(f) => crate::html::yuan(*f),
        Cell::Day(d) => d.to_string(),
        Cell::Int(i) => i.to_string(),
        Cell::Empty => String::new(),
    }
}

fn csv_chunk(rows: &[Vec<String>]) -> Result<Bytes, std::io::Error> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 96));
    for r in rows {
        w.write_record(r).map_err(std::io::Error::other)?;
    }
    w.into_inner()
        .map(Bytes::from)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// The header (with a byte-order mark, which spreadsheet programs need to read
/// UTF-8 CSV as such) and the first page, then one chunk per page.
fn csv_stream(
    cx: Ctx,
    export: Export,
    first: Option<Vec<Vec<Cell>>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let header: Vec<String> = export.columns.iter().map(|c| (*c).to_owned()).collect();
    let head = csv_chunk(&[header]).map(|b| {
        let mut v = b"\xEF\xBB\xBF".to_vec();
        v.extend_from_slice(&b);
        Bytes::from(v)
    });
    let first = first.map(|rows| {
        rows.iter()
            .map(|r| r.iter().map(text).collect())
            .collect::<Vec<Vec<String>>>()
    });
    let rest = futures_util::stream::unfold(Some((cx, export)), |state| async move {
        let (cx, mut export) = state?;
        match export.next_page(&cx).await {
            Ok(Some(rows)) => {
                let rows: Vec<Vec<String>> =
                    rows.iter().map(|r| r.iter().map(text).collect()).collect();
                Some((csv_chunk(&rows), Some((cx, export))))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = ?e, "export stopped mid-way");
                Some((Err(std::io::Error::other("export failed")), None))
            }
        }
    });
    use futures_util::StreamExt;
    futures_util::stream::iter([Some(head), first.map(|r| csv_chunk(&r))])
        .filter_map(|c| async move { c })
        .chain(rest)
}

/// What the workbook writer hands the response: chunks of the zip as it is written.
struct ChunkWriter {
    buf: Vec<u8>,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl ChunkWriter {
    const SIZE: usize = 64 * 1024;

    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(Self::SIZE),
        ));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::other("the client went away"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= Self::SIZE {
            self.send()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// Writes the rows into a constant-memory worksheet on a blocking thread as pages
/// arrive, then streams the finished workbook.
fn xlsx_stream(
    cx: Ctx,
    mut export: Export,
    first: Option<Vec<Vec<Cell>>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let (page_tx, mut page_rx) = mpsc::channel::<ServiceResult<Vec<Vec<Cell>>>>(2);
    let (byte_tx, byte_rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let columns = export.columns.clone();
    let title = export.title.clone();
    tokio::spawn(async move {
        if let Some(rows) = first {
            if page_tx.send(Ok(rows)).await.is_err() {
                return;
            }
        }
        loop {
            let page = export.next_page(&cx).await;
            let stop = !matches!(page, Ok(Some(_)));
            let msg = match page {
                Ok(Some(rows)) => Ok(rows),
                Ok(None) => break,
                Err(e) => Err(e),
            };
            if page_tx.send(msg).await.is_err() || stop {
                break;
            }
        }
    });
    tokio::task::spawn_blocking(move || {
        let errors = byte_tx.clone();
        let written = (|| -> Result<(), String> {
            use rust_xlsxwriter::{Format as XFormat, Workbook};
            let mut book = Workbook::new();
            let money = XFormat::new().set_num_format("#,##0.00");
            let sheet = book
                .add_worksheet_with_constant_memory()
                .map_err(|e| e.to_string())?;
            sheet.set_name(&title).map_err(|e| e.to_string())?;
            for (c, name) in columns.iter().enumerate() {
                sheet
                    .write_string(0, c as u16, *name)
                    .map_err(|e| e.to_string())?;
            }
            let mut row: u32 = 1;
            while let Some(page) = page_rx.blocking_recv() {
                let page = page.map_err(|e| format!("{e:?}"))?;
                for cells in page {
                    for (c, cell) in cells.iter().enumerate() {
                        let c = c as u16;
                        let r = match cell {
                            Cell::Text(s) => sheet.write_string(row, c, s).map(|_| ()),
                            Cell::Fen(f) => sheet
                                .write_number_with_format(row, c, *f as f64 / 100.0, &money)
                                .map(|_| ()),
                            Cell::Day(d) => sheet.write_string(row, c, d.to_string()).map(|_| ()),
                            Cell::Int(i) => sheet.write_number(row, c, *i as f64).map(|_| ()),
                            Cell::Empty => Ok(()),
                        };
                        r.map_err(|e| e.to_string())?;
                    }
                    row += 1;
                }
            }
            let mut out = ChunkWriter {
                buf: Vec::with_capacity(ChunkWriter::SIZE),
                tx: byte_tx,
            };
            book.save_to_writer(&mut out).map_err(|e| e.to_string())?;
            out.flush().map_err(|e| e.to_string())
        })();
        if let Err(e) = written {
            tracing::error!(error = %e, "XLSX export failed");
            let _ = errors.blocking_send(Err(std::io::Error::other("export failed")));
        }
    });
    futures_util::stream::unfold(byte_rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    })
}
