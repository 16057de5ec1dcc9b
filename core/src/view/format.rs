//! Human-readable durations and timestamps, from `u64` nanoseconds, and counts of things.

/// A count with its noun: "1 test", "3 tests" (nouns that take an "s").
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// A duration as people read it: `850ns`, `12.4µs`, `3.2ms`, `1.25s`, `2m 5s`, `1h 2m`.
pub fn format_duration(ns: u64) -> String {
    const US: u64 = 1_000;
    const MS: u64 = 1_000_000;
    const S: u64 = 1_000_000_000;
    let f = ns as f64;
    if ns < US {
        format!("{ns}ns")
    } else if ns < MS {
        trim(format!("{:.2}", f / 1e3)) + "µs"
    } else if ns < S {
        trim(format!("{:.2}", f / 1e6)) + "ms"
    } else if ns < 60 * S {
        trim(format!("{:.2}", f / 1e9)) + "s"
    } else if ns < 3600 * S {
        let secs = ns / S;
        format!("{}m {}s", secs / 60, secs % 60)
    } else {
        let mins = ns / (60 * S);
        format!("{}h {}m", mins / 60, mins % 60)
    }
}

/// Drops trailing zeros of a fixed-point number: "12.50" -> "12.5", "3.00" -> "3".
fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// An absolute time as `2026-11-22 01:47:40.398 UTC` (millisecond precision).
pub fn format_timestamp_utc(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let millis = (ns / 1_000_000) % 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{millis:03} UTC",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(format_duration(0), "0ns");
        assert_eq!(format_duration(999), "999ns");
        assert_eq!(format_duration(12_400), "12.4µs");
        assert_eq!(format_duration(3_000_000), "3ms");
        assert_eq!(format_duration(1_250_000_000), "1.25s");
        assert_eq!(format_duration(125_000_000_000), "2m 5s");
        assert_eq!(format_duration(3_720_000_000_000), "1h 2m");
    }

    #[test]
    fn timestamps() {
        assert_eq!(format_timestamp_utc(0), "1970-01-01 00:00:00.000 UTC");
        assert_eq!(
            format_timestamp_utc(1_485_449_191_639_875_000),
            "2017-01-26 16:46:31.639 UTC"
        );
    }
}
