//! A notification recipient (`notify.recipients`, `notify.routes`).

use lettre::message::Mailbox;

/// A notification recipient: `a@example.cn` or `名字 <a@example.cn>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient(pub Mailbox);

impl std::str::FromStr for Recipient {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse::<Mailbox>()
            .map(Self)
            .map_err(|e| format!("`{s}` is not an email address: {e}"))
    }
}

impl std::fmt::Display for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
