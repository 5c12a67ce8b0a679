//! Test switches for the SDK's delivery tests: injected faults and delays on
//! `POST /v1/identify`, and counters of what happened to identify requests. They are off unless
//! the server starts with `--test-switches` (or `HEROGI_TEST_SWITCHES=1`), and then these
//! endpoints need the app's Basic credentials like the API:
//!
//! - `POST /admin/faults` with `{"status": 503, "count": 2, "retryAfter": "2", "delayMs": 0}`:
//!   the next `count` identify requests are delayed by `delayMs`, then get the response
//!   `status` with the body `{"code": status, "message": "injected fault"}` (plus `Retry-After` with the
//!   `retryAfter` text when given) without being applied. With `status` 200 or left out, they
//!   are only delayed and then handled normally. Each call replaces the previous setting, and
//!   `count` 0 clears it.
//! - `GET /admin/stats` returns `{"received", "applied", "repeated", "faulted"}`: identify
//!   requests that passed auth, those applied to the database, those answered from an earlier
//!   call with the same request id, and those answered by an injected fault.
//! - `POST /admin/stats/reset` sets the counters to zero.
//!
//! Without the switches, the `/admin/` paths return 404.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use serde::Serialize;

/// The faults and delays to inject, as the last `POST /admin/faults` set them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// The status to respond with, or `None` to handle the requests normally after the delay.
    pub status: Option<StatusCode>,
    /// How many identify requests the plan still applies to.
    pub remaining: u32,
    /// The `Retry-After` value sent with the fault.
    pub retry_after: Option<HeaderValue>,
    /// How long each of those requests waits before it gets the fault or is handled.
    pub delay: Duration,
}

/// The delay and fault to inject into one identify request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Injection {
    /// How long to wait first.
    pub delay: Duration,
    /// The fault to answer with after the delay, as a status and a `Retry-After` value.
    pub fault: Option<(StatusCode, Option<HeaderValue>)>,
}

/// Counters of identify requests, as `GET /admin/stats` returns them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Identify requests that passed auth.
    pub received: u64,
    /// Identify requests applied to the database.
    pub applied: u64,
    /// Identify requests whose request id an earlier applied call carried, so they changed
    /// nothing.
    pub repeated: u64,
    /// Identify requests answered by an injected fault.
    pub faulted: u64,
}

/// The test switches' state, shared by the identify handler and the admin endpoints.
#[derive(Debug, Default)]
pub struct TestSwitches {
    plan: Mutex<FaultPlan>,
    received: AtomicU64,
    applied: AtomicU64,
    repeated: AtomicU64,
    faulted: AtomicU64,
}

/// A counter of [`Stats`].
#[derive(Clone, Copy, Debug)]
pub enum Counter {
    Received,
    Applied,
    Repeated,
    Faulted,
}

impl TestSwitches {
    /// Replaces the fault plan.
    pub fn set_plan(&self, plan: FaultPlan) {
        *self.plan.lock().unwrap_or_else(PoisonError::into_inner) = plan;
    }

    /// Takes what to inject into the next identify request, counting it against the plan, or
    /// returns `None` when the plan is used up.
    pub fn next_injection(&self) -> Option<Injection> {
        let mut plan = self.plan.lock().unwrap_or_else(PoisonError::into_inner);
        if plan.remaining == 0 {
            return None;
        }
        plan.remaining -= 1;
        Some(Injection {
            delay: plan.delay,
            fault: plan.status.map(|status| (status, plan.retry_after.clone())),
        })
    }

    /// Adds one to a counter.
    pub fn count(&self, counter: Counter) {
        self.counter(counter).fetch_add(1, Ordering::Relaxed);
    }

    /// Returns the counters.
    pub fn stats(&self) -> Stats {
        let read = |counter| self.counter(counter).load(Ordering::Relaxed);
        Stats {
            received: read(Counter::Received),
            applied: read(Counter::Applied),
            repeated: read(Counter::Repeated),
            faulted: read(Counter::Faulted),
        }
    }

    /// Sets every counter to zero.
    pub fn reset_stats(&self) {
        for counter in [
            Counter::Received,
            Counter::Applied,
            Counter::Repeated,
            Counter::Faulted,
        ] {
            self.counter(counter).store(0, Ordering::Relaxed);
        }
    }

    fn counter(&self, counter: Counter) -> &AtomicU64 {
        match counter {
            Counter::Received => &self.received,
            Counter::Applied => &self.applied,
            Counter::Repeated => &self.repeated,
            Counter::Faulted => &self.faulted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_runs_out_after_count() {
        let switches = TestSwitches::default();
        switches.set_plan(FaultPlan {
            status: Some(StatusCode::SERVICE_UNAVAILABLE),
            remaining: 2,
            retry_after: Some(HeaderValue::from_static("2")),
            delay: Duration::ZERO,
        });
        for _ in 0..2 {
            let injection = switches.next_injection().unwrap();
            let (status, retry_after) = injection.fault.unwrap();
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(retry_after, Some(HeaderValue::from_static("2")));
        }
        assert_eq!(switches.next_injection(), None);
    }

    #[test]
    fn delay_only_plan_has_no_fault() {
        let switches = TestSwitches::default();
        switches.set_plan(FaultPlan {
            remaining: 1,
            delay: Duration::from_millis(50),
            ..FaultPlan::default()
        });
        let injection = switches.next_injection().unwrap();
        assert_eq!(injection.delay, Duration::from_millis(50));
        assert_eq!(injection.fault, None);
    }

    #[test]
    fn stats_count_and_reset() {
        let switches = TestSwitches::default();
        switches.count(Counter::Received);
        switches.count(Counter::Received);
        switches.count(Counter::Applied);
        switches.count(Counter::Faulted);
        let expected = Stats {
            received: 2,
            applied: 1,
            repeated: 0,
            faulted: 1,
        };
        assert_eq!(switches.stats(), expected);
        switches.reset_stats();
        assert_eq!(switches.stats(), Stats::default());
    }
}
