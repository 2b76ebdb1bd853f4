//! String similarity for typo tolerance: Jaro-Winkler and Damerau-Levenshtein (the
//! optimal string alignment form: insertions, deletions, substitutions and swaps of two
//! adjacent letters each cost one). Both work on characters, not bytes, and both are
//! symmetric: `f(a, b) == f(b, a)`.

/// Jaro-Winkler similarity in [0, 1] (1 for equal strings), with the usual prefix scale of
/// 0.1 over at most 4 leading characters.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    jaro_winkler_chars(&a, &b)
}

fn jaro_winkler_chars(a: &[char], b: &[char]) -> f64 {
    // Order the inputs so that the greedy matching is the same whichever way round (the
    // order of characters is the order of the strings they spell).
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    let j = jaro(a, b);
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
    let prefix = f64::from(u8::try_from(prefix).unwrap_or(4));
    j + prefix * 0.1 * (1.0 - j)
}

fn jaro(a: &[char], b: &[char]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    // Names are short: the working space is on the stack unless they are not.
    let mut used_here = [false; SHORT];
    let mut used_heap = Vec::new();
    let b_used: &mut [bool] = if b.len() <= SHORT {
        &mut used_here[..b.len()]
    } else {
        used_heap.resize(b.len(), false);
        &mut used_heap
    };
    let mut matched_here = [' '; SHORT];
    let mut matched_heap = Vec::new();
    let a_matched: &mut [char] = if a.len() <= SHORT {
        &mut matched_here[..a.len()]
    } else {
        matched_heap.resize(a.len(), ' ');
        &mut matched_heap
    };
    let mut matched = 0usize;
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_used[j] && b[j] == *ca {
                b_used[j] = true;
                a_matched[matched] = *ca;
                matched += 1;
                break;
            }
        }
    }
    if matched == 0 {
        return 0.0;
    }
    let b_matched = b
        .iter()
        .zip(b_used.iter())
        .filter(|(_, u)| **u)
        .map(|(c, _)| *c);
    let half_transpositions = a_matched[..matched]
        .iter()
        .zip(b_matched)
        .filter(|(x, y)| **x != *y)
        .count();
    let m = count(matched);
    let t = count(half_transpositions) / 2.0;
    (m / count(a.len()) + m / count(b.len()) + (m - t) / m) / 3.0
}

fn count(n: usize) -> f64 {
    f64::from(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Damerau-Levenshtein distance, optimal string alignment variant.
pub fn damerau_levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// How many characters a name may have for the comparisons below to work on the stack.
const SHORT: usize = 32;

/// Whether the optimal-string-alignment distance between `a` and `b` (at most [`SHORT`]
/// characters each) is at most `k`, stopping as soon as two rows in a row exceed it (a
/// swap of two letters steps over one row, never two).
fn within(a: &[char], b: &[char], k: usize) -> bool {
    if a.len().abs_diff(b.len()) > k {
        return false;
    }
    let width = b.len() + 1;
    let mut rows = [[0usize; SHORT + 1]; 3];
    for (j, cell) in rows[0].iter_mut().enumerate().take(width) {
        *cell = j;
    }
    let mut over_before = false;
    for i in 1..=a.len() {
        let (two_back, one_back, this) = ((i + 1) % 3, (i - 1) % 3, i % 3);
        rows[this][0] = i;
        let mut row_min = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[one_back][j] + 1)
                .min(rows[this][j - 1] + 1)
                .min(rows[one_back][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[two_back][j - 2] + 1);
            }
            rows[this][j] = best;
            row_min = row_min.min(best);
        }
        let over = row_min > k;
        if over && over_before {
            return false;
        }
        over_before = over;
    }
    rows[a.len() % 3][b.len()] <= k
}

/// Whether two folded names are plausibly one mistyped as the other: one edit for names of
/// 4 to 7 letters, two for 8 or more, or a Jaro-Winkler similarity of at least 0.93 for
/// names of 4 letters or more. Names shorter than 4 letters are never typos of each other
/// (too many short names are one letter apart).
///
/// Called for every pair of names a search or a duplicate scan compares, so it works on the
/// stack and stops counting edits once there are too many.
pub fn is_typo(a: &str, b: &str) -> bool {
    if a == b {
        return false;
    }
    let mut here = [[' '; SHORT]; 2];
    let [x_buf, y_buf] = &mut here;
    let (Some(x), Some(y)) = (chars_into(a, x_buf), chars_into(b, y_buf)) else {
        // Longer than any name: the plain functions, on the heap.
        return typo_by(
            a.chars().count(),
            b.chars().count(),
            |k| damerau_levenshtein(a, b) <= k,
            || jaro_winkler(a, b),
        );
    };
    typo_by(
        x.len(),
        y.len(),
        |k| within(x, y, k),
        || jaro_winkler_chars(x, y),
    )
}

fn typo_by(
    len_a: usize,
    len_b: usize,
    edits_within: impl FnOnce(usize) -> bool,
    similarity: impl FnOnce() -> f64,
) -> bool {
    if len_a.min(len_b) < 4 {
        return false;
    }
    let allowed = if len_a.max(len_b) >= 8 { 2 } else { 1 };
    edits_within(allowed) || similarity() >= 0.93
}

fn chars_into<'a>(s: &str, buf: &'a mut [char; SHORT]) -> Option<&'a [char]> {
    let mut n = 0;
    for c in s.chars() {
        *buf.get_mut(n)? = c;
        n += 1;
    }
    Some(&buf[..n])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(x: f64, y: f64) -> bool {
        (x - y).abs() < 0.001
    }

    #[test]
    fn jaro_winkler_matches_published_values() {
        assert!(close(jaro_winkler("MARTHA", "MARHTA"), 0.961));
        assert!(close(jaro_winkler("DWAYNE", "DUANE"), 0.84));
        assert!(close(jaro_winkler("DIXON", "DICKSONX"), 0.813));
        assert!(close(jaro_winkler("same", "same"), 1.0));
        assert!(close(jaro_winkler("abc", "xyz"), 0.0));
    }

    #[test]
    fn damerau_levenshtein_counts_a_swap_as_one_edit() {
        assert_eq!(damerau_levenshtein("smith", "smiht"), 1);
        assert_eq!(damerau_levenshtein("smith", "smyth"), 1);
        assert_eq!(damerau_levenshtein("kitten", "sitting"), 3);
        assert_eq!(damerau_levenshtein("", "abc"), 3);
        assert_eq!(damerau_levenshtein("ca", "abc"), 3);
        assert_eq!(damerau_levenshtein("łukasz", "lukasz"), 1);
    }

    #[test]
    fn typos_are_caught_but_short_names_are_not_confused() {
        assert!(is_typo("thompson", "thomson"));
        assert!(is_typo("smith", "smiht"));
        assert!(is_typo("williams", "wiliams"));
        assert!(is_typo("macdonald", "mcdonald"));
        assert!(!is_typo("tom", "tim"));
        assert!(!is_typo("smith", "jones"));
        assert!(!is_typo("jack", "jake"));
        assert!(!is_typo("smith", "smith"));
    }

    /// Jaro as first written here, on the heap: the reference for the stack-bound one.
    fn jaro_on_the_heap(a: &[char], b: &[char]) -> f64 {
        if a.is_empty() && b.is_empty() {
            return 1.0;
        }
        if a.is_empty() || b.is_empty() {
            return 0.0;
        }
        let window = (a.len().max(b.len()) / 2).saturating_sub(1);
        let mut b_used = vec![false; b.len()];
        let mut a_matched: Vec<char> = Vec::new();
        for (i, ca) in a.iter().enumerate() {
            let lo = i.saturating_sub(window);
            let hi = (i + window + 1).min(b.len());
            for j in lo..hi {
                if !b_used[j] && b[j] == *ca {
                    b_used[j] = true;
                    a_matched.push(*ca);
                    break;
                }
            }
        }
        if a_matched.is_empty() {
            return 0.0;
        }
        let b_matched = b.iter().zip(&b_used).filter(|(_, u)| **u).map(|(c, _)| *c);
        let t = a_matched
            .iter()
            .zip(b_matched)
            .filter(|(x, y)| **x != *y)
            .count();
        let m = count(a_matched.len());
        (m / count(a.len()) + m / count(b.len()) + (m - count(t) / 2.0) / m) / 3.0
    }

    proptest! {
        /// The early-stopping count of edits agrees with the full table for every
        /// allowance, on names up to the stack's length, the second a few edits (swaps
        /// of neighbours among them) away from the first.
        #[test]
        fn within_is_the_distance_bounded(
            a in "[a-dł]{0,30}",
            edits in proptest::collection::vec((0u8..4, 0usize..32, proptest::sample::select(vec!['a', 'b', 'ł'])), 0..4),
            k in 0usize..5,
        ) {
            let x: Vec<char> = a.chars().collect();
            let mut y = x.clone();
            for (op, at, c) in edits {
                let at = at % (y.len() + 1);
                match op {
                    0 if at + 1 < y.len() => y.swap(at, at + 1),
                    1 if y.len() < SHORT => y.insert(at, c),
                    2 if at < y.len() => { y.remove(at); }
                    3 if at < y.len() => y[at] = c,
                    _ => {}
                }
            }
            let b: String = y.iter().collect();
            prop_assert_eq!(within(&x, &y, k), damerau_levenshtein(&a, &b) <= k);
        }

        /// Jaro on the stack is Jaro on the heap, short names and long.
        #[test]
        fn jaro_is_unchanged(a in "[a-fł]{0,40}", b in "[a-fł]{0,40}") {
            let (x, y): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            prop_assert_eq!(jaro(&x, &y), jaro_on_the_heap(&x, &y));
        }

        #[test]
        fn similarity_is_symmetric(a in "[a-e]{0,8}", b in "[a-e]{0,8}") {
            prop_assert_eq!(jaro_winkler(&a, &b), jaro_winkler(&b, &a));
            prop_assert_eq!(damerau_levenshtein(&a, &b), damerau_levenshtein(&b, &a));
        }

        /// The stack-bound, early-stopping check says what the plain definition says,
        /// names past the stack's length included.
        #[test]
        fn is_typo_is_its_definition(a in "[a-eł]{0,12}", b in "[a-eł]{0,12}", long in 0usize..3) {
            let pad = "x".repeat(long * 15);
            let (a, b) = (format!("{pad}{a}"), format!("{pad}{b}"));
            let (la, lb) = (a.chars().count(), b.chars().count());
            let allowed = if la.max(lb) >= 8 { 2 } else { 1 };
            let definition = a != b
                && la.min(lb) >= 4
                && (damerau_levenshtein(&a, &b) <= allowed || jaro_winkler(&a, &b) >= 0.93);
            prop_assert_eq!(is_typo(&a, &b), definition);
        }

        #[test]
        fn similarity_is_one_and_zero_for_equal_strings(a in "[a-z]{1,10}") {
            prop_assert_eq!(jaro_winkler(&a, &a), 1.0);
            prop_assert_eq!(damerau_levenshtein(&a, &a), 0);
        }
    }
}
