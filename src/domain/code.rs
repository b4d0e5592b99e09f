//! Closed sets of codes (statuses, event kinds, outbox states, roles): one declaration gives the
//! enum its wire code, its Chinese label, serde, and its PostgreSQL form (`text` with a `CHECK`
//! naming the same codes in the baseline migration).
//!
//! A code read back from the database that the enum does not know is a decode error, never a
//! default: a row no version of this code wrote must not be silently shown as something else.

/// Declares a code enum. Each variant is `Variant = "code", "中文标签"`; the code must be the
/// variant's snake_case name (serde and the OpenAPI schema use that; a unit test of each enum
/// checks that both agree).
macro_rules! codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $code:literal, $label:literal;)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every code, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The wire and database code, e.g. `"new"`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// The Chinese label shown to staff (the inbox, mails, exports).
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }

            /// The value of an exact code; `None` for anything else (no trimming, no case
            /// folding: codes are machine-written).
            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == code)
            }

            /// `[[code, label], …]` in declaration order, for the inbox's label table.
            pub fn labels() -> Vec<(&'static str, &'static str)> {
                Self::ALL.iter().map(|v| (v.as_str(), v.label())).collect()
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::code::UnknownCode;

            /// The value of an exact code ([`Self::parse`]).
            fn from_str(code: &str) -> Result<Self, $crate::domain::code::UnknownCode> {
                Self::parse(code).ok_or($crate::domain::code::UnknownCode)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl sqlx::Type<sqlx::Postgres> for $name {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::Type<sqlx::Postgres>>::type_info()
            }

            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <&str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl sqlx::postgres::PgHasArrayType for $name {
            fn array_type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::postgres::PgHasArrayType>::array_type_info()
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Postgres> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Postgres>>::encode_by_ref(&self.as_str(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $name {
            fn decode(
                value: sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let code = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
                Self::parse(code).ok_or_else(|| {
                    format!(concat!("unknown ", stringify!($name), " code {:?}"), code).into()
                })
            }
        }
    };
}

pub(crate) use codes;

/// A code no value of the set has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown code")]
pub struct UnknownCode;

/// Checks that each code is what serde writes for its variant, and that codes are distinct.
#[cfg(test)]
pub(crate) fn assert_codes_agree<T>(all: &[T], as_str: fn(T) -> &'static str)
where
    T: Copy + serde::Serialize + std::fmt::Debug,
{
    let mut seen = std::collections::HashSet::new();
    for &value in all {
        let code = as_str(value);
        assert_eq!(
            serde_json::to_value(value).unwrap(),
            serde_json::json!(code),
            "{value:?}"
        );
        assert!(seen.insert(code), "{code} twice");
    }
}
