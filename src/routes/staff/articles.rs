//! `GET /api/v1/articles`: articles with inquiry counts, by count or recency, keyset pages.

use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::auth::require;
use super::query_pairs;
use super::views::Page;
use crate::auth::{Role, Staff};
use crate::domain::field::{FieldCode, FieldError};
use crate::error::{ApiError, Lang, Localised};
use crate::startup::AppState;
use crate::storage::articles::{self, ArticleSummary};

#[utoipa::path(get, path = "/api/v1/articles", tag = "staff", security(("bearer" = [])),
    params(crate::openapi::ArticleParams),
    responses(
        (status = 200, description = "Articles with inquiry counts", body = crate::routes::staff::views::Page<crate::storage::articles::ArticleSummary>),
        (status = 400, description = "Malformed body or query", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key's role may not do this", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields or parameters (every one listed)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unreachable (Retry-After)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list_articles(
    req: HttpRequest,
    staff: Staff,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Localised> {
    let lang = Lang::from_request(&req);
    async {
        require(&staff, Role::Sales)?;
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
    .await
    .map_err(|e: ApiError| e.in_lang(lang))
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
