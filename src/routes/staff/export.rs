//! `GET /api/v1/inquiries/export.csv` (admin): the list's filters, every row, streamed.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::FixedOffset;
use futures_util::stream::{self, Stream};
use futures_util::StreamExt;
use phonenumber::Mode;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use super::auth::require;
use super::{filters, query_pairs};
use crate::auth::{Role, Staff};
use crate::error::{ApiError, Lang, Localised};
use crate::startup::AppState;
use crate::storage::keys;
use crate::storage::listing::{self, InquiryRow};

/// Excel and WPS read UTF-8 only with a byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";
const ROWS_PER_CHUNK: usize = 256;

const HEADERS_ZH: [&str; 23] = [
    "编号",
    "状态",
    "收到时间（北京时间）",
    "需求",
    "用途",
    "税收",
    "年税收（元）",
    "面积（平方米）",
    "公司",
    "联系人",
    "手机号",
    "邮箱",
    "微信",
    "留言",
    "文章标题",
    "文章链接",
    "来源",
    "媒介",
    "活动",
    "关键词",
    "内容",
    "提交次数",
    "负责人",
];
const HEADERS_EN: [&str; 23] = [
    "id",
    "status",
    "received_at (Asia/Shanghai)",
    "need",
    "use",
    "tax",
    "tax_cny_per_year",
    "area_sqm",
    "company",
    "contact",
    "phone",
    "email",
    "wechat",
    "message",
    "article_title",
    "article_url",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "submission_count",
    "assignee",
];

#[utoipa::path(get, path = "/api/v1/inquiries/export.csv", tag = "staff", security(("bearer" = [])),
    params(crate::openapi::ListParams, crate::openapi::ExportParams),
    responses(
        (status = 200, description = "UTF-8 CSV with BOM, streamed (admin)", content_type = "text/csv"),
        (status = 400, description = "Malformed body or query", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key's role may not do this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields or parameters (every one listed)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unreachable (Retry-After)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn export_inquiries(
    req: HttpRequest,
    staff: Staff,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Localised> {
    let lang = Lang::from_request(&req);
    async {
        require(&staff, Role::Admin)?;
        let query = filters::parse(&query_pairs(&req)?).map_err(ApiError::Validation)?;
        let audit = Audit {
            state: state.clone(),
            staff: staff.clone(),
        };
        audit.record("export").await?;
        let headers = if query.lang_en {
            HEADERS_EN
        } else {
            HEADERS_ZH
        };
        let mut first = BOM.to_vec();
        first.extend_from_slice(&csv_line(headers.iter().map(|h| h.to_string())));
        // Fused: when the first answer is the end, the body must not ask again.
        let mut rows = listing::stream_all(&state.pool, &query.filter).fuse();
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
            query.lang_en,
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
    .await
    .map_err(|e: ApiError| e.in_lang(lang))
}

/// Writes the export's entries in the access log.
struct Audit {
    state: web::Data<AppState>,
    staff: Staff,
}

impl Audit {
    async fn record(&self, action: &str) -> Result<(), ApiError> {
        let Self { state, staff } = self;
        state
            .db(keys::log_access(
                &state.pool,
                staff.key_id,
                &staff.name,
                action,
                None,
            ))
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
                let chunk = chunks.next().await?;
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

/// Text someone typed, as a cell that Excel and WPS show as it was written: never run as a
/// formula, never read as a number or a date. Such a cell gets a leading `'`; every character
/// of the text is kept.
///
/// - Formula (OWASP "CSV injection"): the cell begins with `= + - @`, tab or CR, or its first
///   visible character (past spaces and invisible format characters, which some spreadsheets
///   skip) is one of `= + - @` or folds to one under NFKC: the full-width `＝ ＋ － ＠` a
///   Chinese input method types, and the small forms `﹦ ﹢ ﹣ ﹫`.
/// - Number: see [`number_like`]. Excel and WPS read a CSV cell by its look, quotes or not: a
///   WeChat `13912345678` becomes `1.39123E+10`, an 18-digit ID loses its last digits, `0756…`
///   its zero, `1e5` becomes 100000, `2026-01-02` a date shown another way.
///
/// Why `'` for numbers too: a CSV cannot carry a cell's type, and of the known tricks only
/// this one holds in both. `="0756"` is itself a formula (the injection rule forbids writing
/// one, and other readers see `=`); a leading tab is one of OWASP's dangerous characters, is
/// not reliably honoured by WPS, and stays in the cell as an invisible character that breaks a
/// copied WeChat ID; zero-width characters corrupt the value the same way. A `'` cannot be read
/// as a number or a formula by anything, is visible (Excel shows it when opening a CSV — the
/// cost of this choice), and is the same mark as on neutralised formulas.
pub fn text_cell(text: &str) -> String {
    if formula_like(text) || number_like(text) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

fn formula_like(text: &str) -> bool {
    if text.starts_with(['\t', '\r']) {
        return true;
    }
    text.chars()
        .find(|c| !c.is_whitespace() && c.general_category() != GeneralCategory::Format)
        .is_some_and(|c| {
            c.to_string()
                .nfkc()
                .next()
                .is_some_and(|f| matches!(f, '=' | '+' | '-' | '@'))
        })
}

/// Whether a spreadsheet would read the text as a number, date, time, percentage, currency or
/// truth value: digits (ASCII or full-width) with only the signs, separators, units and date
/// words those formats use — or a date and a time (`2026-01-02 10:30`), or a whole and a
/// fraction (`1 1/2`). Deliberately wide: a needless `'` costs one visible character, a missed
/// one costs digits. Digits grouped by spaces (`139 1234 5678`, the phone column) stay text in
/// Excel and WPS, as do month names (`Jan 2`), which are not covered.
fn number_like(text: &str) -> bool {
    let text = text.trim();
    if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false") {
        return true;
    }
    match text.split_once(' ') {
        Some((a, b)) => b.contains([':', '/']) && numeric(a) && numeric(b.trim_start()),
        None => numeric(text),
    }
}

fn numeric(text: &str) -> bool {
    const MARKS: &str = ".,+-/:%()$¥￥€£eE．，＋－／：％（）年月日时分秒";
    let digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
    text.chars().any(digit) && text.chars().all(|c| digit(c) || MARKS.contains(c))
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
        row.status,
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
        text(row.wechat),
        text(row.message),
        text(row.article_title),
        text(row.article_url),
        text(row.utm_source),
        text(row.utm_medium),
        text(row.utm_campaign),
        text(row.utm_term),
        text(row.utm_content),
        row.submission_count.to_string(),
        text(row.assignee),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_what_the_visitor_wrote_as_text() {
        let q = |s: &str| format!("'{s}");
        let cases: Vec<(&str, String, &str)> = vec![
            // Formulas, as typed and as a Chinese input method types them.
            (
                "=HYPERLINK(\"http://x\",\"点我\")",
                q("=HYPERLINK(\"http://x\",\"点我\")"),
                "formula",
            ),
            ("=1+1", q("=1+1"), "formula"),
            ("+86 139 1234 5678", q("+86 139 1234 5678"), "plus"),
            ("-陈", q("-陈"), "minus"),
            ("@SUM(A1)", q("@SUM(A1)"), "at"),
            ("\tx", q("\tx"), "tab"),
            ("\rx", q("\rx"), "carriage return"),
            ("＝1+1", q("＝1+1"), "full-width equals"),
            ("＋8613912345678", q("＋8613912345678"), "full-width plus"),
            ("－陈", q("－陈"), "full-width minus"),
            ("＠王总", q("＠王总"), "full-width at"),
            ("﹦1+1", q("﹦1+1"), "small equals"),
            (" =1+1", q(" =1+1"), "a space before the formula"),
            (
                "\u{200b}=1+1",
                q("\u{200b}=1+1"),
                "a zero-width space before it",
            ),
            (
                "\u{3000}＝cmd|' /C calc'!A0",
                q("\u{3000}＝cmd|' /C calc'!A0"),
                "DDE after an ideographic space",
            ),
            // Numbers Excel and WPS would change.
            (
                "13912345678",
                q("13912345678"),
                "a mobile in the WeChat field",
            ),
            ("123456789", q("123456789"), "a QQ number"),
            (
                "440301199001011234",
                q("440301199001011234"),
                "18 digits lose precision",
            ),
            ("07563331234", q("07563331234"), "leading zero"),
            (
                "0756-3331234",
                q("0756-3331234"),
                "landline read as a date or a subtraction",
            ),
            ("1e5", q("1e5"), "exponent"),
            ("1E+05", q("1E+05"), "exponent with sign"),
            ("3.50", q("3.50"), "trailing zero"),
            ("1,234", q("1,234"), "thousands separator"),
            ("2026-01-02", q("2026-01-02"), "ISO date"),
            ("2026/1/2", q("2026/1/2"), "slash date"),
            ("1/2", q("1/2"), "read as 2 January"),
            ("2026-01-02 10:30", q("2026-01-02 10:30"), "date and time"),
            ("1 1/2", q("1 1/2"), "mixed fraction"),
            ("12:30", q("12:30"), "time"),
            ("50%", q("50%"), "percentage"),
            ("(300)", q("(300)"), "accounting negative"),
            ("¥500", q("¥500"), "currency"),
            ("2026年1月2日", q("2026年1月2日"), "Chinese date"),
            (
                "１３９１２３４５６７８",
                q("１３９１２３４５６７８"),
                "full-width digits",
            ),
            ("TRUE", q("TRUE"), "truth value"),
            (" 0756 ", q(" 0756 "), "spaces around digits"),
            // Text that stays as it is.
            ("求租厂房", "求租厂房".into(), "Chinese text"),
            ("a=b", "a=b".into(), "equals inside"),
            ("wxid_abc123", "wxid_abc123".into(), "WeChat ID"),
            ("wang2026", "wang2026".into(), "letters then digits"),
            ("12345@qq.com", "12345@qq.com".into(), "QQ email"),
            (
                "139 1234 5678",
                "139 1234 5678".into(),
                "phone grouped by spaces",
            ),
            (
                "0756 333 1234",
                "0756 333 1234".into(),
                "landline grouped by spaces",
            ),
            ("年纳税300万", "年纳税300万".into(), "tax in words"),
            ("2000平方米", "2000平方米".into(), "area with unit"),
            ("300万", "300万".into(), "digits and a Chinese unit"),
            ("微信同号", "微信同号".into(), "same as the phone"),
            (
                "https://www.example.cn/a.html",
                "https://www.example.cn/a.html".into(),
                "URL",
            ),
            ("", "".into(), "empty"),
        ];
        assert!(cases.len() >= 20);
        for (input, expected, why) in cases {
            assert_eq!(text_cell(input), expected, "{why}: {input:?}");
            assert!(
                text_cell(input).ends_with(input),
                "{why}: every character kept"
            );
        }
    }

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
