//! Folding names to a comparable form.
//!
//! [`fold`] lower-cases, strips accents (Unicode NFKD, then dropping combining marks),
//! replaces the letters NFKD does not decompose (ł, ø, æ, œ, ß, đ, þ, ı, ...), and
//! transliterates Cyrillic and Greek letters to Latin, so that "Łukasz" and "Lukasz",
//! "Müller" and "Muller", "Олександр" and "Oleksandr" fold to the same text. Apostrophes
//! vanish ("O'Neill" becomes "oneill"), any other punctuation (hyphens, full stops)
//! becomes a space, and runs of whitespace become one space.
//!
//! [`name_tokens`] splits a folded family name into parts and drops particles ("van",
//! "de", "al", ...) when there is something else left. [`surname_keys`] gives every key a
//! family name should be found under: the whole name run together and, for double-barrelled
//! or multi-part names, each significant part.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Particles dropped from family names when they are not the whole name: "van der Berg"
/// has the parts ["berg"], "De Souza" ["souza"], "Al-Hassan" ["hassan"].
const PARTICLES: &[&str] = &[
    "de", "del", "della", "der", "den", "des", "di", "da", "das", "dos", "do", "du", "la", "le",
    "lo", "van", "von", "ter", "ten", "al", "el", "bin", "ibn", "y",
];

/// Prefixes that are part of the name when written separately ("Mac Donald", "O Neill",
/// "St John"): never dropped, but never a key on their own either.
const PREFIXES: &[&str] = &[
    "mac", "mc", "o", "st", "saint", "fitz", "ap", "ab", "ni", "nic", "ui", "ua", "ben",
];

/// Folds a name (or any short text) for comparison; see the module documentation.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        fold_ascii(s)
    } else {
        fold_unicode(s)
    }
}

/// [`fold`] for plain ASCII, most names: nothing to decompose or transliterate, so each
/// byte is kept lower-cased, dropped (an apostrophe) or read as a space. Gives exactly what
/// [`fold_unicode`] gives (a test compares them on every ASCII character).
fn fold_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    for b in s.bytes() {
        if b == b'\'' || b == b'`' {
            continue;
        }
        if b.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(char::from(b.to_ascii_lowercase()));
        } else {
            gap = true;
        }
    }
    out
}

fn fold_unicode(s: &str) -> String {
    let mut raw = String::with_capacity(s.len());
    let without_apostrophes: String = s.chars().filter(|c| !is_apostrophe(*c)).collect();
    for c in without_apostrophes.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        for lower in c.to_lowercase() {
            if is_combining_mark(lower) || is_apostrophe(lower) {
                continue;
            }
            match special(lower) {
                Some(replacement) => raw.push_str(replacement),
                None if lower.is_alphanumeric() => raw.push(lower),
                None => raw.push(' '),
            }
        }
    }
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The folded parts of a family name: split on spaces and hyphens, with particles dropped
/// unless every part is a particle ("De La Cruz" gives ["cruz"], "Le" gives ["le"]).
/// "Mc" and "Mac" stay with the name ("McDonald" is one part).
pub fn name_tokens(s: &str) -> Vec<String> {
    let folded = fold(s);
    let all: Vec<&str> = folded.split_whitespace().collect();
    let kept: Vec<String> = all
        .iter()
        .filter(|t| !PARTICLES.contains(t))
        .map(|t| (*t).to_owned())
        .collect();
    if kept.is_empty() {
        all.into_iter().map(str::to_owned).collect()
    } else {
        kept
    }
}

/// Every key a family name should be found under: first the whole folded name run
/// together (particles included), then the run-together name without particles, then each
/// significant part of a multi-part name. "Smith-Jones" gives ["smithjones", "smith",
/// "jones"]; "van der Berg" gives ["vanderberg", "berg"]; "O'Neill" gives ["oneill"].
pub fn surname_keys(family: &str) -> Vec<String> {
    let folded = fold(family);
    let mut keys: Vec<String> = Vec::new();
    let mut push = |k: String| {
        if !k.is_empty() && !keys.contains(&k) {
            keys.push(k);
        }
    };
    push(folded.split_whitespace().collect::<String>());
    let parts = name_tokens(family);
    push(parts.concat());
    if parts.len() > 1 {
        for p in parts {
            if !PREFIXES.contains(&p.as_str()) && p.chars().count() > 1 {
                push(p);
            }
        }
    }
    keys
}

fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{02BB}' | '`' | '\u{00B4}' | '\u{00B7}'
    ) || matches!(c, '\u{200C}' | '\u{200D}')
}

/// Letters that NFKD leaves alone, and Cyrillic and Greek transliterated to Latin (a
/// simple letter-by-letter scheme close to the UK passport one; enough to match names, not
/// a reversible romanisation). Input is already lower case and decomposed.
fn special(c: char) -> Option<&'static str> {
    Some(match c {
        'ł' => "l",
        'ø' => "o",
        'æ' => "ae",
        'œ' => "oe",
        'ß' => "ss",
        'đ' | 'ð' => "d",
        'þ' => "th",
        'ı' => "i",
        'ħ' => "h",
        'ŧ' => "t",
        'ŀ' => "l",
        'ĸ' => "k",
        'ŋ' => "n",
        'ſ' => "s",
        'ɨ' => "i",
        'ƒ' => "f",
        'ə' | 'ǝ' => "e",
        'ʻ' => "",
        // Cyrillic (Russian, Ukrainian, Belarusian, Bulgarian, Serbian letters).
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'ґ' => "g",
        'д' => "d",
        'ђ' => "dj",
        'е' => "e",
        'ё' => "e",
        'є' => "ye",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'і' => "i",
        'ї' => "yi",
        'й' => "y",
        'ј' => "j",
        'к' => "k",
        'л' => "l",
        'љ' => "lj",
        'м' => "m",
        'н' => "n",
        'њ' => "nj",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'ћ' => "c",
        'у' => "u",
        'ў' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'џ' => "dz",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ы' => "y",
        'э' => "e",
        'ю' => "yu",
        'я' => "ya",
        // Greek.
        'α' => "a",
        'β' => "v",
        'γ' => "g",
        'δ' => "d",
        'ε' => "e",
        'ζ' => "z",
        'η' => "i",
        'θ' => "th",
        'ι' => "i",
        'κ' => "k",
        'λ' => "l",
        'μ' => "m",
        'ν' => "n",
        'ξ' => "x",
        'ο' => "o",
        'π' => "p",
        'ρ' => "r",
        'σ' | 'ς' => "s",
        'τ' => "t",
        'υ' => "y",
        'φ' => "f",
        'χ' => "ch",
        'ψ' => "ps",
        'ω' => "o",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_folds_as_the_full_fold_does() {
        let all: Vec<char> = (0u8..128).map(char::from).collect();
        for &c in &all {
            for text in [
                c.to_string(),
                format!("O{c}Brien"),
                format!("{c}{c}Smith {c} Jones{c}"),
                format!(" a{c}b-c d'e{c}"),
            ] {
                assert_eq!(fold_ascii(&text), fold_unicode(&text), "{text:?}");
            }
        }
        assert_eq!(fold("  O'Brien-SMITH  Jr. "), "obrien smith jr");
    }

    #[test]
    fn fold_strips_accents_and_case() {
        assert_eq!(fold("Łukasz"), "lukasz");
        assert_eq!(fold("MÜLLER"), "muller");
        assert_eq!(fold("Nguyễn"), "nguyen");
        assert_eq!(fold("José"), "jose");
        assert_eq!(fold("Zoë"), "zoe");
        assert_eq!(fold("Siân"), "sian");
        assert_eq!(fold("Seán Ó Súilleabháin"), "sean o suilleabhain");
    }

    #[test]
    fn fold_handles_decomposed_accents_like_precomposed() {
        assert_eq!(fold("Nguye\u{0302}\u{0303}n"), fold("Nguyễn"));
        assert_eq!(fold("Jose\u{0301}"), "jose");
    }

    #[test]
    fn fold_replaces_letters_nfkd_does_not_decompose() {
        assert_eq!(fold("Søren"), "soren");
        assert_eq!(fold("Æthelred"), "aethelred");
        assert_eq!(fold("Œuvray"), "oeuvray");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Đorđević"), "dordevic");
        assert_eq!(fold("Þórður"), "thordur");
        assert_eq!(fold("Yıldız"), "yildiz");
        assert_eq!(fold("İbrahim"), "ibrahim");
    }

    #[test]
    fn fold_transliterates_cyrillic_and_greek() {
        assert_eq!(fold("Олександр"), "oleksandr");
        assert_eq!(fold("Шевченко"), "shevchenko");
        assert_eq!(fold("Юлия"), "yuliya");
        assert_eq!(fold("Γεώργιος"), "georgios");
    }

    #[test]
    fn fold_removes_apostrophes_and_spaces_other_punctuation() {
        assert_eq!(fold("O'Neill"), "oneill");
        assert_eq!(fold("O’Brien"), "obrien");
        assert_eq!(fold("D'Arcy-Smith"), "darcy smith");
        assert_eq!(fold("  J.  W.   Smith "), "j w smith");
    }

    #[test]
    fn fold_of_fold_is_fold() {
        for s in ["Łukasz", "O'Neill", "Smith-Jones", "Олександр", " a  b "] {
            assert_eq!(fold(&fold(s)), fold(s));
        }
    }

    #[test]
    fn name_tokens_split_hyphens_and_spaces() {
        assert_eq!(name_tokens("Smith-Jones"), vec!["smith", "jones"]);
        assert_eq!(name_tokens("Bonham Carter"), vec!["bonham", "carter"]);
    }

    #[test]
    fn name_tokens_drop_particles_only_when_extra() {
        assert_eq!(name_tokens("van der Berg"), vec!["berg"]);
        assert_eq!(name_tokens("De La Cruz"), vec!["cruz"]);
        assert_eq!(name_tokens("Al-Hassan"), vec!["hassan"]);
        assert_eq!(name_tokens("Le"), vec!["le"]);
        assert_eq!(name_tokens("De La"), vec!["de", "la"]);
    }

    #[test]
    fn name_tokens_keep_mc_and_mac_with_the_name() {
        assert_eq!(name_tokens("McDonald"), vec!["mcdonald"]);
        assert_eq!(name_tokens("MacLeod"), vec!["macleod"]);
        assert_eq!(name_tokens("Mac Leod"), vec!["mac", "leod"]);
    }

    #[test]
    fn surname_keys_cover_each_part_of_a_double_barrelled_name() {
        assert_eq!(
            surname_keys("Smith-Jones"),
            vec!["smithjones", "smith", "jones"]
        );
        assert_eq!(surname_keys("Smith"), vec!["smith"]);
        assert_eq!(surname_keys("O'Neill"), vec!["oneill"]);
    }

    #[test]
    fn surname_keys_join_particles_and_separate_prefixes() {
        assert_eq!(surname_keys("van der Berg"), vec!["vanderberg", "berg"]);
        assert_eq!(surname_keys("Mac Leod"), vec!["macleod", "leod"]);
        assert_eq!(surname_keys("Mac Leod")[0], surname_keys("MacLeod")[0]);
    }

    #[test]
    fn surname_keys_of_nothing_is_empty() {
        assert!(surname_keys(" - ").is_empty());
    }
}
