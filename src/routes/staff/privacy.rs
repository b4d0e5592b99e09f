//! A person's requests under PIPL (admin): everything held about a phone number, and its
//! anonymisation.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::auth::AdminKey;
use super::query::{self, SubjectParams};
use super::views::AccessEntryView;
use super::views::InquiryDetail;
use crate::error::ApiError;
use crate::privacy;
use crate::state::AppState;
use crate::workflow::TimelinePage;

#[derive(Serialize, utoipa::ToSchema)]
pub struct SubjectData {
    /// E.164.
    pub phone: String,
    /// Every inquiry from the phone with its timeline and notifications.
    pub inquiries: Vec<InquiryDetail>,
    /// Staff reads of those inquiries.
    pub access_log: Vec<AccessEntryView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SubjectErased {
    pub anonymised: usize,
}

/// The E.164 number the query's `phone` names: 422 unless it is one.
fn subject_phone(req: &HttpRequest) -> Result<String, ApiError> {
    let SubjectParams { phone } = query::read(req)?;
    // `validator` has refused a query without it.
    phone.ok_or(ApiError::MalformedBody)
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
    // Each inquiry has a deadline of its own (not the request's one): see `privacy`.
    let held = privacy::subject_access(&state.pool, &staff, &phone, state.db_deadline).await?;
    let mut inquiries = Vec::with_capacity(held.len());
    let mut access_log = Vec::new();
    for (detail, entries) in held {
        inquiries.push(InquiryDetail::new(detail, TimelinePage::ALL.limit as usize));
        access_log.extend(entries.into_iter().map(AccessEntryView::from));
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
    // Each inquiry has a deadline of its own (not the request's one): see `privacy`.
    let anonymised = privacy::erase_subject(&state.pool, &staff, &phone, state.db_deadline).await?;
    Ok(HttpResponse::Ok().json(SubjectErased { anonymised }))
}
