//! Sound-alike codes: American Soundex and Lawrence Philips' Double Metaphone.
//!
//! Both take any name: it is first folded ([`crate::normalise::fold`]), so accents and
//! transliterations do not matter ("Łukasz" codes like "Lukasz"). Double Metaphone follows
//! Philips' original rules as the common implementations do (Apache Commons Codec, the
//! Python `metaphone` package), with codes cut at 4 characters; where the original gives
//! an alternate of a single space (a word ending in J), this gives an empty alternate.

use crate::normalise::fold;

/// American Soundex: the first letter and three digits ("Robert" R163, "Tymczak" T522),
/// with the H/W rule (letters coded alike either side of H or W count once) and vowels
/// separating repeats. Empty when the name has no Latin letters.
pub fn soundex(s: &str) -> String {
    let letters: Vec<u8> = fold(s)
        .bytes()
        .filter(u8::is_ascii_lowercase)
        .map(|b| b.to_ascii_uppercase())
        .collect();
    let Some(&first) = letters.first() else {
        return String::new();
    };
    let mut out = String::with_capacity(4);
    out.push(char::from(first));
    let mut last = soundex_digit(first);
    for &b in &letters[1..] {
        if out.len() == 4 {
            break;
        }
        match b {
            b'H' | b'W' => {}
            b'A' | b'E' | b'I' | b'O' | b'U' | b'Y' => last = 0,
            _ => {
                let d = soundex_digit(b);
                if d != 0 && d != last {
                    out.push(char::from(b'0' + d));
                }
                last = d;
            }
        }
    }
    while out.len() < 4 {
        out.push('0');
    }
    out
}

fn soundex_digit(b: u8) -> u8 {
    match b {
        b'B' | b'F' | b'P' | b'V' => 1,
        b'C' | b'G' | b'J' | b'K' | b'Q' | b'S' | b'X' | b'Z' => 2,
        b'D' | b'T' => 3,
        b'L' => 4,
        b'M' | b'N' => 5,
        b'R' => 6,
        _ => 0,
    }
}

/// Maximum length of each Double Metaphone code.
pub const METAPHONE_MAX_LEN: usize = 4;

/// Double Metaphone: (primary, alternate) codes, each at most 4 characters, "0" standing
/// for "th". The alternate equals the primary when no rule offers a second pronunciation.
/// "Smith" gives ("SM0", "XMT"), "Schmidt" ("XMT", "SMT"), "Catherine" and "Kathryn" both
/// ("K0RN", "KTRN").
pub fn double_metaphone(s: &str) -> (String, String) {
    // Ç and Ñ have rules of their own, so they are kept apart from the folding.
    let mut word: Vec<u8> = Vec::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, word: &mut Vec<u8>| {
        for b in fold(run).bytes() {
            word.push(if b.is_ascii_alphabetic() || b == b' ' {
                b.to_ascii_uppercase()
            } else {
                b'?'
            });
        }
        run.clear();
    };
    for c in s.chars() {
        match c {
            'ç' | 'Ç' => {
                flush(&mut run, &mut word);
                word.push(CEDILLA);
            }
            'ñ' | 'Ñ' => {
                flush(&mut run, &mut word);
                word.push(ENYE);
            }
            _ => run.push(c),
        }
    }
    flush(&mut run, &mut word);
    while word.last() == Some(&b' ') {
        word.pop();
    }
    while word.first() == Some(&b' ') {
        word.remove(0);
    }
    if word.is_empty() {
        return (String::new(), String::new());
    }
    Encoder::new(word).encode()
}

const CEDILLA: u8 = 1;
const ENYE: u8 = 2;

struct Encoder {
    w: Vec<u8>,
    primary: String,
    alternate: String,
    slavo_germanic: bool,
}

impl Encoder {
    fn new(w: Vec<u8>) -> Self {
        let slavo_germanic = w.contains(&b'W')
            || w.contains(&b'K')
            || w.windows(2).any(|p| p == b"CZ")
            || w.windows(4).any(|p| p == b"WITZ");
        Encoder {
            w,
            primary: String::new(),
            alternate: String::new(),
            slavo_germanic,
        }
    }

    fn at(&self, i: isize) -> u8 {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.w.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// Whether the `len` letters at `start` are one of `options`.
    fn is(&self, start: isize, len: usize, options: &[&str]) -> bool {
        let Ok(s) = usize::try_from(start) else {
            return false;
        };
        match self.w.get(s..s + len) {
            Some(slice) => options.iter().any(|o| o.as_bytes() == slice),
            None => false,
        }
    }

    fn vowel(&self, i: isize) -> bool {
        matches!(self.at(i), b'A' | b'E' | b'I' | b'O' | b'U' | b'Y')
    }

    fn last(&self) -> isize {
        self.len() - 1
    }

    fn len(&self) -> isize {
        isize::try_from(self.w.len()).unwrap_or(isize::MAX)
    }

    fn add(&mut self, primary: &str, alternate: &str) {
        for (code, add) in [
            (&mut self.primary, primary),
            (&mut self.alternate, alternate),
        ] {
            for c in add.chars() {
                if code.len() < METAPHONE_MAX_LEN {
                    code.push(c);
                }
            }
        }
    }

    fn both(&mut self, code: &str) {
        self.add(code, code);
    }

    fn done(&self) -> bool {
        self.primary.len() >= METAPHONE_MAX_LEN && self.alternate.len() >= METAPHONE_MAX_LEN
    }

    fn encode(mut self) -> (String, String) {
        let mut i: isize = if self.is(0, 2, &["GN", "KN", "PN", "WR", "PS"]) {
            1
        } else {
            0
        };
        while !self.done() && i < self.len() {
            i = match self.at(i) {
                b'A' | b'E' | b'I' | b'O' | b'U' | b'Y' => {
                    if i == 0 {
                        self.both("A");
                    }
                    i + 1
                }
                b'B' => {
                    self.both("P");
                    if self.at(i + 1) == b'B' { i + 2 } else { i + 1 }
                }
                CEDILLA => {
                    self.both("S");
                    i + 1
                }
                b'C' => self.c(i),
                b'D' => self.d(i),
                b'F' => {
                    self.both("F");
                    if self.at(i + 1) == b'F' { i + 2 } else { i + 1 }
                }
                b'G' => self.g(i),
                b'H' => {
                    if (i == 0 || self.vowel(i - 1)) && self.vowel(i + 1) {
                        self.both("H");
                        i + 2
                    } else {
                        i + 1
                    }
                }
                b'J' => self.j(i),
                b'K' => {
                    self.both("K");
                    if self.at(i + 1) == b'K' { i + 2 } else { i + 1 }
                }
                b'L' => self.l(i),
                b'M' => {
                    self.both("M");
                    let umb = self.is(i - 1, 3, &["UMB"])
                        && (i + 1 == self.last() || self.is(i + 2, 2, &["ER"]));
                    if self.at(i + 1) == b'M' || umb {
                        i + 2
                    } else {
                        i + 1
                    }
                }
                b'N' => {
                    self.both("N");
                    if self.at(i + 1) == b'N' { i + 2 } else { i + 1 }
                }
                ENYE => {
                    self.both("N");
                    i + 1
                }
                b'P' => {
                    if self.at(i + 1) == b'H' {
                        self.both("F");
                        i + 2
                    } else {
                        self.both("P");
                        if self.is(i + 1, 1, &["P", "B"]) {
                            i + 2
                        } else {
                            i + 1
                        }
                    }
                }
                b'Q' => {
                    self.both("K");
                    if self.at(i + 1) == b'Q' { i + 2 } else { i + 1 }
                }
                b'R' => self.r(i),
                b'S' => self.s(i),
                b'T' => self.t(i),
                b'V' => {
                    self.both("F");
                    if self.at(i + 1) == b'V' { i + 2 } else { i + 1 }
                }
                b'W' => self.w(i),
                b'X' => self.x(i),
                b'Z' => self.z(i),
                _ => i + 1,
            };
        }
        (self.primary, self.alternate)
    }

    fn c(&mut self, i: isize) -> isize {
        if self.c_is_k_in_ach(i) {
            self.both("K");
            i + 2
        } else if i == 0 && self.is(i, 6, &["CAESAR"]) {
            self.both("S");
            i + 2
        } else if self.is(i, 2, &["CH"]) {
            self.ch(i)
        } else if self.is(i, 2, &["CZ"]) && !self.is(i - 2, 4, &["WICZ"]) {
            self.add("S", "X");
            i + 2
        } else if self.is(i + 1, 3, &["CIA"]) {
            self.both("X");
            i + 3
        } else if self.is(i, 2, &["CC"]) && !(i == 1 && self.at(0) == b'M') {
            if self.is(i + 2, 1, &["I", "E", "H"]) && !self.is(i + 2, 2, &["HU"]) {
                if (i == 1 && self.at(i - 1) == b'A') || self.is(i - 1, 5, &["UCCEE", "UCCES"]) {
                    self.both("KS");
                } else {
                    self.both("X");
                }
                i + 3
            } else {
                self.both("K");
                i + 2
            }
        } else if self.is(i, 2, &["CK", "CG", "CQ"]) {
            self.both("K");
            i + 2
        } else if self.is(i, 2, &["CI", "CE", "CY"]) {
            if self.is(i, 3, &["CIO", "CIE", "CIA"]) {
                self.add("S", "X");
            } else {
                self.both("S");
            }
            i + 2
        } else {
            self.both("K");
            if self.is(i + 1, 2, &[" C", " Q", " G"]) {
                i + 3
            } else if self.is(i + 1, 1, &["C", "K", "Q"]) && !self.is(i + 1, 2, &["CE", "CI"]) {
                i + 2
            } else {
                i + 1
            }
        }
    }

    /// "-ACH-" sounding K ("Bacher", "Macher"), and "CHIA".
    fn c_is_k_in_ach(&self, i: isize) -> bool {
        if self.is(i, 4, &["CHIA"]) {
            return true;
        }
        if i <= 1 || self.vowel(i - 2) || !self.is(i - 1, 3, &["ACH"]) {
            return false;
        }
        let c = self.at(i + 2);
        (c != b'I' && c != b'E') || self.is(i - 2, 6, &["BACHER", "MACHER"])
    }

    fn ch(&mut self, i: isize) -> isize {
        if i > 0 && self.is(i, 4, &["CHAE"]) {
            // "Michael".
            self.add("K", "X");
        } else if self.ch_is_greek(i) || self.ch_is_germanic(i) {
            self.both("K");
        } else if i > 0 {
            if self.is(0, 2, &["MC"]) {
                self.both("K");
            } else {
                self.add("X", "K");
            }
        } else {
            self.both("X");
        }
        i + 2
    }

    /// Greek roots at the start: "chemistry", "chorus", "character", but not "chore".
    fn ch_is_greek(&self, i: isize) -> bool {
        i == 0
            && (self.is(i + 1, 5, &["HARAC", "HARIS"])
                || self.is(i + 1, 3, &["HOR", "HYM", "HIA", "HEM"]))
            && !self.is(0, 5, &["CHORE"])
    }

    /// Germanic, Greek or otherwise "kh": "Bach", "orchestra", "architect", "Christ".
    fn ch_is_germanic(&self, i: isize) -> bool {
        self.is(0, 4, &["VAN ", "VON "])
            || self.is(0, 3, &["SCH"])
            || self.is(i - 2, 6, &["ORCHES", "ARCHIT", "ORCHID"])
            || self.is(i + 2, 1, &["T", "S"])
            || ((self.is(i - 1, 1, &["A", "O", "U", "E"]) || i == 0)
                && (self.is(
                    i + 2,
                    1,
                    &["L", "R", "N", "M", "B", "H", "F", "V", "W", " "],
                ) || i + 1 == self.last()))
    }

    fn d(&mut self, i: isize) -> isize {
        if self.is(i, 2, &["DG"]) {
            if self.is(i + 2, 1, &["I", "E", "Y"]) {
                self.both("J");
                i + 3
            } else {
                self.both("TK");
                i + 2
            }
        } else if self.is(i, 2, &["DT", "DD"]) {
            self.both("T");
            i + 2
        } else {
            self.both("T");
            i + 1
        }
    }

    fn g(&mut self, i: isize) -> isize {
        let next = self.at(i + 1);
        if next == b'H' {
            return self.gh(i);
        }
        if next == b'N' {
            if i == 1 && self.vowel(0) && !self.slavo_germanic {
                self.add("KN", "N");
            } else if !self.is(i + 2, 2, &["EY"]) && next != b'Y' && !self.slavo_germanic {
                self.add("N", "KN");
            } else {
                self.both("KN");
            }
            return i + 2;
        }
        if self.is(i + 1, 2, &["LI"]) && !self.slavo_germanic {
            self.add("KL", "L");
            return i + 2;
        }
        if i == 0
            && (next == b'Y'
                || self.is(
                    i + 1,
                    2,
                    &[
                        "ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN", "IE", "EI", "ER",
                    ],
                ))
        {
            self.add("K", "J");
            return i + 2;
        }
        if (self.is(i + 1, 2, &["ER"]) || next == b'Y')
            && !self.is(0, 6, &["DANGER", "RANGER", "MANGER"])
            && !self.is(i - 1, 1, &["E", "I"])
            && !self.is(i - 1, 3, &["RGY", "OGY"])
        {
            self.add("K", "J");
            return i + 2;
        }
        if self.is(i + 1, 1, &["E", "I", "Y"]) || self.is(i - 1, 4, &["AGGI", "OGGI"]) {
            if self.is(0, 4, &["VAN ", "VON "])
                || self.is(0, 3, &["SCH"])
                || self.is(i + 1, 2, &["ET"])
            {
                self.both("K");
            } else if self.is(i + 1, 3, &["IER"]) {
                self.both("J");
            } else {
                self.add("J", "K");
            }
            return i + 2;
        }
        self.both("K");
        if next == b'G' { i + 2 } else { i + 1 }
    }

    fn gh(&mut self, i: isize) -> isize {
        if i > 0 && !self.vowel(i - 1) {
            self.both("K");
        } else if i == 0 {
            if self.at(i + 2) == b'I' {
                self.both("J");
            } else {
                self.both("K");
            }
        } else if (i > 1 && self.is(i - 2, 1, &["B", "H", "D"]))
            || (i > 2 && self.is(i - 3, 1, &["B", "H", "D"]))
            || (i > 3 && self.is(i - 4, 1, &["B", "H"]))
        {
            // Parker's rule: "Hugh", "bough".
        } else if i > 2 && self.at(i - 1) == b'U' && self.is(i - 3, 1, &["C", "G", "L", "R", "T"]) {
            // "laugh", "McLaughlin", "cough", "Gough", "rough", "tough".
            self.both("F");
        } else if i > 0 && self.at(i - 1) != b'I' {
            self.both("K");
        }
        i + 2
    }

    fn j(&mut self, i: isize) -> isize {
        if self.is(i, 4, &["JOSE"]) || self.is(0, 4, &["SAN "]) {
            if (i == 0 && self.at(i + 4) == b' ') || self.len() == 4 || self.is(0, 4, &["SAN "]) {
                self.both("H");
            } else {
                self.add("J", "H");
            }
            return i + 1;
        }
        if i == 0 {
            self.add("J", "A");
        } else if self.vowel(i - 1) && !self.slavo_germanic && matches!(self.at(i + 1), b'A' | b'O')
        {
            self.add("J", "H");
        } else if i == self.last() {
            self.add("J", "");
        } else if !self.is(i + 1, 1, &["L", "T", "K", "S", "N", "M", "B", "Z"])
            && !self.is(i - 1, 1, &["S", "K", "L"])
        {
            self.both("J");
        }
        if self.at(i + 1) == b'J' { i + 2 } else { i + 1 }
    }

    fn l(&mut self, i: isize) -> isize {
        if self.at(i + 1) != b'L' {
            self.both("L");
            return i + 1;
        }
        let n = self.len();
        let spanish = (i == n - 3 && self.is(i - 1, 4, &["ILLO", "ILLA", "ALLE"]))
            || ((self.is(n - 2, 2, &["AS", "OS"]) || self.is(n - 1, 1, &["A", "O"]))
                && self.is(i - 1, 4, &["ALLE"]));
        if spanish {
            self.add("L", "");
        } else {
            self.both("L");
        }
        i + 2
    }

    fn r(&mut self, i: isize) -> isize {
        if i == self.last()
            && !self.slavo_germanic
            && self.is(i - 2, 2, &["IE"])
            && !self.is(i - 4, 2, &["ME", "MA"])
        {
            self.add("", "R");
        } else {
            self.both("R");
        }
        if self.at(i + 1) == b'R' { i + 2 } else { i + 1 }
    }

    fn s(&mut self, i: isize) -> isize {
        if self.is(i - 1, 3, &["ISL", "YSL"]) {
            return i + 1;
        }
        if i == 0 && self.is(i, 5, &["SUGAR"]) {
            self.add("X", "S");
            return i + 1;
        }
        if self.is(i, 2, &["SH"]) {
            if self.is(i + 1, 4, &["HEIM", "HOEK", "HOLM", "HOLZ"]) {
                self.both("S");
            } else {
                self.both("X");
            }
            return i + 2;
        }
        if self.is(i, 3, &["SIO", "SIA"]) || self.is(i, 4, &["SIAN"]) {
            if self.slavo_germanic {
                self.both("S");
            } else {
                self.add("S", "X");
            }
            return i + 3;
        }
        if (i == 0 && self.is(i + 1, 1, &["M", "N", "L", "W"])) || self.is(i + 1, 1, &["Z"]) {
            self.add("S", "X");
            return if self.is(i + 1, 1, &["Z"]) {
                i + 2
            } else {
                i + 1
            };
        }
        if self.is(i, 2, &["SC"]) {
            if self.at(i + 2) == b'H' {
                if self.is(i + 3, 2, &["OO", "ER", "EN", "UY", "ED", "EM"]) {
                    if self.is(i + 3, 2, &["ER", "EN"]) {
                        self.add("X", "SK");
                    } else {
                        self.both("SK");
                    }
                } else if i == 0 && !self.vowel(3) && self.at(3) != b'W' {
                    self.add("X", "S");
                } else {
                    self.both("X");
                }
            } else if self.is(i + 2, 1, &["I", "E", "Y"]) {
                self.both("S");
            } else {
                self.both("SK");
            }
            return i + 3;
        }
        if i == self.last() && self.is(i - 2, 2, &["AI", "OI"]) {
            self.add("", "S");
        } else {
            self.both("S");
        }
        if self.is(i + 1, 1, &["S", "Z"]) {
            i + 2
        } else {
            i + 1
        }
    }

    fn t(&mut self, i: isize) -> isize {
        if self.is(i, 4, &["TION"]) || self.is(i, 3, &["TIA", "TCH"]) {
            self.both("X");
            return i + 3;
        }
        if self.is(i, 2, &["TH"]) || self.is(i, 3, &["TTH"]) {
            if self.is(i + 2, 2, &["OM", "AM"])
                || self.is(0, 4, &["VAN ", "VON "])
                || self.is(0, 3, &["SCH"])
            {
                self.both("T");
            } else {
                self.add("0", "T");
            }
            return i + 2;
        }
        self.both("T");
        if self.is(i + 1, 1, &["T", "D"]) {
            i + 2
        } else {
            i + 1
        }
    }

    fn w(&mut self, i: isize) -> isize {
        if self.is(i, 2, &["WR"]) {
            self.both("R");
            return i + 2;
        }
        if i == 0 && (self.vowel(i + 1) || self.is(i, 2, &["WH"])) {
            if self.vowel(i + 1) {
                self.add("A", "F");
            } else {
                self.both("A");
            }
            return i + 1;
        }
        if (i == self.last() && self.vowel(i - 1))
            || self.is(i - 1, 5, &["EWSKI", "EWSKY", "OWSKI", "OWSKY"])
            || self.is(0, 3, &["SCH"])
        {
            self.add("", "F");
            return i + 1;
        }
        if self.is(i, 4, &["WICZ", "WITZ"]) {
            self.add("TS", "FX");
            return i + 4;
        }
        i + 1
    }

    fn x(&mut self, i: isize) -> isize {
        if i == 0 {
            self.both("S");
            return i + 1;
        }
        let french = i == self.last()
            && (self.is(i - 3, 3, &["IAU", "EAU"]) || self.is(i - 2, 2, &["AU", "OU"]));
        if !french {
            self.both("KS");
        }
        if self.is(i + 1, 1, &["C", "X"]) {
            i + 2
        } else {
            i + 1
        }
    }

    fn z(&mut self, i: isize) -> isize {
        if self.at(i + 1) == b'H' {
            self.both("J");
            return i + 2;
        }
        if self.is(i + 1, 2, &["ZO", "ZI", "ZA"])
            || (self.slavo_germanic && i > 0 && self.at(i - 1) != b'T')
        {
            self.add("S", "TS");
        } else {
            self.both("S");
        }
        if self.at(i + 1) == b'Z' { i + 2 } else { i + 1 }
    }
}

/// Whether two names share a Double Metaphone code (primary or alternate, either way).
pub fn sounds_alike(a: &str, b: &str) -> bool {
    let (a1, a2) = double_metaphone(a);
    let (b1, b2) = double_metaphone(b);
    !a1.is_empty() && (a1 == b1 || a1 == b2 || a2 == b1 || (!a2.is_empty() && a2 == b2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dm(s: &str) -> (String, String) {
        double_metaphone(s)
    }

    fn pair(p: &str, a: &str) -> (String, String) {
        (p.to_owned(), a.to_owned())
    }

    #[test]
    fn soundex_matches_published_examples() {
        assert_eq!(soundex("Robert"), "R163");
        assert_eq!(soundex("Rupert"), "R163");
        assert_eq!(soundex("Rubin"), "R150");
        assert_eq!(soundex("Ashcraft"), "A261");
        assert_eq!(soundex("Ashcroft"), "A261");
        assert_eq!(soundex("Tymczak"), "T522");
        assert_eq!(soundex("Pfister"), "P236");
        assert_eq!(soundex("Honeyman"), "H555");
        assert_eq!(soundex("Lee"), "L000");
        assert_eq!(soundex("Gutierrez"), "G362");
        assert_eq!(soundex("Jackson"), "J250");
    }

    #[test]
    fn soundex_folds_accents_and_ignores_punctuation() {
        assert_eq!(soundex("Łukasz"), soundex("Lukasz"));
        assert_eq!(soundex("O'Neill"), soundex("ONeill"));
        assert_eq!(soundex(""), "");
        assert_eq!(soundex("---"), "");
    }

    #[test]
    fn double_metaphone_matches_published_codes() {
        assert_eq!(dm("Smith"), pair("SM0", "XMT"));
        assert_eq!(dm("Schmidt"), pair("XMT", "SMT"));
        assert_eq!(dm("Jones"), pair("JNS", "ANS"));
        assert_eq!(dm("Catherine"), pair("K0RN", "KTRN"));
        assert_eq!(dm("Kathryn"), pair("K0RN", "KTRN"));
        assert_eq!(dm("Knight"), pair("NT", "NT"));
        assert_eq!(dm("Wright"), pair("RT", "RT"));
        assert_eq!(dm("Xavier"), pair("SF", "SFR"));
        assert_eq!(dm("Gough"), pair("KF", "KF"));
        assert_eq!(dm("Philip"), pair("FLP", "FLP"));
        assert_eq!(dm("Ghislane"), pair("JLN", "JLN"));
        assert_eq!(dm("Caesar"), pair("SSR", "SSR"));
        assert_eq!(dm("Tagliaro"), pair("TKLR", "TLR"));
        assert_eq!(dm("Thomas"), pair("TMS", "TMS"));
        assert_eq!(dm("Thomson"), pair("TMSN", "TMSN"));
        assert_eq!(dm("Michael"), pair("MKL", "MXL"));
        assert_eq!(dm("Jose"), pair("HS", "HS"));
        assert_eq!(dm("Arnow"), pair("ARN", "ARNF"));
        assert_eq!(dm("Filipowicz"), pair("FLPT", "FLPF"));
        assert_eq!(dm("Zhao"), pair("J", "J"));
        assert_eq!(dm("Bacchus"), pair("PKS", "PKS"));
        assert_eq!(dm("Edge"), pair("AJ", "AJ"));
        assert_eq!(dm("Hugh"), pair("H", "H"));
        assert_eq!(dm("Laugh"), pair("LF", "LF"));
        assert_eq!(dm("Czerny"), pair("SRN", "XRN"));
        assert_eq!(dm("Schooner"), pair("SKNR", "SKNR"));
        assert_eq!(dm("Island"), pair("ALNT", "ALNT"));
    }

    #[test]
    fn double_metaphone_keeps_p_in_thompson_as_philips_rules_do() {
        // Philips' rules code every P not followed by H, so Thompson is TMPS (Thomson is
        // TMSN); the pair is still caught by the typo comparison.
        assert_eq!(dm("Thompson"), pair("TMPS", "TMPS"));
    }

    #[test]
    fn double_metaphone_uses_cedilla_and_tilde_rules() {
        assert_eq!(dm("Françoise").0, "FRNS");
        assert_eq!(dm("Muñoz").0, "MNS");
    }

    #[test]
    fn double_metaphone_codes_are_at_most_four_letters() {
        let (p, a) = dm("Featherstonehaugh");
        assert_eq!(p.len(), 4);
        assert_eq!(a.len(), 4);
    }

    #[test]
    fn double_metaphone_of_empty_or_non_latin_is_empty() {
        assert_eq!(dm(""), pair("", ""));
        assert_eq!(dm(" ' "), pair("", ""));
    }

    #[test]
    fn sound_alike_names_share_a_code() {
        for (a, b) in [
            ("Smith", "Smyth"),
            ("Smith", "Schmidt"),
            ("Catherine", "Kathryn"),
            ("Stephen", "Steven"),
            ("Philips", "Phillips"),
            ("Geoffrey", "Jeffrey"),
            ("Mohammed", "Muhammad"),
            ("Reid", "Reed"),
            ("Claire", "Clare"),
            ("Macdonald", "McDonald"),
            ("Wasserman", "Vasserman"),
            ("Łukasz", "Lukasz"),
            ("Knight", "Night"),
        ] {
            assert!(sounds_alike(a, b), "{a} {b}: {:?} {:?}", dm(a), dm(b));
        }
    }

    #[test]
    fn different_sounding_names_do_not_share_a_code() {
        for (a, b) in [
            ("Smith", "Jones"),
            ("Brown", "Taylor"),
            ("John", "Peter"),
            ("Williams", "Wilson"),
            ("Patel", "Khan"),
            ("Mary", "Margaret"),
        ] {
            assert!(!sounds_alike(a, b), "{a} {b}: {:?} {:?}", dm(a), dm(b));
        }
    }
}
