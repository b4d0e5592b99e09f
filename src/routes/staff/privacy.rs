//! A person's requests under PIPL (admin): everything held about a phone number, and its
//! anonymisation.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::auth::AdminKey;
use super::inquiries::{load_detail, TimelinePage};
use super::query_pairs;
use super::views::InquiryDetail;
use crate::domain::field::{FieldCode, FieldError};
use crate::domain::phone::PhoneNumber;
use crate::error::ApiError;
use crate::privacy;
use crate::state::AppState;
use crate::storage::keys::{self, AccessEntry};
use crate::storage::workflow;

#[derive(Serialize, utoipa::ToSchema)]
pub struct SubjectData {
    /// E.164.
    pub phone: String,
    /// Every inquiry from the phone with its timeline and notifications.
    pub inquiries: Vec<InquiryDetail>,
    /// Staff reads of those inquiries.
    pub access_log: Vec<AccessEntry>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SubjectErased {
    pub anonymised: usize,
}

#[allow(dead_code)]
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubjectParams {
    /// The person's phone number, in any accepted spelling.
    phone: String,
}

fn subject_phone(req: &HttpRequest) -> Result<String, ApiError> {
    let phone = query_pairs(req)?
        .into_iter()
        .find(|(k, _)| k == "phone")
        .and_then(|(_, v)| PhoneNumber::parse(&v))
        .ok_or_else(|| {
            ApiError::Validation(vec![FieldError::new("phone", FieldCode::InvalidValue)])
        })?;
    Ok(phone.as_e164().to_string())
}

#[utoipa::path(get, path = "/api/v1/privacy/subject", tag = "staff", security(("bearer" = ["admin"])),
    params(SubjectParams),
    responses(
        (status = 200, description = "Everything held about the phone number (admin)", body = SubjectData),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::Invalid))]
pub async fn export_subject(
    req: HttpRequest,
    AdminKey(staff): AdminKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let phone = subject_phone(&req)?;
    let ids = state
        .db(workflow::ids_by_phone(&state.pool, &phone))
        .await?;
    let mut inquiries = Vec::with_capacity(ids.len());
    let mut access_log = Vec::new();
    for id in ids {
        inquiries.push(load_detail(&state, id, TimelinePage::ALL).await?);
        access_log.extend(
            state
                .db(keys::access_entries(&state.pool, Some(id), 1000))
                .await?,
        );
        state
            .db(keys::log_access(
                &state.pool,
                staff.key_id,
                &staff.name,
                "subject_access",
                Some(id),
            ))
            .await?;
    }
    Ok(HttpResponse::Ok().json(SubjectData {
        phone,
        inquiries,
        access_log,
    }))
}

#[utoipa::path(delete, path = "/api/v1/privacy/subject", tag = "staff", security(("bearer" = ["admin"])),
    params(SubjectParams),
    responses(
        (status = 200, description = "Every inquiry from the phone anonymised (admin)", body = SubjectErased),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::Invalid))]
pub async fn erase_subject(
    req: HttpRequest,
    AdminKey(staff): AdminKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let phone = subject_phone(&req)?;
    let ids = state
        .db(privacy::subject_inquiries(&state.pool, &phone))
        .await?;
    for &id in &ids {
        state
            .db(privacy::anonymise(&state.pool, &staff, id))
            .await?;
    }
    Ok(HttpResponse::Ok().json(SubjectErased {
        anonymised: ids.len(),
    }))
}
