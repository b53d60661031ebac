//! The block editor (`crontainer::block`) on any text: `find`, `names`, `upsert` and `remove`
//! never panic, and on a text they accept, the documented round trip holds: upserting a block
//! and removing it again gives the text back byte for byte (with a final "\n" added to a
//! non-empty text that lacked one), every other block keeps its body, and `find` returns the
//! body just written.
#![no_main]

use crontainer::block;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    // The first line picks the block name and body; the rest is the crontab text.
    let (head, text) = input.split_once('\n').unwrap_or((input, ""));
    let name = match head.bytes().next().map(|b| b % 4) {
        Some(0) => "crontainer",
        Some(1) => "a",
        Some(2) => "jobs-2_x",
        _ => "b",
    };
    let body: Vec<String> = head
        .split('|')
        .skip(1)
        // `upsert`'s documented precondition: no body line is or looks like a marker.
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            !l.contains("begin") && !l.contains("end")
        })
        .map(|l| format!("# {l}"))
        .collect();
    // Arbitrary names: an error, never a panic.
    let _ = block::find(text, head);
    let _ = block::remove(text, head);
    let _ = block::upsert(text, head, &[]);

    let names = block::names(text);
    let found = block::find(text, name);
    let removed = block::remove(text, name);
    let upserted = block::upsert(text, name, &body);
    // All validate the whole text first: they agree on whether it is acceptable.
    assert_eq!(names.is_ok(), found.is_ok());
    assert_eq!(names.is_ok(), removed.is_ok());
    assert_eq!(names.is_ok(), upserted.is_ok());
    let (Ok(names), Ok(found), Ok(removed), Ok(upserted)) = (names, found, removed, upserted)
    else {
        return;
    };
    assert_eq!(found.is_some(), names.iter().any(|n| n == name));
    assert_eq!(found.is_some(), removed.is_some());

    // The block just written reads back, and everything else is kept.
    assert_eq!(block::find(&upserted, name).unwrap(), Some(body.clone()));
    let new_names = block::names(&upserted).unwrap();
    for other in names.iter().filter(|n| *n != name) {
        assert!(new_names.contains(other));
        assert_eq!(
            block::find(&upserted, other).unwrap(),
            block::find(text, other).unwrap()
        );
    }
    // Upserting the same body again changes nothing (idempotence).
    assert_eq!(block::upsert(&upserted, name, &body).unwrap(), upserted);

    match removed {
        None => {
            // Round trip: the block appended and removed again gives the text back.
            let back = block::remove(&upserted, name).unwrap().unwrap();
            let mut expected = text.to_string();
            if !expected.is_empty() && !expected.ends_with('\n') {
                expected.push('\n');
            }
            assert_eq!(back, expected);
        }
        Some(removed) => {
            assert!(!block::names(&removed).unwrap().iter().any(|n| n == name));
            // Removing from the upserted text gives the same as removing from the original.
            assert_eq!(block::remove(&upserted, name).unwrap().unwrap(), removed);
        }
    }
});
