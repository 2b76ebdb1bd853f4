//! Police ranks, ordered by seniority, for checking who may authorise what.

use serde::{Deserialize, Serialize};

/// A police rank in England & Wales (Home Office forces), junior to senior. `Ord` follows
/// seniority, so `rank >= Rank::Inspector` reads as "an inspector or above".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rank {
    /// Constable.
    Constable,
    /// Sergeant (the usual custody officer).
    Sergeant,
    /// Inspector (reviews of detention before charge).
    Inspector,
    /// Chief Inspector.
    ChiefInspector,
    /// Superintendent (extension to 36 hours, delay of legal advice).
    Superintendent,
    /// Chief Superintendent.
    ChiefSuperintendent,
    /// Assistant Chief Constable.
    AssistantChiefConstable,
    /// Deputy Chief Constable.
    DeputyChiefConstable,
    /// Chief Constable.
    ChiefConstable,
}

impl Rank {
    /// Every rank, junior to senior.
    pub const ALL: [Rank; 9] = [
        Rank::Constable,
        Rank::Sergeant,
        Rank::Inspector,
        Rank::ChiefInspector,
        Rank::Superintendent,
        Rank::ChiefSuperintendent,
        Rank::AssistantChiefConstable,
        Rank::DeputyChiefConstable,
        Rank::ChiefConstable,
    ];

    /// The stored code (`chief_inspector`), the same as the serde form.
    pub fn code(&self) -> &'static str {
        match self {
            Rank::Constable => "constable",
            Rank::Sergeant => "sergeant",
            Rank::Inspector => "inspector",
            Rank::ChiefInspector => "chief_inspector",
            Rank::Superintendent => "superintendent",
            Rank::ChiefSuperintendent => "chief_superintendent",
            Rank::AssistantChiefConstable => "assistant_chief_constable",
            Rank::DeputyChiefConstable => "deputy_chief_constable",
            Rank::ChiefConstable => "chief_constable",
        }
    }

    /// The rank as shown on a page ("Chief Inspector").
    pub fn label(&self) -> &'static str {
        match self {
            Rank::Constable => "Constable",
            Rank::Sergeant => "Sergeant",
            Rank::Inspector => "Inspector",
            Rank::ChiefInspector => "Chief Inspector",
            Rank::Superintendent => "Superintendent",
            Rank::ChiefSuperintendent => "Chief Superintendent",
            Rank::AssistantChiefConstable => "Assistant Chief Constable",
            Rank::DeputyChiefConstable => "Deputy Chief Constable",
            Rank::ChiefConstable => "Chief Constable",
        }
    }

    /// The rank in a sentence, lower case with its article ("an inspector").
    pub fn in_sentence(&self) -> String {
        let lower = self.label().to_ascii_lowercase();
        let article = if matches!(self, Rank::Inspector | Rank::AssistantChiefConstable) {
            "an"
        } else {
            "a"
        };
        format!("{article} {lower}")
    }

    /// Reads a rank from its code or its label, ignoring case and surrounding space.
    pub fn parse(s: &str) -> Result<Rank, String> {
        let wanted = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Self::ALL
            .into_iter()
            .find(|r| r.code() == wanted)
            .ok_or_else(|| "Choose a rank from the list".to_string())
    }
}

impl std::fmt::Display for Rank {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_are_ordered_by_seniority() {
        assert!(Rank::Superintendent > Rank::ChiefInspector);
        assert!(Rank::Inspector > Rank::Sergeant);
        assert!(Rank::ChiefConstable > Rank::DeputyChiefConstable);
        let mut sorted = Rank::ALL;
        sorted.sort();
        assert_eq!(sorted, Rank::ALL);
    }

    #[test]
    fn rank_parses_code_and_label_and_round_trips_serde() {
        for r in Rank::ALL {
            assert_eq!(Rank::parse(r.code()), Ok(r));
            assert_eq!(Rank::parse(r.label()), Ok(r));
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.code()));
            assert_eq!(serde_json::from_str::<Rank>(&json).unwrap(), r);
        }
        assert!(Rank::parse("commissioner").is_err());
        assert_eq!(Rank::Inspector.label(), "Inspector");
        assert_eq!(Rank::Inspector.in_sentence(), "an inspector");
        assert_eq!(Rank::Superintendent.in_sentence(), "a superintendent");
    }
}
