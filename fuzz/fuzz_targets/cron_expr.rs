//! `CronExpr::parse` on any string never panics, and an accepted expression's normalized form
//! (`as_str()`) parses again to the same expression (so what `install` writes, `status` reads).
#![no_main]

use crontainer::schedule::CronExpr;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(expr) = CronExpr::parse(text) {
        let normal = expr.as_str();
        let again = CronExpr::parse(normal)
            .unwrap_or_else(|e| panic!("{text:?} normalizes to {normal:?}, which fails: {e}"));
        assert_eq!(again.as_str(), normal, "{text:?}");
        assert_eq!(again, expr, "{text:?}");
        let _ = expr.warnings();
        let _ = expr.to_string();
    }
});
