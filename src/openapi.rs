//! The OpenAPI document, generated from the handlers' annotations, the request and response
//! types, and (for the public form, which keeps its own parser) the field catalogue.

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::RefOr;
use utoipa::{Modify, OpenApi, ToSchema};

use crate::error::{FieldProblem, Problem};
use crate::routes::staff::views::{
    AccessEntryView, AccessLog, ArticleCountView, ArticleItem, ArticleView, CreatedKey,
    DayCountView, EventView, InquiryDetail, InquiryItem, KeyList, KeyView, NoteView,
    NotificationView, Page, RelatedItem, SourceCountView, StatsView, StatusCountView,
};
use crate::routes::{health, intake, pages, staff};

/// The public form's fields (JSON, or the same names urlencoded), described from what the intake
/// reads: the field catalogue (`domain::catalogue`: name, labels, limit, lines, required), the
/// attribution fields (`domain::inquiry::UTM_FIELDS`) and the fields the form's script fills in.
/// Unknown fields are ignored; empty optional fields count as absent. Built by hand from those
/// tables (not derived from a struct) because the intake keeps its own parser (`routes::intake`).
pub struct InquiryRequest;

impl ToSchema for InquiryRequest {
    fn name() -> std::borrow::Cow<'static, str> {
        "InquiryRequest".into()
    }
}

impl utoipa::PartialSchema for InquiryRequest {
    fn schema() -> RefOr<Schema> {
        use crate::domain::catalogue;
        use crate::domain::inquiry::{limits, UTM_FIELDS};
        let mut object = ObjectBuilder::new().schema_type(Type::Object);
        for field in catalogue::FIELDS {
            object = object.property(field.name, visitor_field(field));
            if field.required {
                object = object.required(field.name);
            }
        }
        for name in UTM_FIELDS {
            let about = format!(
                "{name}: kept with the inquiry; never an error: kept up to {} characters",
                limits::UTM
            );
            object = object.property(name, text(about, None));
        }
        let consent = ObjectBuilder::new()
            .schema_type(Type::Boolean)
            .description(Some(
                "Required (true) when intake.require_consent is on; `true`, `on`, `1`, `yes` in \
                 a form",
            ));
        object
            .property("consent", consent)
            .property(
                "website",
                text(
                    "Honeypot (its name is intake.honeypot_field): humans leave it empty",
                    None,
                ),
            )
            .property("_ts", text("The form token (GET /api/v1/form-token)", None))
            .property(
                "_charset_",
                text(
                    "Filled in by the browser: the encoding of a form post (GBK pages)",
                    None,
                ),
            )
            .property(
                "_next",
                text(
                    "Browser form posts: where to redirect after success (listed hosts only)",
                    None,
                ),
            )
            .into()
    }
}

/// A text property of the form's schema.
fn text(description: impl Into<String>, max: Option<usize>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .max_length(max)
}

/// A catalogue field as a property: its labels, lines, limit and example.
fn visitor_field(field: &crate::domain::catalogue::Field) -> ObjectBuilder {
    use crate::domain::catalogue::Input;
    use crate::domain::text::Lines;
    let mut about = format!("{}（{}）", field.en, field.zh);
    about.push_str(match field.lines {
        Lines::Single => "; one line",
        Lines::Multi => "; several lines",
    });
    if field.input == Input::Tel {
        about.push_str(
            "; any spelling people type or paste (full-width digits, dashes, spaces), default \
             region CN; stored as E.164",
        );
    }
    if !field.hint.is_empty() {
        about.push_str(&format!("; e.g. {}", field.hint));
    }
    if field.lenient {
        // Cut, never refused: a client must not refuse what the server takes.
        about.push_str(&format!(
            "; never an error: kept up to {} characters",
            field.max
        ));
        return text(about, None);
    }
    text(about, Some(field.max))
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A staff key: idk_ followed by 64 hex characters"))
                    .build(),
            ),
        );
    }
}

/// The `webhook` channel's request (SPEC §6), as an OpenAPI 3.1 `webhooks` entry: the body
/// is [`crate::notify::webhook::WebhookEvent`], the headers Standard Webhooks'.
struct Webhooks;

impl Modify for Webhooks {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{
            HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
        };
        use utoipa::openapi::request_body::RequestBodyBuilder;
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::{ContentBuilder, PathsBuilder, Ref, Required, ResponseBuilder};
        let header = |name: &str, description: &str| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Header)
                .required(Required::True)
                .description(Some(description))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        };
        let body = RequestBodyBuilder::new()
            .required(Some(Required::True))
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("WebhookEvent")))
                    .build(),
            )
            .build();
        let operation = OperationBuilder::new()
            .operation_id(Some("inquiryWebhook"))
            .summary(Some(
                "A new inquiry or a supplement, sent to a partner system",
            ))
            .description(Some(
                "POSTed to the `webhook_url` of each `webhook` channel (`notify.channels`), \
                 through the outbox: at least once, retried with backoff. Signed as Standard \
                 Webhooks specifies with the channel's `secret`: verify `webhook-signature` \
                 over `{webhook-id}.{webhook-timestamp}.{body}` and drop a repeated \
                 `webhook-id` (the same on every attempt of one message).",
            ))
            .parameter(header(
                "webhook-id",
                "msg_ and the outbox row's id: the same on every attempt",
            ))
            .parameter(header("webhook-timestamp", "seconds since 1970"))
            .parameter(header(
                "webhook-signature",
                "v1, and the Base64 HMAC-SHA256 of id.timestamp.body",
            ))
            .request_body(Some(body))
            .response(
                "2XX",
                ResponseBuilder::new().description(
                    "Received. 410 and any other 4xx but 408 and 429: refused for good (the \
                     message is dead); 408, 429, 5xx or no answer: tried again later.",
                ),
            );
        openapi.webhooks = Some(
            PathsBuilder::new()
                .path(
                    crate::notify::webhook::OPENAPI_NAME,
                    PathItem::new(HttpMethod::Post, operation),
                )
                .build(),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "inquiry-desk",
        description = "Lead capture for article-page inquiry forms, and the sales staff API. \
                       Errors are RFC 9457 problem details, in Chinese unless Accept-Language prefers English."
    ),
    paths(
        health::healthz,
        health::readyz,
        pages::thanks,
        crate::routes::embed::form_js,
        crate::routes::embed::form_css,
        crate::routes::embed::demo,
        crate::routes::embed::demo_css,
        crate::routes::inbox::page,
        crate::routes::inbox::script,
        crate::routes::inbox::style,
        intake::create_inquiry,
        crate::routes::form_token::get_form_token,
        staff::inquiries::list_inquiries,
        staff::export::export_inquiries,
        staff::inquiries::get_inquiry,
        staff::inquiries::update_inquiry,
        staff::inquiries::anonymise_inquiry,
        staff::inquiries::add_note,
        staff::inquiries::retry_notification,
        staff::articles::list_articles,
        staff::articles::update_article,
        staff::stats::get_stats,
        staff::keys::list_keys,
        staff::keys::create_key,
        staff::keys::revoke_key,
        staff::keys::access_log,
        staff::privacy::export_subject,
        staff::privacy::erase_subject,
        openapi_json,
        docs,
        crate::metrics::scrape,
    ),
    components(schemas(
        Problem, FieldProblem, InquiryRequest, crate::intake::IntakeAnswer,
        crate::routes::staff::body::InquiryPatch, crate::routes::staff::body::NoteRequest,
        crate::routes::staff::body::KeyRequest,
        crate::routes::staff::body::ArticlePatch, crate::domain::inquiry::Attribution,
        crate::domain::inquiry::Flag,
        CreatedKey, KeyList, AccessLog, health::HealthAnswer, InquiryItem, InquiryDetail, ArticleView,
        RelatedItem, NotificationView, EventView, NoteView, ArticleItem, StatsView, DayCountView,
        StatusCountView, ArticleCountView, SourceCountView, KeyView, AccessEntryView,
        Page<InquiryItem>, Page<ArticleItem>,
        crate::notify::webhook::WebhookEvent, crate::notify::webhook::WebhookEventType,
        crate::notify::webhook::WebhookInquiry, crate::notify::webhook::WebhookArticle,
    )),
    modifiers(&BearerAuth, &Webhooks),
    tags(
        (name = "public", description = "The website's form"),
        (name = "staff", description = "Sales staff (Bearer key; some endpoints admin only)"),
        (name = "operations", description = "Health and documentation"),
    )
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`: this document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(ApiDoc::openapi())
}

/// `GET /api/v1/docs/`: Swagger UI, served from files compiled into the binary (nothing is
/// fetched from the internet), reading `/api/v1/openapi.json`.
#[utoipa::path(get, path = "/api/v1/docs/{file}", tag = "operations",
    params(("file" = String, Path, description = "empty for the page itself")),
    responses(
        (status = 200, description = "The docs page or one of its files"),
        (status = 404, description = "No such file", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn docs(
    file: actix_web::web::Path<String>,
) -> Result<actix_web::HttpResponse, crate::error::ApiError> {
    use actix_web::http::header;
    let config = std::sync::Arc::new(utoipa_swagger_ui::Config::new(["/api/v1/openapi.json"]));
    match utoipa_swagger_ui::serve(&file, config) {
        Ok(Some(found)) => {
            let mut response = actix_web::HttpResponse::Ok();
            response.content_type(found.content_type);
            if found.gzpipped {
                response.insert_header((header::CONTENT_ENCODING, "gzip"));
            }
            Ok(response.body(found.bytes.into_owned()))
        }
        _ => Err(crate::error::ApiError::NotFound),
    }
}
