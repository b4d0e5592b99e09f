//! `GET /api/v1/articles`: articles with inquiry counts, by count or recency, keyset pages;
//! `PATCH /api/v1/articles/{id}`: staff correct an article's title.

use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::auth::SalesKey;
use super::body::{self, ArticlePatch};
use super::query::{self, ArticleParams, ArticleSort};
use super::views::{ArticleItem, Page};
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::articles::{self, ArticleSummary};

#[utoipa::path(get, path = "/api/v1/articles", tag = "staff", security(("bearer" = ["sales"])),
    params(ArticleParams),
    responses(
        (status = 200, description = "Articles with inquiry counts", body = crate::routes::staff::views::Page<crate::routes::staff::views::ArticleItem>),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::Malformed,
        crate::routes::problems::Invalid))]
pub async fn list_articles(
    req: HttpRequest,
    _: SalesKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params: ArticleParams = query::read(&req)?;
    let by_count = params.sort != Some(ArticleSort::Recent);
    let limit = params.limit.unwrap_or(query::DEFAULT_LIMIT);
    let after = params.cursor;
    let mut items: Vec<ArticleSummary> = state
        .db(articles::list(&state.pool, by_count, after, limit))
        .await?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|a| encode(a.sort_key, a.id))
    } else {
        None
    };
    let items: Vec<ArticleItem> = items.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}

fn encode(key: i64, id: Uuid) -> String {
    let mut bytes = key.to_be_bytes().to_vec();
    bytes.extend_from_slice(id.as_bytes());
    hex::encode(bytes)
}

/// The position an article cursor holds; `None` for anything `encode` cannot have written.
pub fn decode(text: &str) -> Option<(i64, Uuid)> {
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
        (status = 200, description = "The article after the change", body = crate::routes::staff::views::ArticleItem),
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
    Ok(HttpResponse::Ok().json(ArticleItem::from(article)))
}
