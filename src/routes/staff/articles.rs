//! `GET /api/v1/articles`: articles with inquiry counts, by count or recency, keyset pages;
//! `PATCH /api/v1/articles/{id}`: staff correct an article's title.

use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::auth::SalesKey;
use super::body::{self, ArticlePatch};
use super::query_pairs;
use super::views::Page;
use crate::domain::field::{FieldCode, FieldError};
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::articles::{self, ArticleSummary};

#[utoipa::path(get, path = "/api/v1/articles", tag = "staff", security(("bearer" = ["sales"])),
    params(crate::openapi::ArticleParams),
    responses(
        (status = 200, description = "Articles with inquiry counts", body = crate::routes::staff::views::Page<crate::storage::articles::ArticleSummary>),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::Malformed,
        crate::routes::problems::Invalid))]
pub async fn list_articles(
    req: HttpRequest,
    _: SalesKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut by_count = true;
    let mut limit = super::filters::DEFAULT_LIMIT;
    let mut after = None;
    let mut errors = Vec::new();
    for (name, value) in query_pairs(&req)? {
        match name.as_str() {
            "sort" => match value.as_str() {
                "count" => by_count = true,
                "recent" => by_count = false,
                _ => errors.push(FieldError::new("sort", FieldCode::InvalidValue)),
            },
            "limit" => match value.parse::<i64>() {
                Ok(n) if (1..=super::filters::MAX_LIMIT).contains(&n) => limit = n,
                _ => errors.push(FieldError::new("limit", FieldCode::InvalidValue)),
            },
            "cursor" if !value.is_empty() => match decode(&value) {
                Some(position) => after = Some(position),
                None => errors.push(FieldError::new("cursor", FieldCode::InvalidValue)),
            },
            _ => {}
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut items: Vec<ArticleSummary> = state
        .db(articles::list(&state.pool, by_count, after, limit))
        .await?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|a| encode(a.sort_key, a.id))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}

fn encode(key: i64, id: Uuid) -> String {
    let mut bytes = key.to_be_bytes().to_vec();
    bytes.extend_from_slice(id.as_bytes());
    hex::encode(bytes)
}

fn decode(text: &str) -> Option<(i64, Uuid)> {
    let bytes = hex::decode(text).ok()?;
    if bytes.len() != 24 {
        return None;
    }
    Some((
        i64::from_be_bytes(bytes[..8].try_into().ok()?),
        Uuid::from_slice(&bytes[8..]).ok()?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/articles/{id}", tag = "staff", security(("bearer" = ["sales"])),
    params(("id" = Uuid, Path, description = "The article's id")),
    request_body = ArticlePatch,
    responses(
        (status = 200, description = "The article after the change", body = crate::storage::articles::ArticleSummary),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::BodyProblems,
        crate::routes::problems::NotFound))]
pub async fn update_article(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    SalesKey(staff): SalesKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = Uuid::parse_str(&path).map_err(|_| ApiError::NotFound)?;
    let patch: ArticlePatch = body::read(&req, &body)?;
    let title = patch.title.flatten();
    let article = state
        .db(articles::set_title(&state.pool, id, title.as_deref()))
        .await?
        .ok_or(ApiError::NotFound)?;
    tracing::info!(article.id = %id, actor = %staff.name, "article title set");
    Ok(HttpResponse::Ok().json(article))
}
