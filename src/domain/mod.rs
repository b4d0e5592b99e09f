//! Validated value types: what an inquiry is made of, parsed from untrusted input.

pub mod article;
pub mod catalogue;
pub(crate) mod code;
pub mod derive;
pub mod field;
pub mod form_token;
pub mod host_pattern;
pub mod inquiry;
pub mod notification;
pub mod phone;
pub mod recipient;
pub mod redact;
pub mod role;
pub mod search;
pub mod status;
pub mod text;
pub mod timeline;
pub mod wechat;
