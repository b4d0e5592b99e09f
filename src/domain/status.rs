//! The status of an inquiry and the moves sales staff may make (SPEC §4).

super::code::codes! {
    /// Where a lead stands in the sales workflow (SPEC §4).
    pub enum Status {
        New = "new", "新线索";
        Contacted = "contacted", "已联系";
        Qualified = "qualified", "已确认意向";
        Won = "won", "已成交";
        Lost = "lost", "已流失";
        Spam = "spam", "垃圾信息";
    }
}

impl Status {
    /// The statuses this one may move to.
    pub fn allowed_transitions(self) -> &'static [Status] {
        use Status::*;
        match self {
            New => &[Contacted, Qualified, Lost, Spam],
            Contacted => &[Qualified, Won, Lost, Spam],
            Qualified => &[Won, Lost],
            Lost => &[Contacted],
            Spam => &[New],
            Won => &[],
        }
    }

    pub fn can_move_to(self, to: Status) -> bool {
        self.allowed_transitions().contains(&to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_moves_of_the_spec_and_no_others() {
        use Status::*;
        let allowed = [
            (New, Contacted),
            (New, Qualified),
            (New, Lost),
            (New, Spam),
            (Contacted, Qualified),
            (Contacted, Won),
            (Contacted, Lost),
            (Contacted, Spam),
            (Qualified, Won),
            (Qualified, Lost),
            (Lost, Contacted),
            (Spam, New),
        ];
        for &from in Status::ALL {
            for &to in Status::ALL {
                assert_eq!(
                    from.can_move_to(to),
                    allowed.contains(&(from, to)),
                    "{from:?} → {to:?}"
                );
            }
        }
        assert_eq!(Status::parse("won"), Some(Won));
        assert_eq!(Status::parse("WON"), None);
        crate::domain::code::assert_codes_agree(Status::ALL, Status::as_str);
    }
}
