//! The long tail of family names.
//!
//! Britain's family names are not a few hundred names: Smith, the commonest, is borne by
//! about 1.3 % of people, the hundred commonest by about a fifth, and more than half of
//! the population carries a name outside the commonest thousand (ONS and the Family Names
//! of the UK project count tens of thousands of surnames with more than a hundred bearers).
//! A generator that draws every British person from a table of a few hundred names makes
//! whole names (given and family) shared by dozens of unrelated people at a million
//! persons, which real data does not: it makes search gather far more candidates per
//! surname and duplicate detection far harder than in a real force.
//!
//! The names listed in [`super::names`] are the head of the distribution. This module
//! builds the tail the way most such names were formed: English and Welsh place names
//! (a first element and an ending: Ashworth, Bramley, Kingsford), patronymics (Dickson,
//! Hobbins), Scottish and Irish Mac, Mc and O' names, and Polish names from a stem and an
//! ending (Adamczyk, Sobkowski). Each list is built once, without the head's names,
//! shuffled by a fixed seed so that the commoner end is not one initial letter, and the
//! same on every machine.
//!
//! [`tail_share`] is how often a person of each origin has a name from the tail. Origins
//! whose family names are concentrated in life too (Patel, Khan, Begum, Wang, Ahmed) have
//! no tail.

use std::collections::HashSet;
use std::sync::LazyLock;

use super::names::Origin;
use crate::rng::Rng;

/// First elements of English and Welsh place-name surnames.
const PLACE_FIRST: &[&str] = &[
    "Ab", "Ack", "Ald", "Alder", "Alling", "Ames", "Apple", "Ark", "Arn", "Ash", "Ather", "Ayles",
    "Back", "Bain", "Bam", "Bar", "Bark", "Barn", "Beck", "Bel", "Ben", "Bent", "Berk", "Bever",
    "Bick", "Bil", "Bing", "Birch", "Black", "Blen", "Bol", "Bond", "Booth", "Bos", "Brad", "Bram",
    "Bran", "Bray", "Brent", "Brid", "Brig", "Brin", "Broad", "Brom", "Brook", "Buck", "Bur",
    "Burn", "Cal", "Cam", "Can", "Car", "Carl", "Chad", "Chal", "Char", "Ches", "Chil", "Chip",
    "Clay", "Cliff", "Cob", "Cold", "Col", "Corn", "Cot", "Cran", "Crom", "Cros", "Dal", "Dar",
    "Den", "Der", "Dod", "Don", "Dray", "Dun", "Dur", "East", "Ed", "El", "Elm", "Els", "Ever",
    "Fair", "Far", "Fel", "Fen", "Fern", "Fin", "Fox", "Frod", "Gar", "Gil", "Glad", "Glen",
    "Gold", "Gos", "Grant", "Gras", "Green", "Gres", "Grim", "Had", "Hal", "Ham", "Han", "Har",
    "Hart", "Has", "Hath", "Haw", "Hay", "Hazel", "Hen", "Her", "Hes", "Hey", "Hil", "Hol", "Horn",
    "Hud", "Hul", "Hun", "Ing", "Ken", "Kil", "Kin", "King", "Kirk", "Lam", "Lang", "Lath", "Lax",
    "Lea", "Led", "Lem", "Lid", "Lin", "Lit", "Lock", "Long", "Lud", "Lyn", "Mal", "Man", "Mar",
    "Mas", "Mel", "Mer", "Mid", "Mil", "Mor", "Moss", "Mot", "Nether", "New", "Nor", "Nut", "Oak",
    "Old", "Or", "Os", "Ot", "Ox", "Pad", "Pem", "Pen", "Per", "Pick", "Pil", "Pin", "Pol", "Pres",
    "Pud", "Rad", "Ram", "Raven", "Red", "Ren", "Rib", "Rid", "Ris", "Rod", "Ros", "Rud", "Rush",
    "Rye", "Sal", "Sand", "Sax", "Scar", "Sel", "Shap", "Shel", "Sher", "Ship", "Sil", "Skel",
    "Slade", "Sned", "Spen", "Spring", "Stain", "Stan", "Staple", "Stock", "Stone", "Stow",
    "Strat", "Sud", "Sum", "Sut", "Swin", "Tad", "Tam", "Tan", "Ted", "Thorn", "Thur", "Til",
    "Tin", "Tod", "Tun", "Up", "Wad", "Wain", "Wal", "War", "Wat", "Wel", "Wem", "Wes", "West",
    "Whit", "Wick", "Wig", "Wil", "Win", "Wolf", "Wood", "Wor", "Wray", "Yar", "Yate",
];

/// Endings of English and Welsh place-name surnames.
const PLACE_END: &[&str] = &[
    "ley", "ton", "field", "worth", "wood", "ford", "ham", "by", "well", "stone", "bury", "combe",
    "dale", "hurst", "more", "cott", "ridge", "thorpe", "wick", "den", "don", "croft", "shaw",
    "low", "ington", "land", "brook", "hall", "gate", "burn", "house", "stead", "mere",
];

/// Short forms of medieval given names that patronymic surnames grew from.
const PATRONYM_STEM: &[&str] = &[
    "Ad", "Al", "Ander", "Bat", "Dav", "Daw", "Dick", "Dob", "Dod", "Gib", "Hend", "Hew", "Hob",
    "Hod", "Hop", "Hut", "Jack", "Jeff", "Jenk", "Jep", "Mat", "Nel", "Nix", "Pat", "Pear", "Rab",
    "Rob", "Sim", "Steph", "Tib", "Tom", "Tyl", "Wat", "Wilk", "Will",
];

const PATRONYM_END: &[&str] = &["son", "ins", "s", "kin", "cock"];

/// What follows Mac and Mc in Scottish and Irish names.
const MAC_STEM: &[&str] = &[
    "Allister", "Arthur", "Bride", "Cabe", "Call", "Cann", "Clure", "Coll", "Connell", "Cormack",
    "Crae", "Cue", "Dermott", "Dougall", "Dowell", "Ewan", "Fadden", "Farlane", "Gill", "Gowan",
    "Gregor", "Guire", "Hugh", "Innes", "Intosh", "Iver", "Kay", "Kee", "Kenna", "Kinnon", "Lean",
    "Lellan", "Mahon", "Manus", "Master", "Millan", "Murray", "Nab", "Namara", "Naughton", "Neil",
    "Nulty", "Pherson", "Quade", "Queen", "Rae", "Rory", "Shane", "Taggart", "Vey", "Whirter",
    "Alpine", "Aulay", "Bain", "Caffrey", "Closkey", "Cready", "Donagh", "Elroy", "Fall", "Garry",
    "Geough", "Glinchey", "Govern", "Hale", "Kendrick", "Keown", "Laren", "Lachlan", "Nair",
    "Nally", "Niven", "Sorley",
];

/// What follows O' in Irish names (and, without it, Irish names in their own right).
const O_STEM: &[&str] = &[
    "Boyle",
    "Brady",
    "Callaghan",
    "Dea",
    "Donnell",
    "Donovan",
    "Driscoll",
    "Dwyer",
    "Farrell",
    "Flaherty",
    "Gorman",
    "Grady",
    "Hara",
    "Hare",
    "Keeffe",
    "Leary",
    "Mahony",
    "Malley",
    "Meara",
    "Regan",
    "Riordan",
    "Rourke",
    "Shea",
    "Shaughnessy",
    "Toole",
    "Halloran",
    "Hanlon",
    "Higgins",
    "Kane",
    "Loughlin",
    "Mara",
    "Rahilly",
    "Dowd",
    "Hagan",
    "Callan",
    "Carroll",
    "Connor",
    "Sullivan",
    "Dowling",
    "Gara",
    "Hehir",
    "Keane",
    "Mullan",
    "Neachtain",
    "Rafferty",
    "Sheehan",
    "Tierney",
    "Cuinn",
    "Dell",
    "Fay",
];

/// Stems and endings of Polish family names.
const POLISH_STEM: &[&str] = &[
    "Adam", "Bart", "Bier", "Bor", "Brzez", "Chmiel", "Czarn", "Dud", "Gorz", "Jas", "Kacz", "Kal",
    "Kar", "Kos", "Kub", "Lis", "Mal", "Mich", "Ol", "Pawl", "Piek", "Rut", "Sad", "Sik", "Sob",
    "Stas", "Szew", "Tom", "Urban", "Wal", "Wit", "Zaj", "Zal", "Zub", "Żak", "Grab", "Kraw",
    "Lesz", "Marc", "Pietr",
];

const POLISH_END: &[&str] = &["owski", "czyk", "ek", "iak", "ewicz", "kowski"];

fn british_tail() -> Vec<String> {
    let mut out = Vec::new();
    for first in PLACE_FIRST {
        for end in PLACE_END {
            // Ashhurst, Haywick: a letter the ending repeats reads as a slip.
            let last = first.chars().last();
            let next = end.chars().next();
            if last == next || (last == Some('y') && next == Some('w')) {
                continue;
            }
            out.push(format!("{first}{end}"));
        }
    }
    for stem in PATRONYM_STEM {
        for end in PATRONYM_END {
            out.push(format!("{stem}{end}"));
        }
    }
    for stem in MAC_STEM {
        out.push(format!("Mac{stem}"));
        out.push(format!("Mc{stem}"));
    }
    out
}

fn irish_tail() -> Vec<String> {
    let mut out = Vec::new();
    for stem in O_STEM {
        out.push(format!("O'{stem}"));
        out.push((*stem).to_owned());
    }
    for stem in MAC_STEM {
        out.push(format!("Mc{stem}"));
    }
    out
}

fn polish_tail() -> Vec<String> {
    let mut out = Vec::new();
    for stem in POLISH_STEM {
        for end in POLISH_END {
            out.push(format!("{stem}{end}"));
        }
    }
    out
}

/// Drops the head's names and repeats, then shuffles by a fixed seed.
fn finish(mut names: Vec<String>, seed: u64) -> Vec<String> {
    let head: HashSet<String> = Origin::ALL
        .iter()
        .flat_map(|o| o.pool().families.iter())
        .map(|n| n.to_lowercase())
        .collect();
    let mut seen = HashSet::new();
    names.retain(|n| !head.contains(&n.to_lowercase()) && seen.insert(n.to_lowercase()));
    let mut rng = Rng::new(seed);
    for i in (1..names.len()).rev() {
        let j = rng.index(i + 1);
        names.swap(i, j);
    }
    names
}

static BRITISH: LazyLock<Vec<String>> = LazyLock::new(|| finish(british_tail(), 1));
static IRISH: LazyLock<Vec<String>> = LazyLock::new(|| finish(irish_tail(), 2));
static POLISH: LazyLock<Vec<String>> = LazyLock::new(|| finish(polish_tail(), 3));

/// The tail of family names for `origin` (empty where there is none).
pub fn tail(origin: Origin) -> &'static [String] {
    match origin {
        Origin::British => &BRITISH,
        Origin::Irish => &IRISH,
        Origin::EastEuropean => &POLISH,
        _ => &[],
    }
}

/// The share of persons of `origin` whose family name is from the tail: about three
/// quarters of British people bear a name outside the few hundred commonest; Irish and
/// Polish names are more concentrated (Murphy, Kelly; Nowak, Kowalski), but not to a few
/// dozen.
pub fn tail_share(origin: Origin) -> f64 {
    match origin {
        Origin::British => 0.72,
        Origin::Irish => 0.5,
        Origin::EastEuropean => 0.5,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_are_large_distinct_from_the_head_and_valid_name_text() {
        assert!(
            tail(Origin::British).len() >= 7_000,
            "{}",
            tail(Origin::British).len()
        );
        assert!(
            tail(Origin::Irish).len() >= 150,
            "{}",
            tail(Origin::Irish).len()
        );
        assert!(tail(Origin::EastEuropean).len() >= 200);
        assert!(tail(Origin::Chinese).is_empty());
        let head: HashSet<&str> = Origin::ALL
            .iter()
            .flat_map(|o| o.pool().families.iter().copied())
            .collect();
        for o in Origin::ALL {
            let t = tail(o);
            let distinct: HashSet<&String> = t.iter().collect();
            assert_eq!(distinct.len(), t.len(), "{o:?} repeats a name");
            for n in t {
                assert!(!head.contains(n.as_str()), "{n} is in the head");
                assert!(
                    n.chars().next().is_some_and(char::is_uppercase)
                        && n.chars().all(|c| c.is_alphabetic() || c == '\''),
                    "{n:?}"
                );
            }
        }
        assert!(tail(Origin::British).iter().any(|n| n == "Ashworth"));
        assert!(tail(Origin::EastEuropean).iter().any(|n| n == "Adamczyk"));
    }

    #[test]
    fn the_shuffle_is_fixed() {
        assert_eq!(finish(british_tail(), 1), *tail(Origin::British));
        assert_ne!(finish(british_tail(), 9), *tail(Origin::British));
    }
}
