//! Rate limiting of failed authentications per client address, so a client cannot try app
//! secrets at network speed.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

/// Failed authentications that one address may make within [`FAILURE_WINDOW`].
pub const MAX_FAILURES: u32 = 10;

/// The window in which failures are counted. It starts at an address's first failure.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// How long an address that reached [`MAX_FAILURES`] is blocked, whatever it sends.
pub const BLOCK_DURATION: Duration = Duration::from_secs(60);

/// Addresses tracked at most, so a flood from many addresses cannot exhaust memory.
const MAX_TRACKED: usize = 10_000;

/// The failures of one address.
#[derive(Clone, Copy, Debug)]
struct Record {
    window_start: Instant,
    failures: u32,
    blocked_until: Option<Instant>,
}

/// Counts failed authentications per address and blocks an address that fails too often.
#[derive(Debug, Default)]
pub struct FailureLimiter {
    records: HashMap<IpAddr, Record>,
}

/// The result of recording a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The address may try again.
    Counted,
    /// This failure reached the limit, so the address is now blocked for [`BLOCK_DURATION`].
    Blocked,
}

impl FailureLimiter {
    /// Returns how long `address` stays blocked, or `None` when it may send requests.
    pub fn blocked_for(&self, address: IpAddr, now: Instant) -> Option<Duration> {
        let until = self.records.get(&key(address))?.blocked_until?;
        until
            .checked_duration_since(now)
            .filter(|left| !left.is_zero())
    }

    /// Records a failed authentication from `address`.
    pub fn record_failure(&mut self, address: IpAddr, now: Instant) -> Recorded {
        let key = key(address);
        if !self.records.contains_key(&key) && self.records.len() >= MAX_TRACKED {
            self.make_room(now);
        }
        let record = self.records.entry(key).or_insert(Record {
            window_start: now,
            failures: 0,
            blocked_until: None,
        });

        if now.duration_since(record.window_start) > FAILURE_WINDOW {
            record.window_start = now;
            record.failures = 0;
        }
        record.failures += 1;
        if record.failures < MAX_FAILURES {
            return Recorded::Counted;
        }
        record.blocked_until = Some(now + BLOCK_DURATION);
        record.window_start = now;
        record.failures = 0;
        Recorded::Blocked
    }

    /// Forgets the addresses whose window and block are over, and when that frees nothing, the
    /// address with the oldest window.
    fn make_room(&mut self, now: Instant) {
        self.records.retain(|_, record| {
            let counting = now.duration_since(record.window_start) <= FAILURE_WINDOW;
            let blocked = record.blocked_until.is_some_and(|until| until > now);
            counting || blocked
        });
        if self.records.len() < MAX_TRACKED {
            return;
        }
        let oldest = self
            .records
            .iter()
            .min_by_key(|(_, record)| record.window_start)
            .map(|(address, _)| *address);
        if let Some(address) = oldest {
            self.records.remove(&address);
        }
    }
}

/// Returns the key an address is counted under: an IPv4 address, or the /64 network of an IPv6
/// address, because one IPv6 host usually has a whole /64 to pick addresses from.
fn key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(network))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

    fn fail(limiter: &mut FailureLimiter, times: u32, now: Instant) -> Recorded {
        let mut last = Recorded::Counted;
        for _ in 0..times {
            last = limiter.record_failure(HOME, now);
        }
        last
    }

    #[test]
    fn blocks_at_the_limit() {
        let mut limiter = FailureLimiter::default();
        let now = Instant::now();
        assert_eq!(fail(&mut limiter, MAX_FAILURES - 1, now), Recorded::Counted);
        assert_eq!(limiter.blocked_for(HOME, now), None);

        assert_eq!(limiter.record_failure(HOME, now), Recorded::Blocked);
        assert_eq!(limiter.blocked_for(HOME, now), Some(BLOCK_DURATION));
        assert_eq!(limiter.blocked_for(OTHER, now), None);
    }

    #[test]
    fn block_ends_after_its_duration() {
        let mut limiter = FailureLimiter::default();
        let now = Instant::now();
        fail(&mut limiter, MAX_FAILURES, now);
        let later = now + BLOCK_DURATION - Duration::from_secs(1);
        assert_eq!(
            limiter.blocked_for(HOME, later),
            Some(Duration::from_secs(1))
        );
        assert_eq!(limiter.blocked_for(HOME, now + BLOCK_DURATION), None);
    }

    #[test]
    fn failures_outside_window_start_over() {
        let mut limiter = FailureLimiter::default();
        let now = Instant::now();
        fail(&mut limiter, MAX_FAILURES - 1, now);
        let later = now + FAILURE_WINDOW + Duration::from_secs(1);
        assert_eq!(
            fail(&mut limiter, MAX_FAILURES - 1, later),
            Recorded::Counted
        );
        assert_eq!(limiter.blocked_for(HOME, later), None);
    }

    #[test]
    fn ipv6_counts_per_network() {
        let first: IpAddr = "2001:db8::1".parse().unwrap();
        let second: IpAddr = "2001:db8::ffff:2".parse().unwrap();
        let elsewhere: IpAddr = "2001:db8:0:1::1".parse().unwrap();
        assert_eq!(key(first), key(second));
        assert_ne!(key(first), key(elsewhere));

        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(key(mapped), HOME);
    }

    #[test]
    fn tracked_addresses_are_bounded() {
        let mut limiter = FailureLimiter::default();
        let now = Instant::now();
        for n in 0..(MAX_TRACKED as u32 + 50) {
            let address = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n));
            limiter.record_failure(address, now);
        }
        assert!(limiter.records.len() <= MAX_TRACKED);
    }
}
