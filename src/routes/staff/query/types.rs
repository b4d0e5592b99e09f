//! The staff routes' query strings, one type each (read by `super::read`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use super::{
    instant, invalid, list_cursor, normalised_or_empty, parsed, phone, search_text, statuses,
};
use crate::domain::status::Status;
use crate::domain::text::Lines;
use crate::routes::staff::body::text_rule;
use crate::routes::staff::filters::MAX_ASSIGNEE_CHARS;
use crate::storage::inquiries::{Filter, Position};

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: i64 = 50;
/// The longest search text, in characters (after normalising).
const MAX_QUERY_CHARS: usize = 100;

/// `GET /api/v1/inquiries` and its CSV export: the filters of SPEC §4 and the page.
#[derive(Debug, Default, Deserialize, Validate, utoipa::IntoParams)]
#[serde(default, deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// One or several statuses, comma-separated.
    #[serde(deserialize_with = "statuses")]
    #[param(value_type = Option<String>)]
    pub status: Option<Vec<Status>>,
    #[serde(deserialize_with = "parsed")]
    #[param(value_type = Option<uuid::Uuid>)]
    pub article_id: Option<Uuid>,
    /// Substring of company, contact, need or use (Chinese included); digits also match the
    /// phone. At most 100 characters.
    #[serde(deserialize_with = "search_text")]
    #[validate(custom(function = "search_rule"))]
    #[param(value_type = Option<String>)]
    pub q: Option<String>,
    /// Any accepted spelling of a phone number.
    #[serde(deserialize_with = "phone")]
    #[param(value_type = Option<String>)]
    pub phone: Option<String>,
    /// RFC 3339, inclusive.
    #[serde(deserialize_with = "instant")]
    #[param(value_type = Option<String>)]
    pub from: Option<DateTime<Utc>>,
    /// RFC 3339, exclusive.
    #[serde(deserialize_with = "instant")]
    #[param(value_type = Option<String>)]
    pub to: Option<DateTime<Utc>>,
    /// At most 50 characters, one line (as PATCH stores it: a longer one matches nothing).
    #[serde(deserialize_with = "normalised_or_empty")]
    #[validate(custom(function = "assignee_rule"))]
    #[param(value_type = Option<String>)]
    pub assignee: Option<String>,
    /// Minimum derived annual tax in CNY.
    #[serde(deserialize_with = "parsed")]
    #[validate(range(min = 0, code = "invalid_value"))]
    #[param(value_type = Option<i64>, minimum = 0)]
    pub min_tax: Option<i64>,
    /// `dead`: inquiries with a dead notification.
    #[serde(deserialize_with = "parsed")]
    #[param(value_type = Option<String>)]
    pub notification: Option<NotificationFilter>,
    /// 1–200, default 50. The export checks it and exports every row.
    #[serde(deserialize_with = "parsed")]
    #[validate(range(min = 1, max = 200, code = "invalid_value"))]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page. The export checks it and exports every row.
    #[serde(deserialize_with = "list_cursor")]
    #[param(value_type = Option<String>)]
    pub cursor: Option<Position>,
    /// The CSV export's headers: `en` for English (the API's field names), `zh` (default) for
    /// Chinese. The list answers in JSON whatever it says.
    #[serde(deserialize_with = "parsed")]
    #[param(value_type = Option<String>)]
    pub lang: Option<HeaderLang>,
}

fn search_rule(q: &str) -> Result<(), ValidationError> {
    if q.chars().count() > MAX_QUERY_CHARS || q.chars().any(char::is_control) {
        return Err(invalid());
    }
    Ok(())
}

fn assignee_rule(value: &str) -> Result<(), ValidationError> {
    text_rule("assignee", value, MAX_ASSIGNEE_CHARS, Lines::Single)
}

impl ListParams {
    /// The filters, as the storage queries take them.
    pub fn filter(&self) -> Filter {
        Filter {
            statuses: self.status.clone().unwrap_or_default(),
            article_id: self.article_id,
            q: self.q.clone(),
            phone: self.phone.clone(),
            from: self.from,
            to: self.to,
            assignee: self.assignee.clone(),
            min_tax: self.min_tax,
            notification_dead: self.notification == Some(NotificationFilter::Dead),
        }
    }

    /// The page size.
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(DEFAULT_LIMIT)
    }

    /// Whether the export's headers are English.
    pub fn english(&self) -> bool {
        self.lang == Some(HeaderLang::En)
    }
}

/// The `notification` filter's one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationFilter {
    /// Inquiries with a dead notification.
    Dead,
}

impl std::str::FromStr for NotificationFilter {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, ()> {
        match text {
            "dead" => Ok(Self::Dead),
            _ => Err(()),
        }
    }
}

/// The language of the export's column headers; an empty `lang` is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderLang {
    Zh,
    En,
}

impl std::str::FromStr for HeaderLang {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, ()> {
        match text {
            "zh" | "" => Ok(Self::Zh),
            "en" => Ok(Self::En),
            _ => Err(()),
        }
    }
}

/// A route that takes no parameters (`GET /api/v1/keys`): any is named as unknown.
#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct NoParams {}

/// `GET /api/v1/inquiries/{id}`: which page of the timeline.
#[derive(Debug, Default, Deserialize, Validate, utoipa::IntoParams)]
#[serde(default, deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DetailParams {
    /// `timeline_next_cursor` of the previous answer: the next 100 timeline events.
    #[serde(deserialize_with = "parsed")]
    #[validate(range(min = 0, code = "invalid_value"))]
    #[param(value_type = Option<String>)]
    pub timeline_cursor: Option<i64>,
}

/// `GET /api/v1/articles`.
#[derive(Debug, Default, Deserialize, Validate, utoipa::IntoParams)]
#[serde(default, deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ArticleParams {
    /// `count` (default): most inquiries first; `recent`: latest inquiry first.
    #[serde(deserialize_with = "parsed")]
    #[param(value_type = Option<String>)]
    pub sort: Option<ArticleSort>,
    /// 1–200, default 50.
    #[serde(deserialize_with = "parsed")]
    #[validate(range(min = 1, max = 200, code = "invalid_value"))]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[serde(deserialize_with = "article_cursor")]
    #[param(value_type = Option<String>)]
    pub cursor: Option<(i64, Uuid)>,
}

/// The article list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleSort {
    Count,
    Recent,
}

impl std::str::FromStr for ArticleSort {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, ()> {
        match text {
            "count" => Ok(Self::Count),
            "recent" => Ok(Self::Recent),
            _ => Err(()),
        }
    }
}

/// An article cursor (sort key and id, hex); empty is none.
fn article_cursor<'de, D: Deserializer<'de>>(d: D) -> Result<Option<(i64, Uuid)>, D::Error> {
    let text = String::deserialize(d)?;
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    crate::routes::staff::articles::decode(text)
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom("cursor"))
}

/// `GET /api/v1/stats`.
#[derive(Debug, Default, Deserialize, Validate, utoipa::IntoParams)]
#[serde(default, deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// RFC 3339; default 30 days before `to`. Must be before `to`.
    #[serde(deserialize_with = "instant")]
    #[param(value_type = Option<String>)]
    pub from: Option<DateTime<Utc>>,
    /// RFC 3339; default now.
    #[serde(deserialize_with = "instant")]
    #[param(value_type = Option<String>)]
    pub to: Option<DateTime<Utc>>,
}

/// `GET /api/v1/access-log` (admin).
#[derive(Debug, Default, Deserialize, Validate, utoipa::IntoParams)]
#[serde(default, deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccessLogParams {
    /// Only the entries about this inquiry.
    #[serde(deserialize_with = "parsed")]
    #[param(value_type = Option<uuid::Uuid>)]
    pub inquiry_id: Option<Uuid>,
    /// 1–1000, default 100.
    #[serde(deserialize_with = "parsed")]
    #[validate(range(min = 1, max = 1000, code = "invalid_value"))]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// `GET` and `DELETE /api/v1/privacy/subject` (admin).
#[derive(Debug, Default, Deserialize, Validate, utoipa::IntoParams)]
#[serde(default, deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubjectParams {
    /// The person's phone number, in any accepted spelling.
    #[serde(deserialize_with = "phone")]
    #[validate(required(code = "invalid_value"))]
    #[param(value_type = String, required = true)]
    pub phone: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::super::read;
    use super::*;
    use crate::domain::field::FieldCode;
    use crate::error::ApiError;
    use actix_web::test::TestRequest;

    fn list(query: &str) -> Result<ListParams, Vec<(String, FieldCode)>> {
        let req = TestRequest::with_uri(&format!("/?{query}")).to_http_request();
        read::<ListParams>(&req).map_err(|e| match e {
            ApiError::Validation(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("{other:?}"),
        })
    }

    #[test]
    fn every_bad_parameter_is_named_in_the_types_order() {
        let errors = list(
            "cursor=abc&status=new,nope&article_id=x&phone=123&from=yesterday&to=2026-13-01\
             &min_tax=-1&notification=sent&limit=201&lang=fr",
        )
        .unwrap_err();
        let named: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            named,
            [
                "status",
                "article_id",
                "phone",
                "from",
                "to",
                "min_tax",
                "notification",
                "limit",
                "cursor",
                "lang"
            ]
        );
        assert!(errors.iter().all(|(_, c)| *c == FieldCode::InvalidValue));
        assert!(list("limit=0").is_err());
        let long_name: String =
            url::form_urlencoded::byte_serialize("张".repeat(51).as_bytes()).collect();
        let too_long = list(&format!("assignee={long_name}")).unwrap_err();
        assert_eq!(too_long, [("assignee".to_string(), FieldCode::TooLong)]);
        assert_eq!(
            list(&format!("q={}", "a".repeat(101))).unwrap_err(),
            [("q".to_string(), FieldCode::InvalidValue)]
        );
    }

    #[test]
    fn good_values_become_the_filter() {
        let ok =
            list("status=new,contacted&status=new&phone=%2B86+139-1234-5678&limit=200").unwrap();
        let filter = ok.filter();
        assert_eq!(filter.statuses, vec![Status::New, Status::Contacted]);
        assert_eq!(filter.phone.as_deref(), Some("+8613912345678"));
        assert_eq!(ok.limit(), 200);
        assert_eq!(list("").unwrap().limit(), DEFAULT_LIMIT);
        // Any spelling the intake accepts finds the lead: full-width, pasted with marks.
        for phone in ["１３９１２３４５６７８", "\u{202a}139–1234–5678\u{202c}"] {
            let encoded: String = url::form_urlencoded::byte_serialize(phone.as_bytes()).collect();
            let ok = list(&format!("phone={encoded}")).unwrap();
            assert_eq!(
                ok.filter().phone.as_deref(),
                Some("+8613912345678"),
                "{phone}"
            );
        }
        // Empty boxes of a form are no filter.
        let empty = list("status=&assignee=+&q=&cursor=&lang=").unwrap();
        assert_eq!(empty.filter().statuses, Vec::<Status>::new());
        assert!(empty.assignee.is_none() && empty.q.is_none() && empty.cursor.is_none());
        assert!(!empty.english());
        assert!(list("lang=en").unwrap().english());
    }

    #[test]
    fn one_422_names_unknown_repeated_undecodable_and_invalid_parameters_together() {
        let errors = list("status=foo&limit=abc&satus=won&q=%00&phone=139&phone=138").unwrap_err();
        let mut named: Vec<(&str, FieldCode)> =
            errors.iter().map(|(f, c)| (f.as_str(), *c)).collect();
        named.sort_by_key(|(f, _)| *f);
        assert_eq!(
            named,
            [
                ("limit", FieldCode::InvalidValue),
                ("phone", FieldCode::InvalidValue),
                ("q", FieldCode::ControlCharacters),
                ("satus", FieldCode::UnknownField),
                ("status", FieldCode::InvalidValue),
            ]
        );
    }

    #[test]
    fn empty_boxes_and_cache_busters_are_no_parameters() {
        let empty = "status=&article_id=&q=&phone=&from=&to=&assignee=&min_tax=\
                     &notification=&limit=&cursor=&lang=&_=1732950000000";
        let params = list(empty).unwrap();
        assert_eq!(params.limit(), DEFAULT_LIMIT);
        assert!(params.article_id.is_none() && params.phone.is_none() && params.from.is_none());
        let req = TestRequest::with_uri("/?timeline_cursor=&_=1").to_http_request();
        assert_eq!(read::<DetailParams>(&req).unwrap().timeline_cursor, None);
    }

    #[test]
    fn an_unknown_parameter_is_named_not_ignored() {
        // `satus=won` must not silently list every lead.
        assert_eq!(
            list("satus=won&limit=5&satus=x").unwrap_err(),
            [("satus".to_string(), FieldCode::UnknownField)]
        );
    }

    #[test]
    fn the_parameter_lists_are_serdes() {
        assert_eq!(
            serde_aux::serde_introspection::serde_introspect::<ListParams>(),
            [
                "status",
                "article_id",
                "q",
                "phone",
                "from",
                "to",
                "assignee",
                "min_tax",
                "notification",
                "limit",
                "cursor",
                "lang"
            ]
        );
    }
}
