//! The states and kinds of outbox rows: the notifications of an inquiry (SPEC §3).

super::code::codes! {
    /// Where an outbox row stands. `pending` and `waiting` are both still to be sent; staff see
    /// both as `pending` ([`OutboxState::shown`]).
    pub enum OutboxState {
        /// Due at `next_attempt_at`.
        Pending = "pending", "待发送";
        /// A `补充信息` supplement or a row held by the flood guard, due at its slot.
        Waiting = "waiting", "待发送";
        Sent = "sent", "已发送";
        /// Failed for good (a permanent answer, or attempts used up).
        Dead = "dead", "发送失败";
        /// Not to be sent (the inquiry was anonymised first).
        Cancelled = "cancelled", "已取消";
    }
}

impl OutboxState {
    /// The state as staff see it: `waiting` is shown as `pending`.
    pub fn shown(self) -> Self {
        match self {
            Self::Waiting => Self::Pending,
            other => other,
        }
    }
}

super::code::codes! {
    /// What an outbox row announces.
    pub enum MessageKind {
        /// A new inquiry.
        Inquiry = "inquiry", "新询盘通知";
        /// A repeat's new details (`补充信息`).
        Supplement = "supplement", "补充信息通知";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_agree_with_serde() {
        crate::domain::code::assert_codes_agree(OutboxState::ALL, OutboxState::as_str);
        crate::domain::code::assert_codes_agree(MessageKind::ALL, MessageKind::as_str);
    }
}
