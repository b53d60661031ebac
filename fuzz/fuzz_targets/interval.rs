//! `Interval::parse` on any string never panics, and an accepted interval prints (`Display`, as
//! the marker's `every=` carries it) to a text that parses back to the same interval; rendering
//! it into a schedule never panics either.
#![no_main]

use crontainer::schedule::Interval;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(interval) = Interval::parse(text) {
        let shown = interval.to_string();
        let again = Interval::parse(&shown)
            .unwrap_or_else(|e| panic!("{text:?} shows as {shown:?}, which fails: {e}"));
        assert_eq!(again, interval, "{text:?} -> {shown:?}");
        assert_eq!(again.minutes(), interval.minutes());
        let rendered = interval.render();
        let _ = rendered.cron.as_str();
    }
});
