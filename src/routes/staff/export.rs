//! `GET /api/v1/inquiries/export.csv` (admin): the list's filters, every row, streamed.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::FixedOffset;
use futures_util::stream::{self, Stream};
use futures_util::StreamExt;
use phonenumber::Mode;

use super::auth::AdminKey;
use super::cells::text_cell;
use super::filters;
use super::query::{self, ListParams};
use crate::auth::Staff;
use crate::domain::catalogue;
use crate::domain::phone::PhoneNumber;
use crate::error::ApiError;
use crate::privacy;
use crate::state::AppState;
use crate::storage::inquiries::{self, InquiryRow};

/// Excel and WPS read UTF-8 only with a byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";
const ROWS_PER_CHUNK: usize = 256;

/// The columns' Chinese headers; visitor fields carry the catalogue's labels.
const HEADERS_ZH: [&str; 27] = [
    "编号",
    "状态",
    "收到时间（北京时间）",
    catalogue::NEED.zh,
    catalogue::USE.zh,
    catalogue::TAX.zh,
    "年税收（元）",
    "面积（平方米）",
    catalogue::COMPANY.zh,
    catalogue::CONTACT.zh,
    catalogue::PHONE.zh,
    catalogue::EMAIL.zh,
    catalogue::WECHAT.zh,
    catalogue::MESSAGE.zh,
    catalogue::ARTICLE_TITLE.zh,
    catalogue::ARTICLE_URL.zh,
    "来源",
    "媒介",
    "活动",
    "关键词",
    "内容",
    "落地页",
    "广告点击ID",
    "来源页（Referer）",
    "标记",
    "提交次数",
    "负责人",
];
/// The columns' English headers: the staff API's field names.
const HEADERS_EN: [&str; 27] = [
    "id",
    "status",
    "received_at (Asia/Shanghai)",
    catalogue::NEED.name,
    catalogue::USE.name,
    catalogue::TAX.name,
    "tax_cny_per_year",
    "area_sqm",
    catalogue::COMPANY.name,
    catalogue::CONTACT.name,
    catalogue::PHONE.name,
    catalogue::EMAIL.name,
    catalogue::WECHAT.name,
    catalogue::MESSAGE.name,
    catalogue::ARTICLE_TITLE.name,
    catalogue::ARTICLE_URL.name,
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "landing_url",
    "click_ids",
    "referrer",
    "flags",
    "submission_count",
    "assignee",
];

#[utoipa::path(get, path = "/api/v1/inquiries/export.csv", tag = "staff", security(("bearer" = ["admin"])),
    params(ListParams),
    responses(
        (status = 200, description = "UTF-8 CSV with BOM, streamed (admin)", content_type = "text/csv"),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::Malformed,
        crate::routes::problems::Invalid))]
pub async fn export_inquiries(
    req: HttpRequest,
    AdminKey(staff): AdminKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (query, pairs) = query::read_pairs::<ListParams>(&req)?;
    let (details, _) = filters::audit_details(&pairs);
    let entry = state
        .db(privacy::record_read(
            &state.pool,
            &staff,
            "export",
            &details,
        ))
        .await?;
    let audit = Audit {
        state: state.clone(),
        staff: staff.clone(),
        entry,
    };
    let headers = if query.english() {
        HEADERS_EN
    } else {
        HEADERS_ZH
    };
    let mut first = BOM.to_vec();
    first.extend_from_slice(&csv_line(headers.iter().map(|h| h.to_string())));
    // Fused: when the first answer is the end, the body must not ask again.
    let mut rows = inquiries::stream_all(
        &state.pool,
        &query.filter(),
        state.settings.server.stalled_download_timeout,
    )
    .fuse();
    // The query's first answer before the first byte: a query that fails at once is an
    // error response, not a download that looks like "no leads".
    let head = rows.next().await;
    if let Some(Err(e)) = head {
        audit.failed(0, &e).await;
        return Err(ApiError::from_db(e));
    }
    let rows = stream::iter(head).chain(rows);
    let body = stream::once(async move { Ok(web::Bytes::from(first)) }).chain(csv_rows(
        rows,
        audit,
        query.english(),
    ));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"inquiries.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}

/// Writes the export's entries in the access log.
struct Audit {
    state: web::Data<AppState>,
    staff: Staff,
    /// The export's entry: its row count is filled in at the end.
    entry: i64,
}

impl Audit {
    /// The export ended after `rows` rows: the count goes into its entry.
    async fn finished(&self, rows: u64) {
        let state = &self.state;
        if let Err(e) = state
            .db_own(privacy::record_rows(&state.pool, self.entry, rows))
            .await
        {
            tracing::warn!(error = %e, "the export's row count could not be written to the access log");
        }
    }

    async fn record(&self, action: &str) -> Result<(), ApiError> {
        let Self { state, staff, .. } = self;
        state
            .db_own(privacy::record_action(&state.pool, staff, action, None))
            .await
    }

    /// A failed export, after `rows` rows: in the log, and as `export_failed` in the access
    /// log when the database still answers.
    async fn failed(&self, rows: u64, error: &sqlx::Error) {
        tracing::error!(rows, error = %error, "export failed; the download is cut short");
        if let Err(e) = self.record("export_failed").await {
            tracing::error!(error = %e, "the failed export could not be written to the access log");
        }
    }
}

/// The last line of a download that failed after it started, for anyone who keeps the partial
/// file: it is no row of leads, and a strict CSV reader refuses its single field.
const INTERRUPTED_ZH: &str = "【导出中断】此文件不完整，缺少其后的询盘，请重新导出。";
const INTERRUPTED_EN: &str =
    "[EXPORT INTERRUPTED] This file is incomplete: later inquiries are missing. Export again.";

enum Step<S> {
    Rows { chunks: S, written: u64 },
    Abort,
    End,
}

/// The rows as CSV, a chunk of whole rows at a time. A failure after the response started ends
/// the body with an error: actix-web then drops the connection without the chunked encoding's
/// last chunk, so every HTTP client, browser and proxy sees an incomplete download rather than
/// a short file. Before that, the rows read so far and an [`INTERRUPTED_ZH`] line are sent,
/// and the failure goes to the access log.
fn csv_rows(
    rows: impl Stream<Item = Result<InquiryRow, sqlx::Error>> + 'static,
    audit: Audit,
    lang_en: bool,
) -> impl Stream<Item = Result<web::Bytes, actix_web::Error>> {
    let start = Step::Rows {
        chunks: Box::pin(rows.ready_chunks(ROWS_PER_CHUNK)),
        written: 0,
    };
    stream::unfold((start, audit), move |(step, audit)| async move {
        match step {
            Step::End => None,
            Step::Abort => {
                // One turn for the server to flush the bytes above before the connection is
                // cut (best effort: a client that is not reading may never get them).
                tokio::task::yield_now().await;
                let error = actix_web::error::ErrorInternalServerError("export failed");
                Some((Err(error), (Step::End, audit)))
            }
            Step::Rows {
                mut chunks,
                written,
            } => {
                let Some(chunk) = chunks.next().await else {
                    audit.finished(written).await;
                    return None;
                };
                let mut writer = csv_writer(Vec::with_capacity(chunk.len() * 320));
                let mut count = 0;
                for row in chunk {
                    match row {
                        Ok(row) => {
                            // Writing to a Vec cannot fail.
                            let _ = writer.write_record(cells(row));
                            count += 1;
                        }
                        Err(e) => {
                            audit.failed(written + count, &e).await;
                            let _ = writer.write_record([if lang_en {
                                INTERRUPTED_EN
                            } else {
                                INTERRUPTED_ZH
                            }]);
                            let bytes = writer.into_inner().unwrap_or_default();
                            return Some((Ok(web::Bytes::from(bytes)), (Step::Abort, audit)));
                        }
                    }
                }
                let bytes = web::Bytes::from(writer.into_inner().unwrap_or_default());
                let next = Step::Rows {
                    chunks,
                    written: written + count,
                };
                Some((Ok(bytes), (next, audit)))
            }
        }
    })
}

fn csv_writer(buffer: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(buffer)
}

fn csv_line(cells: impl IntoIterator<Item = String>) -> Vec<u8> {
    let mut writer = csv_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(cells);
    writer.into_inner().unwrap_or_default()
}

/// A phone for people: `139 1234 5678` for mainland numbers, international format otherwise.
pub fn phone_for_people(e164: &str) -> String {
    // The common case, a mainland mobile (+86 1xx xxxx xxxx), without the library's parser,
    // which costs more than the rest of the row.
    if let Some(national) = e164.strip_prefix("+861") {
        if national.len() == 10 && national.bytes().all(|b| b.is_ascii_digit()) {
            return format!("1{} {} {}", &national[..2], &national[2..6], &national[6..]);
        }
    }
    let Ok(number) = phonenumber::parse(None, e164) else {
        return e164.to_string();
    };
    let mode = if number.code().value() == 86 {
        Mode::National
    } else {
        Mode::International
    };
    number.format().mode(mode).to_string()
}

fn cells(row: InquiryRow) -> Vec<String> {
    let shanghai = FixedOffset::east_opt(8 * 3600).expect("a valid offset");
    let text = |v: Option<String>| v.map(|s| text_cell(&s)).unwrap_or_default();
    vec![
        row.id.to_string(),
        row.status.as_str().to_string(),
        row.received_at
            .with_timezone(&shanghai)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        text_cell(&row.need),
        text(row.r#use),
        text(row.tax),
        row.tax_cny_per_year
            .map(|n| n.to_string())
            .unwrap_or_default(),
        row.area_sqm.map(|n| n.to_string()).unwrap_or_default(),
        text(row.company),
        text(row.contact),
        row.phone
            .map(|p| text_cell(&phone_for_people(&p)))
            .unwrap_or_default(),
        text(row.email),
        // A WeChat answer that was a phone number is stored as E.164: written like the phone.
        row.wechat
            .map(|w| {
                // Only what the intake stored as a phone (the shape is checked first, so the
                // parser runs on phone-shaped cells alone).
                let shaped =
                    w.len() > 6 && w.starts_with('+') && w[1..].bytes().all(|b| b.is_ascii_digit());
                let phone = shaped && PhoneNumber::parse(&w).is_some_and(|p| p.as_e164() == w);
                text_cell(&if phone { phone_for_people(&w) } else { w })
            })
            .unwrap_or_default(),
        text(row.message),
        text(row.article_title),
        text(row.article_url),
        text(row.utm_source),
        text(row.utm_medium),
        text(row.utm_campaign),
        text(row.utm_term),
        text(row.utm_content),
        text(row.landing_url),
        // `bd_vid=1196…; gclid=Cj0…`: one cell, the parameters as they appear in a URL.
        text_cell(
            &row.click_ids
                .0
                .iter()
                .map(|(name, id)| format!("{name}={id}"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        text(row.referrer),
        row.flags.join(" "),
        row.submission_count.to_string(),
        text(row.assignee),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_written_for_people() {
        assert_eq!(phone_for_people("+8613912345678"), "139 1234 5678");
        assert_eq!(phone_for_people("+8619912345678"), "199 1234 5678");
        assert_eq!(phone_for_people("+867563331234"), "0756 333 1234");
        assert_eq!(phone_for_people("+864008001234"), "400 800 1234");
        assert_eq!(phone_for_people("+85291234567"), "+852 9123 4567");
        assert_eq!(phone_for_people("+16502530000"), "+1 650-253-0000");
    }
}
