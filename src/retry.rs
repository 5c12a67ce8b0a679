//! When to send a call again after a failure that may pass: exponential backoff with jitter and
//! a cap, or the server's `Retry-After`.

/// Delay before the first retry, in milliseconds.
pub const BASE_DELAY_MS: f64 = 1_000.0;

/// Maximum backoff delay, in milliseconds.
pub const MAX_DELAY_MS: f64 = 60_000.0;

/// Longest `Retry-After` the SDK honours, in milliseconds; a longer one is cut to this.
pub const MAX_RETRY_AFTER_MS: f64 = 3_600_000.0;

/// Returns the delay before retry number `attempt` (0 for the first retry). The base doubles per
/// attempt up to [`MAX_DELAY_MS`]. A jitter factor between 0.5 and 1.0, drawn from `random`
/// (uniform in `[0, 1)`), scales it so that many visitors do not retry in step.
pub fn backoff_ms(attempt: u32, random: f64) -> f64 {
    let exponential = BASE_DELAY_MS * f64::from(1u32 << attempt.min(16));
    exponential.min(MAX_DELAY_MS) * (0.5 + random.clamp(0.0, 1.0) / 2.0)
}

/// Reads a `Retry-After` header: delay seconds (`"2"`) or an HTTP date, which `parse_date` turns
/// into milliseconds since the epoch. Returns the delay in milliseconds from `now_ms`, at least
/// [`BASE_DELAY_MS`] so that `0` or a past date cannot make the SDK retry in a tight loop, and at
/// most [`MAX_RETRY_AFTER_MS`]; `None` when the header is neither.
pub fn retry_after_ms(
    header: &str,
    now_ms: f64,
    parse_date: impl FnOnce(&str) -> Option<f64>,
) -> Option<f64> {
    let header = header.trim();
    let delay = if !header.is_empty() && header.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = header
            .bytes()
            .take(7)
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
        f64::from(seconds) * 1000.0
    } else if header.bytes().any(|b| b.is_ascii_alphabetic()) {
        let date = parse_date(header).filter(|date| date.is_finite())?;
        date - now_ms
    } else {
        return None;
    };
    Some(delay.clamp(BASE_DELAY_MS, MAX_RETRY_AFTER_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        assert_eq!(backoff_ms(0, 1.0), 1_000.0);
        assert_eq!(backoff_ms(1, 1.0), 2_000.0);
        assert_eq!(backoff_ms(5, 1.0), 32_000.0);
        assert_eq!(backoff_ms(6, 1.0), 60_000.0);
        assert_eq!(backoff_ms(400, 1.0), 60_000.0);
    }

    #[test]
    fn jitter_stays_between_half_and_full() {
        assert_eq!(backoff_ms(2, 0.0), 2_000.0);
        assert_eq!(backoff_ms(2, 0.5), 3_000.0);
        assert_eq!(backoff_ms(2, 7.0), 4_000.0);
        assert_eq!(backoff_ms(2, -1.0), 2_000.0);
    }

    #[test]
    fn retry_after_seconds() {
        let never = |_: &str| None;
        assert_eq!(retry_after_ms("2", 0.0, never), Some(2_000.0));
        assert_eq!(retry_after_ms(" 0 ", 0.0, never), Some(BASE_DELAY_MS));
        assert_eq!(
            retry_after_ms("99999999", 0.0, never),
            Some(MAX_RETRY_AFTER_MS)
        );
        // A browser's date parser reads "-1" and "0.5" as years, so they must not reach it.
        let any_date = |_: &str| Some(0.0);
        assert_eq!(retry_after_ms("-1", 0.0, any_date), None);
        assert_eq!(retry_after_ms("0.5", 0.0, any_date), None);
        assert_eq!(retry_after_ms("1.5", 0.0, never), None);
        assert_eq!(retry_after_ms("", 0.0, never), None);
    }

    #[test]
    fn retry_after_http_date() {
        let date = |text: &str| (text == "Wed, 21 Oct 2015 07:28:00 GMT").then_some(10_000.0);
        assert_eq!(
            retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 4_000.0, date),
            Some(6_000.0)
        );
        assert_eq!(
            retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 20_000.0, date),
            Some(BASE_DELAY_MS)
        );
        assert_eq!(retry_after_ms("tomorrow", 0.0, date), None);
        assert_eq!(retry_after_ms("x", 0.0, |_| Some(f64::NAN)), None);
    }
}
