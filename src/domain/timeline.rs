//! The kinds of an inquiry's timeline events (`inquiry_events.kind`, SPEC §4). The timeline is
//! append-only; each kind's `data` is described beside it.

super::code::codes! {
    /// What a timeline event records.
    pub enum EventKind {
        /// The inquiry arrived: `{source, spam_reason?, text_digest}`.
        Received = "received", "收到线索";
        /// The same visitor sent it again: `{number, payload_kept, …fields}`, with a receipt.
        Repeat = "repeat", "再次提交";
        /// `{from, to}` statuses.
        StatusChanged = "status_changed", "状态变更";
        /// `{from, to}` assignees.
        Assigned = "assigned", "分配负责人";
        /// `{body}`, or `{erased: true}` once anonymised.
        Note = "note", "备注";
        /// Personal data erased: `{fields}`.
        Anonymised = "anonymised", "已匿名化";
        /// `{recipient, attempts, kind, summary}`.
        NotificationSent = "notification_sent", "通知已发送";
        /// `{recipient, attempts, error, kind}`.
        NotificationDead = "notification_dead", "通知发送失败";
        /// An admin sent a dead one again: `{recipient, kind, by, attempts, error}` (the
        /// attempts and last error it had).
        NotificationRetried = "notification_retried", "通知重新发送";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_agree_with_serde() {
        crate::domain::code::assert_codes_agree(EventKind::ALL, EventKind::as_str);
    }
}
