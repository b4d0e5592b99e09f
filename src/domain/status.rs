//! The status of an inquiry and the moves sales staff may make (SPEC §4).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Contacted,
    Qualified,
    Won,
    Lost,
    Spam,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Self::New,
        Self::Contacted,
        Self::Qualified,
        Self::Won,
        Self::Lost,
        Self::Spam,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Contacted => "contacted",
            Self::Qualified => "qualified",
            Self::Won => "won",
            Self::Lost => "lost",
            Self::Spam => "spam",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }

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
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(
                    from.can_move_to(to),
                    allowed.contains(&(from, to)),
                    "{from:?} → {to:?}"
                );
            }
        }
        assert_eq!(Status::parse("won"), Some(Won));
        assert_eq!(Status::parse("WON"), None);
    }
}
