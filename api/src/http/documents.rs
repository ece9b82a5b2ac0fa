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

/// Validation outcomes kept by document, operation and variables: validating is
/// the same work every time a document comes with the same variables (the rules and
/// the cost counting read variable values), and a client sends the same few.
/// Bounded by entry count (each is a few dozen bytes); only successes are kept.
pub struct Validations {
    inner: Mutex<lru::LruCache<Hash, async_graphql::ValidationResult>>,
}

/// The key of one request's validation, attached to the request as data.
#[derive(Debug, Clone, Copy)]
pub struct ValidationKey(pub Hash);

impl ValidationKey {
    /// The document's hash, the operation's name and the variables (as JSON).
    pub fn of(document: &Hash, request: &async_graphql::Request) -> Option<ValidationKey> {
        let variables = serde_json::to_vec(&request.variables).ok()?;
        let mut h = Sha256::new();
        h.update(document);
        // Lengths keep "a" + "bc" apart from "ab" + "c".
        let name = request.operation_name.as_deref().unwrap_or("");
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update(&variables);
        Some(ValidationKey(h.finalize().into()))
    }
}

impl Validations {
    pub fn new(entries: usize) -> Validations {
        let cap =
            std::num::NonZeroUsize::new(entries.max(1)).unwrap_or(std::num::NonZeroUsize::MIN);
        Validations {
            inner: Mutex::new(lru::LruCache::new(cap)),
        }
    }

    fn get(&self, key: &Hash) -> Option<async_graphql::ValidationResult> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.get(key).copied()
    }

    /// True when this key passed every rule before.
    pub fn passed(&self, key: &Hash) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.get(key).is_some()
    }

    fn put(&self, key: Hash, result: async_graphql::ValidationResult) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.put(key, result);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// The schema extension that answers validation from [`Validations`] when the
/// request carries a [`ValidationKey`] that was validated before.
pub struct KeptValidations(pub Arc<Validations>);

impl async_graphql::extensions::ExtensionFactory for KeptValidations {
    fn create(&self) -> Arc<dyn async_graphql::extensions::Extension> {
        Arc::new(KeptValidationsExtension(self.0.clone()))
    }
}

struct KeptValidationsExtension(Arc<Validations>);

#[async_graphql::async_trait::async_trait]
impl async_graphql::extensions::Extension for KeptValidationsExtension {
    async fn validation(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        next: async_graphql::extensions::NextValidation<'_>,
    ) -> Result<async_graphql::ValidationResult, Vec<async_graphql::ServerError>> {
        let Some(ValidationKey(key)) = ctx.data_opt::<ValidationKey>().copied() else {
            return next.run(ctx).await;
        };
        if let Some(kept) = self.0.get(&key) {
            return Ok(kept);
        }
        let result = next.run(ctx).await?;
        self.0.put(key, result);
        Ok(result)
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

    struct Query;

    #[async_graphql::Object]
    impl Query {
        async fn twice(&self, n: i32) -> i32 {
            n * 2
        }
    }

    /// Validation is kept per document, operation and variables, and only when it
    /// passed: a wrong variable is refused every time.
    #[tokio::test]
    async fn validations_are_kept_by_document_and_variables() {
        let kept = Arc::new(Validations::new(8));
        let schema = async_graphql::Schema::build(
            Query,
            async_graphql::EmptyMutation,
            async_graphql::EmptySubscription,
        )
        .extension(KeptValidations(kept.clone()))
        .finish();
        let q = "query($n: Int!) { twice(n: $n) }";
        let run = |vars: serde_json::Value| {
            let schema = schema.clone();
            async move {
                let mut r = async_graphql::Request::new(q)
                    .variables(async_graphql::Variables::from_json(vars));
                if let Some(k) = ValidationKey::of(&hash(q), &r) {
                    r = r.data(k);
                }
                schema.execute(r).await
            }
        };
        for _ in 0..2 {
            let r = run(serde_json::json!({ "n": 2 })).await;
            assert!(r.errors.is_empty(), "{:?}", r.errors);
            assert_eq!(
                r.data.into_json().unwrap(),
                serde_json::json!({ "twice": 4 })
            );
        }
        assert_eq!(kept.len(), 1);
        run(serde_json::json!({ "n": 3 })).await;
        assert_eq!(kept.len(), 2, "other variables are another entry");
        for _ in 0..2 {
            let r = run(serde_json::json!({ "n": "three" })).await;
            assert!(
                !r.errors.is_empty(),
                "a wrong variable is refused each time"
            );
        }
        assert_eq!(kept.len(), 2);
    }

    #[test]
    fn hashes_are_hex_sha256() {
        let h = hash("{ __typename }");
        assert_eq!(parse_hex(&hex::encode(h)), Some(h));
        assert_eq!(parse_hex("zz"), None);
        assert_eq!(parse_hex("abcd"), None);
    }
}
