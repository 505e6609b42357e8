//! Rate limits for the endpoints anyone may call to log in
//! (`POST /auth/challenge`, `POST /auth/token`): a token bucket per login
//! and one per client address, for each endpoint, in memory on each node.
//!
//! A login may take [`PER_LOGIN`] requests a minute at each endpoint, an
//! address [`PER_ADDRESS`] (IPv6 addresses count by their /64 prefix);
//! past that the answer is 429 with `Retry-After`. The address is the TCP
//! peer's: behind a reverse proxy every client shares the proxy's address,
//! and the per-login limit is what still holds.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use super::error::ApiError;

/// Requests per minute per login, at each endpoint.
pub const PER_LOGIN: u32 = 10;
/// Requests per minute per client address, at each endpoint.
pub const PER_ADDRESS: u32 = 60;
/// Keys kept per table before the full (idle) buckets are forgotten.
const MAX_KEYS: usize = 100_000;

/// The limits of one node.
pub struct RateLimits {
    per_login: Buckets,
    per_address: Buckets,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            per_login: Buckets::per_minute(PER_LOGIN),
            per_address: Buckets::per_minute(PER_ADDRESS),
        }
    }
}

impl RateLimits {
    /// Takes one request of `endpoint` by `login` from `addr`, or answers
    /// 429 with how long to wait.
    pub fn check(
        &self,
        endpoint: &'static str,
        login: Option<&str>,
        addr: Option<IpAddr>,
    ) -> Result<(), ApiError> {
        let now = Instant::now();
        if let Some(addr) = addr {
            self.per_address
                .take(&format!("{endpoint} {}", address_key(addr)), now)
                .map_err(|retry_after| ApiError::TooManyRequests {
                    message: format!(
                        "too many {endpoint} requests from this address (at most {PER_ADDRESS} a minute)"
                    ),
                    retry_after,
                })?;
        }
        if let Some(login) = login {
            self.per_login
                .take(&format!("{endpoint} {login}"), now)
                .map_err(|retry_after| ApiError::TooManyRequests {
                    message: format!(
                        "too many {endpoint} requests for this login (at most {PER_LOGIN} a minute)"
                    ),
                    retry_after,
                })?;
        }
        Ok(())
    }
}

/// The address as limited: IPv4 whole, IPv6 by its /64 (one site).
fn address_key(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

struct Buckets {
    capacity: f64,
    per_second: f64,
    table: Mutex<HashMap<String, Bucket>>,
}

impl Buckets {
    fn per_minute(n: u32) -> Buckets {
        Buckets {
            capacity: f64::from(n),
            per_second: f64::from(n) / 60.0,
            table: Mutex::new(HashMap::new()),
        }
    }

    fn refilled(&self, b: &Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        (b.tokens + elapsed * self.per_second).min(self.capacity)
    }

    /// Takes a token for `key`, or says in how many seconds one is due.
    fn take(&self, key: &str, now: Instant) -> Result<(), u64> {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if table.len() >= MAX_KEYS && !table.contains_key(key) {
            // Forget the buckets that are full again: they limit nothing.
            table.retain(|_, b| self.refilled(b, now) < self.capacity);
            if table.len() >= MAX_KEYS {
                tracing::warn!(keys = table.len(), "rate limit table full; forgetting it");
                table.clear();
            }
        }
        let bucket = table.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.capacity,
            at: now,
        });
        let tokens = self.refilled(bucket, now);
        bucket.at = now;
        if tokens >= 1.0 {
            bucket.tokens = tokens - 1.0;
            Ok(())
        } else {
            bucket.tokens = tokens;
            // Whole seconds, rounded up, until one token is back.
            Err((((1.0 - tokens) / self.per_second).ceil() as u64).max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_bucket_empties_then_refills_at_its_rate() {
        let b = Buckets::per_minute(10);
        let t = Instant::now();
        for _ in 0..10 {
            assert_eq!(b.take("k", t), Ok(()));
        }
        assert_eq!(b.take("k", t), Err(6));
        assert_eq!(b.take("other", t), Ok(()));
        assert_eq!(b.take("k", t + Duration::from_secs(6)), Ok(()));
        assert_eq!(b.take("k", t + Duration::from_secs(6)), Err(6));
        assert_eq!(b.take("k", t + Duration::from_secs(3600)), Ok(()));
    }

    #[test]
    fn ipv6_counts_by_its_64_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(address_key(mapped), "192.0.2.7");
    }
}
