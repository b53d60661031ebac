//! `run_log::parse_line` on any bytes never panics, and a record it accepts prints (`Display`,
//! exactly the line the shell writes) to a line that parses back to the same record.
#![no_main]

use crontainer::run_log;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(record) = run_log::parse_line(data) {
        let line = record.to_string();
        let again = run_log::parse_line(line.as_bytes())
            .unwrap_or_else(|| panic!("{:?} prints as {line:?}, which does not parse", String::from_utf8_lossy(data)));
        assert_eq!(again, record, "{line:?}");
    }
});
