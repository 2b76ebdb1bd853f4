//! Given-name variants: nicknames, diminutives, Welsh, Scottish and Irish forms, and
//! common transliterations (Bill and William, Peggy and Margaret, Sean, Ian, Evan and John,
//! Mohammed and Muhammad, Oleksandr and Alexander).
//!
//! The table is `data/given_name_variants.txt`, compiled in with `include_str!` and parsed
//! once on first use: one group per line, comma-separated. A name may be in several
//! groups ("chris" is in Christopher's and in Christine's); two names are variants when
//! they share a group.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::normalise::fold;

const TABLE: &str = include_str!("../data/given_name_variants.txt");

struct Variants {
    groups: Vec<Vec<String>>,
    by_name: HashMap<String, Vec<u32>>,
}

fn table() -> &'static Variants {
    static TABLE_CELL: OnceLock<Variants> = OnceLock::new();
    TABLE_CELL.get_or_init(|| parse(TABLE))
}

fn parse(text: &str) -> Variants {
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut by_name: HashMap<String, Vec<u32>> = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Ok(id) = u32::try_from(groups.len()) else {
            break;
        };
        let mut names: Vec<String> = Vec::new();
        for name in line.split(',').map(fold).filter(|n| !n.is_empty()) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        for name in &names {
            by_name.entry(name.clone()).or_default().push(id);
        }
        groups.push(names);
    }
    Variants { groups, by_name }
}

/// The ids of the variant groups a given name belongs to (folded first), in table order;
/// empty when the name is not in the table.
pub fn variant_groups(name: &str) -> Vec<u32> {
    table()
        .by_name
        .get(&fold(name))
        .cloned()
        .unwrap_or_default()
}

/// Whether two given names are the same name or variants of each other (share a group).
pub fn are_variants(a: &str, b: &str) -> bool {
    are_variants_folded(&fold(a), &fold(b))
}

/// [`are_variants`] for names already folded.
pub(crate) fn are_variants_folded(a: &str, b: &str) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    let t = table();
    match (t.by_name.get(a), t.by_name.get(b)) {
        (Some(x), Some(y)) => x.iter().any(|g| y.contains(g)),
        _ => false,
    }
}

/// Every name sharing a group with `name` (itself included when it is in the table), for
/// expanding a search; folded, each once.
pub fn variants_of(name: &str) -> Vec<&'static str> {
    let t = table();
    let mut out: Vec<&'static str> = Vec::new();
    for id in t.by_name.get(&fold(name)).into_iter().flatten() {
        for n in usize::try_from(*id)
            .ok()
            .and_then(|i| t.groups.get(i))
            .into_iter()
            .flatten()
        {
            if !out.contains(&n.as_str()) {
                out.push(n.as_str());
            }
        }
    }
    out
}

/// How many groups the shipped table has.
pub fn group_count() -> usize {
    table().groups.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicknames_are_variants_of_the_full_name() {
        assert!(are_variants("Bill", "William"));
        assert!(are_variants("peggy", "MARGARET"));
        assert!(are_variants("Bob", "Robert"));
        assert!(are_variants("Dick", "Richard"));
        assert!(are_variants("Kate", "Catherine"));
        assert!(are_variants("Liz", "Elizabeth"));
        assert!(are_variants("Ted", "Edward"));
        assert!(are_variants("Sandy", "Alexander"));
    }

    #[test]
    fn welsh_scottish_and_irish_forms_are_variants() {
        assert!(are_variants("Sean", "John"));
        assert!(are_variants("Seán", "Ian"));
        assert!(are_variants("Evan", "John"));
        assert!(are_variants("Iain", "Ieuan"));
        assert!(are_variants("Hamish", "James"));
        assert!(are_variants("Siobhán", "Joan"));
        assert!(are_variants("Dafydd", "David"));
        assert!(are_variants("Siân", "Jane"));
        assert!(are_variants("Pádraig", "Patrick"));
    }

    #[test]
    fn transliterations_are_variants() {
        assert!(are_variants("Mohammed", "Muhammad"));
        assert!(are_variants("Mohamed", "Mohammad"));
        assert!(are_variants("Oleksandr", "Alexander"));
        assert!(are_variants("Aleksandr", "Alexander"));
        assert!(are_variants("Олександр", "Alexander"));
        assert!(are_variants("Łukasz", "Luke"));
        assert!(are_variants("Yusuf", "Joseph"));
    }

    #[test]
    fn different_names_are_not_variants() {
        assert!(!are_variants("John", "Peter"));
        assert!(!are_variants("Margaret", "Mary"));
        assert!(!are_variants("Jack", "Harry"));
        assert!(!are_variants("Emily", "Sophie"));
        assert!(!are_variants("Zebedee", "Peter"));
        assert!(!are_variants("", ""));
    }

    #[test]
    fn a_name_can_be_in_several_groups() {
        assert!(are_variants("Chris", "Christopher"));
        assert!(are_variants("Chris", "Christine"));
        assert!(!are_variants("Christopher", "Christine"));
        assert!(variant_groups("chris").len() >= 2);
    }

    #[test]
    fn unknown_names_have_no_groups_but_equal_names_are_variants() {
        assert!(variant_groups("Zebedee").is_empty());
        assert!(are_variants("Zebedee", "zebedee"));
    }

    #[test]
    fn variants_of_expands_a_name() {
        let v = variants_of("Peggy");
        assert!(v.contains(&"margaret"));
        assert!(v.contains(&"peggy"));
        assert!(v.contains(&"maggie"));
    }

    #[test]
    fn shipped_table_has_at_least_300_groups_of_clean_names() {
        assert!(group_count() >= 300, "{}", group_count());
        for line in TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let names: Vec<&str> = line.split(',').collect();
            assert!(names.len() >= 2, "group with one name: {line}");
            for n in names {
                assert_eq!(fold(n), n, "not folded: {n:?} in {line}");
                assert!(!n.contains(' '), "two words: {n:?}");
            }
        }
    }
}
