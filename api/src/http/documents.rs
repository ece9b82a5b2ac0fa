//! Parsed documents, kept by the SHA-256 of their text: each distinct document is
//! parsed once, and the same store answers automatic persisted queries (Apollo's
//! protocol: a client sends only the hash, and the text the first time it is asked
//! for). Bounded by total text size, least recently used first out, so what an
//! anonymous caller registers cannot grow memory without bound.

use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;
use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

pub struct Document {
    pub query: String,
    pub parsed: ExecutableDocument,
}

struct Inner {
    entries: lru::LruCache<Hash, Arc<Document>>,
    bytes: usize,
}

pub struct Documents {
    inner: Mutex<Inner>,
    budget: usize,
}

/// What a document costs in the cache: its text, and its syntax tree at a few times
/// the text's size.
fn weight(query: &str) -> usize {
    query.len() * 8 + 256
}

pub fn hash(query: &str) -> Hash {
    Sha256::digest(query.as_bytes()).into()
}

pub fn parse_hex(s: &str) -> Option<Hash> {
    let bytes = hex::decode(s).ok()?;
    bytes.try_into().ok()
}

impl Documents {
    /// A cache holding documents up to `budget` bytes (see [`weight`]).
    pub fn new(budget: usize) -> Documents {
        Documents {
            inner: Mutex::new(Inner {
                entries: lru::LruCache::unbounded(),
                bytes: 0,
            }),
            budget,
        }
    }

    pub fn get(&self, key: &Hash) -> Option<Arc<Document>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.entries.get(key).cloned()
    }

    /// Keeps a parsed document, evicting the least recently used ones to stay within
    /// the budget. A document larger than the whole budget is not kept.
    pub fn put(&self, key: Hash, doc: Arc<Document>) {
        let w = weight(&doc.query);
        if w > self.budget {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = inner.entries.put(key, doc) {
            inner.bytes -= weight(&old.query);
        }
        inner.bytes += w;
        while inner.bytes > self.budget {
            match inner.entries.pop_lru() {
                Some((_, old)) => inner.bytes -= weight(&old.query),
                None => break,
            }
        }
    }

    /// Documents kept, and the bytes they are counted as.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        (inner.entries.len(), inner.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(q: &str) -> Arc<Document> {
        Arc::new(Document {
            query: q.to_owned(),
            parsed: async_graphql::parser::parse_query(q).unwrap(),
        })
    }

    #[test]
    fn stays_within_its_budget_dropping_the_least_recent() {
        let q = |i: usize| format!("{{ a{i}: __typename }}");
        let one = weight(&q(0));
        let cache = Documents::new(one * 3);
        for i in 0..3 {
            cache.put(hash(&q(i)), doc(&q(i)));
        }
        assert_eq!(cache.usage(), (3, one * 3));
        // Touch 0 so that 1 is the least recently used.
        assert!(cache.get(&hash(&q(0))).is_some());
        cache.put(hash(&q(3)), doc(&q(3)));
        assert_eq!(cache.usage().0, 3);
        assert!(cache.get(&hash(&q(1))).is_none());
        assert!(cache.get(&hash(&q(0))).is_some());
        // Too large to keep at all.
        let big = format!("{{ __typename }} #{}", "x".repeat(one * 3));
        cache.put(hash(&big), doc(&big));
        assert!(cache.get(&hash(&big)).is_none());
    }

    #[test]
    fn hashes_are_hex_sha256() {
        let h = hash("{ __typename }");
        assert_eq!(parse_hex(&hex::encode(h)), Some(h));
        assert_eq!(parse_hex("zz"), None);
        assert_eq!(parse_hex("abcd"), None);
    }
}
