//! A union of clauses for use inside an intersection, where it is sought far more often
//! than it is walked.
//!
//! tantivy's own union of `Should` clauses (`BufferedUnionScorer`) fills a window of 4,096
//! documents from every clause each time it is sought outside its window: right for a
//! union that is walked from end to end, costly for one that a much narrower clause leads
//! through. A person search is that case: the family-name clauses gather a few thousand
//! persons out of a million, and for each the "something else agrees" union (given names,
//! their variants and sounds, the date of birth, the records that lack either) is sought,
//! so the buffered union walked nearly every posting of its clauses, a tenth of the index,
//! on every search. This union seeks each clause to the target instead, which costs a
//! skip within each clause's postings.
//!
//! Documents and scores are those of a `BooleanQuery` of the same `Should` clauses (the sum
//! of the matching clauses' scores); a test holds the two together.

use tantivy::query::{BooleanQuery, EnableScoring, Explanation, Occur, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError};

/// Matches a document when any clause does; scores it by the sum of the clauses that match.
#[derive(Debug)]
pub(crate) struct SeekingUnion {
    clauses: Vec<Box<dyn Query>>,
}

impl Clone for SeekingUnion {
    fn clone(&self) -> Self {
        SeekingUnion {
            clauses: self.clauses.iter().map(|q| q.box_clone()).collect(),
        }
    }
}

impl SeekingUnion {
    /// The union of `clauses`, alternatives as in a `BooleanQuery` of `Should` clauses. A
    /// clause that is itself a union of `Should` clauses is opened up, so that no buffered
    /// union is left inside to be sought. Given any clause that is not `Should`, the
    /// clauses are kept together as the one `BooleanQuery` they describe, so the meaning
    /// never changes.
    pub(crate) fn new(clauses: Vec<(Occur, Box<dyn Query>)>) -> Self {
        if clauses.iter().any(|(o, _)| *o != Occur::Should) {
            return SeekingUnion {
                clauses: vec![Box::new(BooleanQuery::new(clauses))],
            };
        }
        let mut flat = Vec::with_capacity(clauses.len());
        for (_, q) in clauses {
            flatten(q, &mut flat);
        }
        SeekingUnion { clauses: flat }
    }
}

fn flatten(q: Box<dyn Query>, out: &mut Vec<Box<dyn Query>>) {
    match q.downcast_ref::<BooleanQuery>() {
        Some(b)
            if !b.clauses().is_empty()
                && b.get_minimum_number_should_match() <= 1
                && b.clauses().iter().all(|(o, _)| *o == Occur::Should) =>
        {
            for (_, inner) in b.clauses() {
                flatten(inner.box_clone(), out);
            }
        }
        _ => out.push(q),
    }
}

impl Query for SeekingUnion {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self
            .clauses
            .iter()
            .map(|q| q.weight(enable_scoring))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(SeekingUnionWeight { weights }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        for q in &self.clauses {
            q.query_terms(visitor);
        }
    }
}

struct SeekingUnionWeight {
    weights: Vec<Box<dyn Weight>>,
}

impl Weight for SeekingUnionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorers = Vec::with_capacity(self.weights.len());
        for w in &self.weights {
            let s = w.scorer(reader, boost)?;
            if s.doc() != TERMINATED {
                scorers.push(s);
            }
        }
        // As tantivy's union does: nothing left, nothing to wrap; one clause, itself.
        if scorers.len() <= 1 {
            return Ok(scorers
                .pop()
                .unwrap_or_else(|| Box::new(tantivy::query::EmptyScorer)));
        }
        let doc = scorers.iter().map(|s| s.doc()).min().unwrap_or(TERMINATED);
        Ok(Box::new(SeekingUnionScorer {
            scorers,
            doc,
            max_doc: reader.max_doc(),
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut total = 0.0;
        let mut details = Vec::new();
        for w in &self.weights {
            // Only a clause that matches is asked to explain: a scorer may not be sought
            // backwards, and some of tantivy's own explanations seek without looking.
            let mut s = w.scorer(reader, 1.0)?;
            if s.doc() <= doc && s.seek(doc) == doc {
                total += s.score();
                details.push(w.explain(reader, doc)?);
            }
        }
        if details.is_empty() {
            return Err(TantivyError::InvalidArgument(format!(
                "document #({doc}) does not match"
            )));
        }
        let mut explanation = Explanation::new("sum of the clauses that match", total);
        for d in details {
            explanation.add_detail(d);
        }
        Ok(explanation)
    }
}

struct SeekingUnionScorer {
    /// The clauses not yet exhausted, each on a document at or after `doc`.
    scorers: Vec<Box<dyn Scorer>>,
    doc: DocId,
    max_doc: u32,
}

impl SeekingUnionScorer {
    fn settle(&mut self) -> DocId {
        self.scorers.retain(|s| s.doc() != TERMINATED);
        self.doc = self
            .scorers
            .iter()
            .map(|s| s.doc())
            .min()
            .unwrap_or(TERMINATED);
        self.doc
    }
}

impl DocSet for SeekingUnionScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        for s in &mut self.scorers {
            if s.doc() == self.doc {
                s.advance();
            }
        }
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for s in &mut self.scorers {
            if s.doc() < target {
                s.seek(target);
            }
        }
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.scorers
            .iter()
            .fold(0u32, |n, s| n.saturating_add(s.size_hint()))
            .min(self.max_doc)
    }

    fn cost(&self) -> u64 {
        self.scorers
            .iter()
            .fold(0u64, |n, s| n.saturating_add(s.cost()))
    }
}

impl Scorer for SeekingUnionScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        self.scorers
            .iter_mut()
            .filter(|s| s.doc() == doc)
            .map(|s| s.score())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{boosted, term_query};
    use proptest::prelude::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::BoostQuery;
    use tantivy::schema::{STRING, Schema};
    use tantivy::{Index, TantivyDocument};

    /// A clause scored by the term's statistics (BM25), boosted.
    fn term(field: tantivy::schema::Field, t: &str, boost: f32) -> Box<dyn Query> {
        Box::new(BoostQuery::new(term_query(field, t), boost))
    }

    fn clauses_with<'a>(
        c: impl Iterator<Item = &'a (Occur, Box<dyn Query>)>,
    ) -> Vec<(Occur, Box<dyn Query>)> {
        c.map(|(o, q)| (*o, q.box_clone())).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Alone and led through by a narrower clause (so that it is sought, not walked),
        /// the union finds the documents a `BooleanQuery` of the same clauses finds, with
        /// the same scores; a nested union of alternatives is opened up alike.
        #[test]
        fn finds_and_scores_what_a_boolean_union_does(
            docs in proptest::collection::vec(proptest::collection::vec(0u8..12, 0..5), 1..400),
            wanted in proptest::collection::vec(0u8..12, 1..6),
            nested in proptest::collection::vec(0u8..12, 0..3),
            narrow in 0u8..12,
        ) {
            let mut schema = Schema::builder();
            let f = schema.add_text_field("t", STRING);
            let g = schema.add_text_field("g", STRING);
            let index = Index::create_in_ram(schema.build());
            let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
            for (i, terms) in docs.iter().enumerate() {
                let mut d = TantivyDocument::default();
                for t in terms {
                    d.add_text(f, t.to_string());
                }
                // Every few documents carry the narrow term that leads the intersection.
                if i % 7 == usize::from(narrow) % 7 {
                    d.add_text(g, "lead");
                }
                writer.add_document(d).unwrap();
            }
            writer.commit().unwrap();
            let searcher = index.reader().unwrap().searcher();

            let clauses = || {
                let mut c: Vec<(Occur, Box<dyn Query>)> = wanted
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let (t, w) = (t.to_string(), 1.0 + i as f32);
                        // Boosted and constant-score clauses (as a person search writes them).
                        let q = if i % 2 == 0 { term(f, &t, w) } else { boosted(term_query(f, &t), w) };
                        (Occur::Should, q)
                    })
                    .collect();
                if !nested.is_empty() {
                    let inner: Vec<(Occur, Box<dyn Query>)> = nested
                        .iter()
                        .map(|t| (Occur::Should, term(f, &t.to_string(), 0.5)))
                        .collect();
                    c.push((Occur::Should, Box::new(BooleanQuery::new(inner))));
                }
                c
            };
            let led = |q: Box<dyn Query>| -> Box<dyn Query> {
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, term(g, "lead", 1.0)),
                    (Occur::Must, q),
                ]))
            };
            let top = TopDocs::with_limit(1_000).order_by_score();
            let run = |q: &dyn Query| {
                let mut found: Vec<(u32, f32)> = searcher
                    .search(q, &top)
                    .unwrap()
                    .into_iter()
                    .map(|(s, a)| (a.doc_id, s))
                    .collect();
                found.sort_by_key(|(d, _)| *d);
                found
            };
            // The same documents, with the same scores up to the order of a float sum.
            let agree = |a: Vec<(u32, f32)>, b: Vec<(u32, f32)>| {
                a.len() == b.len()
                    && a.iter().zip(&b).all(|((da, sa), (db, sb))| {
                        da == db && (sa - sb).abs() <= 1e-5 * sa.abs().max(1.0)
                    })
            };
            let boolean: Box<dyn Query> = Box::new(BooleanQuery::new(clauses()));
            let seeking: Box<dyn Query> = Box::new(SeekingUnion::new(clauses()));
            let found = run(seeking.as_ref());
            prop_assert!(agree(run(boolean.as_ref()), found.clone()));
            prop_assert!(agree(run(led(boolean).as_ref()), run(led(seeking.box_clone()).as_ref())));
            // Each document found explains its score; one not found is not explained.
            for (doc, score) in &found {
                let e = seeking.explain(&searcher, tantivy::DocAddress::new(0, *doc)).unwrap();
                prop_assert!((e.value() - score).abs() <= 1e-5 * score.abs().max(1.0));
            }
            if let Some(missing) = (0..docs.len() as u32).find(|d| found.iter().all(|(f, _)| f != d)) {
                prop_assert!(seeking.explain(&searcher, tantivy::DocAddress::new(0, missing)).is_err());
            }
            // A clause that is not an alternative keeps the clauses' meaning as they are.
            let mut excluding = clauses();
            excluding.push((Occur::MustNot, term(f, &narrow.to_string(), 1.0)));
            prop_assert!(agree(
                run(&BooleanQuery::new(clauses_with(excluding.iter()))),
                run(&SeekingUnion::new(clauses_with(excluding.iter()))),
            ));
        }
    }
}
