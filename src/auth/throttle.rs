//! Failed staff authentications, throttled per client (SPEC §4): past 20 in a minute from one
//! client (an IPv4 address or IPv6 /64), every staff request from it is answered 429 with
//! `Retry-After` until the minute is over — before its key is even looked at, so guessing keys
//! costs an attacker a minute per 20 guesses and the database nothing.
//!
//! Per instance, like the intake's rate limit. Fixed one-minute windows counted in a map:
//! `governor` (the intake's limiter) cannot tell whether a key's bucket is empty without taking
//! a token from it, and a successful request must not count.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per client and minute.
pub const MAX_FAILURES_PER_MINUTE: u32 = 20;
const WINDOW: Duration = Duration::from_secs(60);
/// Past this many clients, windows that have ended are dropped before one is added.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug, Default)]
pub struct AuthThrottle {
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl AuthThrottle {
    /// `Err(seconds to wait)` when `client` has used up its failures for this minute.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        match windows.get(&client) {
            Some(&(start, failures))
                if failures >= MAX_FAILURES_PER_MINUTE && start.elapsed() < WINDOW =>
            {
                Err((WINDOW - start.elapsed()).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    /// Counts one failed authentication of `client`.
    pub fn failed(&self, client: IpAddr) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, (start, _)| start.elapsed() < WINDOW);
        }
        let now = Instant::now();
        let entry = windows.entry(client).or_insert((now, 0));
        if entry.0.elapsed() >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_failures_a_minute_then_refused() {
        let throttle = AuthThrottle::default();
        let client: IpAddr = "203.0.113.7".parse().expect("address");
        let other: IpAddr = "203.0.113.8".parse().expect("address");
        for _ in 0..MAX_FAILURES_PER_MINUTE {
            assert_eq!(throttle.check(client), Ok(()));
            throttle.failed(client);
        }
        let wait = throttle.check(client).expect_err("the 21st is refused");
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(throttle.check(other), Ok(()), "another client is not");
    }
}
