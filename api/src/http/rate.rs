//! Per-client rate limiting on `/graphql`: a token bucket per client address.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

type Limiter = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;

pub struct ClientRateLimit {
    limiter: Limiter,
    clock: DefaultClock,
    last_sweep: std::sync::Mutex<Instant>,
}

/// Buckets that are full again are dropped this often, so the map holds only the
/// clients seen recently.
const SWEEP_EVERY: Duration = Duration::from_secs(10);

impl ClientRateLimit {
    /// `None` when the limit is off (`per_sec` 0).
    pub fn new(per_sec: u32, burst: u32) -> Option<ClientRateLimit> {
        let per_sec = NonZeroU32::new(per_sec)?;
        let burst = NonZeroU32::new(burst).unwrap_or(per_sec);
        let clock = DefaultClock::default();
        Some(ClientRateLimit {
            limiter: RateLimiter::new(
                Quota::per_second(per_sec).allow_burst(burst),
                DefaultKeyedStateStore::default(),
                clock.clone(),
            ),
            clock,
            last_sweep: std::sync::Mutex::new(Instant::now()),
        })
    }

    /// `Err(wait)` when the client must wait before its next request.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.sweep();
        self.limiter
            .check_key(&bucket_key(client))
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    fn sweep(&self) {
        let Ok(mut last) = self.last_sweep.try_lock() else {
            return;
        };
        if last.elapsed() >= SWEEP_EVERY {
            *last = Instant::now();
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
    }
}

/// IPv6 clients are limited per /64: one subscriber usually holds a whole /64, and
/// keying by full address would let it mint a fresh bucket per request.
fn bucket_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::V6(s.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_a_wait() {
        let limit = ClientRateLimit::new(1, 3).unwrap();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(limit.check(a).is_ok());
        }
        let wait = limit.check(a).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1));
        assert!(limit.check(b).is_ok(), "another client has its own bucket");
        assert!(ClientRateLimit::new(0, 10).is_none());
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let x: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let y: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(bucket_key(x), bucket_key(y));
        let m: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(bucket_key(m), "10.1.2.3".parse::<IpAddr>().unwrap());
    }
}
