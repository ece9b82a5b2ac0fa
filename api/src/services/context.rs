//! One request as the services see it: the store, the caller and the clock. Every
//! service takes a [`Ctx`]; its scoped reads (`find`, `get`, `get_many`, in
//! `scoped`) are the only way to reach rows besides the explicit `unscoped`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::DatabaseConnection;

use super::access::Access;
use super::Store;

/// Where services read the time: the system clock, or one that tests move forward,
/// so that rules depending on time (recruiting windows, check-in windows, review,
/// the star notice period) are tested by moving time rather than editing rows.
/// Sessions and access tokens keep the system clock: tokens are checked against it
/// by the JWT library, and a session must expire with its token.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Microseconds ahead of the system clock; `None` for the system clock itself.
    ahead: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that starts at the system time and can be moved forward.
    pub fn adjustable() -> Clock {
        Clock {
            ahead: Some(Arc::new(AtomicI64::new(0))),
        }
    }

    /// Moves an adjustable clock forward (or back, for a negative `by`); the
    /// system clock cannot be moved, so this does nothing to it.
    pub fn advance(&self, by: chrono::Duration) {
        if let Some(ahead) = &self.ahead {
            let micros = by.num_microseconds().unwrap_or(i64::MAX);
            ahead.fetch_add(micros, Ordering::Relaxed);
        }
    }

    /// The time now, as stored: UTC, to the microsecond (PostgreSQL's precision,
    /// so values read back compare equal).
    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now().trunc_subsecs(6);
        match &self.ahead {
            None => now,
            Some(ahead) => now + chrono::Duration::microseconds(ahead.load(Ordering::Relaxed)),
        }
    }
}

/// One request's store, caller and clock, cheap to clone (shared handles).
#[derive(Clone)]
pub struct Ctx {
    store: Store,
    access: Access,
    clock: Clock,
}

impl Ctx {
    /// The context for `access`'s requests, on the store's clock.
    pub fn new(store: Store, access: Access) -> Ctx {
        let clock = store.clock.clone();
        Ctx {
            store,
            access,
            clock,
        }
    }

    pub fn access(&self) -> &Access {
        &self.access
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The connection, for writes and for reads `scoped` already restricted.
    pub(super) fn db(&self) -> &DatabaseConnection {
        &self.store.db
    }

    /// The pool for a statement whose best plan is the same whatever its values
    /// (see `Store::steady`); the main pool where there is no such pool.
    pub(super) fn steady_db(&self) -> &DatabaseConnection {
        self.store.steady.as_ref().unwrap_or(&self.store.db)
    }
}

#[cfg(test)]
mod tests {
    use super::Clock;

    #[test]
    fn an_adjustable_clock_moves_and_the_system_clock_does_not() {
        let system = Clock::system();
        system.advance(chrono::Duration::days(3));
        assert!((system.now() - chrono::Utc::now()).num_seconds().abs() < 5);

        let clock = Clock::adjustable();
        let shared = clock.clone();
        shared.advance(chrono::Duration::days(3));
        let ahead = clock.now() - chrono::Utc::now();
        assert!(ahead > chrono::Duration::days(3) - chrono::Duration::seconds(5));
        assert!(ahead < chrono::Duration::days(3) + chrono::Duration::seconds(5));
    }
}
