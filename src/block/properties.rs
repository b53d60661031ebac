//! Properties over thousands of random, realistic crontabs.

use super::*;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

/// The block the properties install; generated texts never hold it (nor `SECOND`).
const NAME: &str = "main";
const SECOND: &str = "second";

/// A strategy for strings matching `pattern`, parsed once (a `&str` strategy parses its
/// regex again for every value).
fn re(pattern: &str) -> proptest::string::RegexGeneratorStrategy<String> {
    proptest::string::string_regex(pattern).unwrap()
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A tiny xorshift64 generator. Lines are built from one proptest-chosen seed because
/// proptest's per-character regex generation would dominate the run time in debug builds.
struct Xorshift(u64);

impl Xorshift {
    fn new(seed: u64) -> Self {
        Xorshift(seed | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn text(&mut self, len: usize, chars: &[char]) -> String {
        (0..len).map(|_| self.pick(chars)).collect()
    }
}

/// Characters of commands and comments: those cron and shells care about, and non-ASCII.
const TEXT: &[char] = &[
    'a', 'e', 'p', 'y', 't', 'h', 'o', 'n', 'B', 'E', 'G', 'I', 'N', '/', '-', '_', '.', ':', ' ',
    ' ', '>', '&', '|', ';', '$', '(', ')', '`', '\'', '"', '\\', '%', '#', '*', '=', '0', '9',
    'é', '✓', '日', '\t',
];

/// The command of a cron line: mostly short, sometimes near Debian's 998-byte limit.
fn command() -> impl Strategy<Value = String> {
    let len = prop_oneof![8 => 1..80usize, 1 => 600..900usize];
    (len, any::<u64>()).prop_map(|(len, seed)| Xorshift::new(seed).text(len, TEXT))
}

/// One line a user or another tool may have written, without its "\n".
fn user_line() -> impl Strategy<Value = String> {
    const ENV: &[&str] = &[
        "SHELL=/bin/bash",
        "MAILTO=ops@example.com",
        "MAILTO=\"\"",
        "PATH=/usr/local/bin:/usr/bin:/bin",
        "CRON_TZ=Europe/Berlin",
    ];
    const MINUTES: &[&str] = &["*", "0", "15", "59", "*/5", "1-5,7", "0-30/10"];
    const HOURS: &[&str] = &["*", "3", "*/5", "0,12", "9-17"];
    const DAYS: &[&str] = &["*", "1", "15", "L"];
    const MONTHS: &[&str] = &["*", "jan", "1-6"];
    const WEEKDAYS: &[&str] = &["*", "0", "7", "mon-fri", "sun"];
    const NICKNAMES: &[&str] = &["reboot", "daily", "hourly", "weekly", "yearly"];
    const WORD: &[char] = &['a', 'b', 'x', 'y', '_', '-', '/', ' ', '0'];
    (0..18usize, any::<u64>(), command())
        .prop_map(|(kind, seed, command)| {
            let mut rng = Xorshift::new(seed);
            let line = match kind {
                0 | 1 => String::new(),
                2..=4 => {
                    let len = rng.below(61);
                    format!("#{}", rng.text(len, TEXT))
                }
                5 | 6 => rng.pick(ENV).to_owned(),
                7..=12 => format!(
                    "{} {} {} {} {} {command}",
                    rng.pick(MINUTES),
                    rng.pick(HOURS),
                    rng.pick(DAYS),
                    rng.pick(MONTHS),
                    rng.pick(WEEKDAYS),
                ),
                13 | 14 => format!("@{} {command}", rng.pick(NICKNAMES)),
                15 => {
                    let len = 1 + rng.below(20);
                    format!(
                        "# {} Whenever generated tasks for: /{}{}",
                        rng.pick(&["Begin", "End"]),
                        rng.text(len, WORD),
                        rng.pick(&["", " at: 2024-05-12 10:00:00 +0200"]),
                    )
                }
                16 => {
                    let len = 1 + rng.below(20);
                    format!("#Ansible: {}", rng.text(len, WORD))
                }
                _ => {
                    let len = 1 + rng.below(4);
                    rng.text(len, &[' ', '\t'])
                }
            };
            let trailing = rng.pick(&["", "", "", "", " ", "   ", "\t"]);
            let cr = rng.pick(&["", "", "", "", "", "", "\r"]);
            format!("{line}{trailing}{cr}")
        })
        .prop_filter("an ordinary line", |line| classify(line) == Kind::Plain)
}

fn body() -> impl Strategy<Value = Vec<String>> {
    vec(user_line(), 0..6)
}

#[derive(Debug, Clone)]
enum Item {
    Line(String),
    Block(String, Vec<String>),
}

/// A valid crontab text, empty or ending with "\n", with no block `NAME` or `SECOND` but
/// perhaps blocks of other names.
fn crontab() -> impl Strategy<Value = String> {
    let item = prop_oneof![
        6 => user_line().prop_map(Item::Line),
        1 => (re("[a-z0-9][a-z0-9_-]{0,6}"), vec(user_line(), 0..4))
            .prop_map(|(name, body)| Item::Block(name, body)),
    ];
    vec(item, 0..25).prop_map(|items| {
        let mut text = String::new();
        let mut seen = vec![NAME.to_owned(), SECOND.to_owned()];
        for item in items {
            match item {
                Item::Line(line) => {
                    text.push_str(&line);
                    text.push('\n');
                }
                Item::Block(name, body) if !seen.contains(&name) => {
                    text.push_str(&format!("{BEGIN}{name}\n"));
                    for line in body {
                        text.push_str(&line);
                        text.push('\n');
                    }
                    text.push_str(&format!("{END}{name}\n"));
                    seen.push(name);
                }
                Item::Block(..) => {}
            }
        }
        text
    })
}

/// Like [`crontab`], but perhaps without the final "\n".
fn any_ending_crontab() -> impl Strategy<Value = String> {
    (crontab(), any::<bool>()).prop_map(|(mut text, cut)| {
        if cut {
            text.pop();
        }
        text
    })
}

/// Ways a person (or a tool) damages a marker line so that it is no longer exact.
fn damage_marker(line: &str, how: usize) -> String {
    match how % 11 {
        0 => format!(" {line}"),
        1 => format!("{line} "),
        2 => format!("{line}\r"),
        3 => format!("{line} extra"),
        4 => line.replacen("# ", "#", 1),
        5 => line.replacen("BEGIN", "Begin", 1).replacen("END", "end", 1),
        6 => line.to_uppercase(),
        7 => line.replacen(':', "-", 1),
        8 => format!("#{line}"),
        9 => format!("{line}.d"),
        _ => line[..line.find(':').unwrap() + 1].to_owned(),
    }
}

/// Damages a valid text holding at least one block, in one of the ways that must be
/// refused.
fn damage(text: &str, how: usize, at: Index, name: &str) -> String {
    let mut lines: Vec<String> = text.split_terminator('\n').map(str::to_owned).collect();
    let markers: Vec<usize> = (0..lines.len())
        .filter(|&i| classify(&lines[i]) != Kind::Plain)
        .collect();
    let marker = markers[at.index(markers.len())];
    let blocks = parse(text).unwrap();
    let block = &blocks[at.index(blocks.len())];
    let (begin, end) = (block.begin.number - 1, block.end.number - 1);
    match how % 5 {
        // Delete a marker: BEGIN without END, or END without BEGIN.
        0 => {
            lines.remove(marker);
        }
        // Damage a marker.
        1 => lines[marker] = damage_marker(&lines[marker], how / 5),
        // An exact marker of any name anywhere: nesting, unmatched or mismatched.
        2 => {
            let marker = if how % 2 == 0 { BEGIN } else { END };
            lines.insert(at.index(lines.len() + 1), format!("{marker}{name}"));
        }
        // A second copy of a block.
        3 => {
            let copy = lines[begin..=end].to_vec();
            let place = at.index(lines.len() + 1);
            // Not inside a block: that would be nesting, tested above.
            let place = if markers.iter().filter(|&&i| i < place).count() % 2 == 0 {
                place
            } else {
                lines.len()
            };
            lines.splice(place..place, copy);
        }
        // A block's END line lost and the next block's BEGIN kept: nesting or unclosed.
        _ => {
            lines.remove(end);
        }
    }
    let mut damaged = lines.join("\n");
    damaged.push('\n');
    damaged
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn upsert_then_remove_gives_back_the_original_bytes(text in crontab(), body in body()) {
        let installed = upsert(&text, NAME, &body).unwrap();
        prop_assert!(installed.starts_with(&text));
        prop_assert_eq!(find(&installed, NAME).unwrap(), Some(body));
        let mut expected_names = names(&text).unwrap();
        expected_names.push(NAME.to_owned());
        prop_assert_eq!(names(&installed).unwrap(), expected_names);
        prop_assert_eq!(remove(&installed, NAME).unwrap(), Some(text.clone()));
        prop_assert_eq!(remove(&text, NAME).unwrap(), None);
        prop_assert_eq!(find(&text, NAME).unwrap(), None);
    }

    #[test]
    fn a_block_placed_above_assignments_has_none_above_and_removes_to_the_original(
        text in crontab(),
        body in body(),
    ) {
        let installed = place_above_assignments(&upsert(&text, NAME, &body).unwrap(), NAME).unwrap();
        prop_assert_eq!(find(&installed, NAME).unwrap(), Some(body));
        prop_assert_eq!(assignments_above(&installed, NAME).unwrap(), Vec::new());
        // The user's lines keep their bytes and order, so each keeps the assignments above it.
        prop_assert_eq!(remove(&installed, NAME).unwrap(), Some(text.clone()));
        prop_assert_eq!(place_above_assignments(&installed, NAME).unwrap(), installed.clone());
    }

    #[test]
    fn a_missing_final_newline_is_the_only_byte_added(text in any_ending_crontab(), body in body()) {
        let installed = upsert(&text, NAME, &body).unwrap();
        prop_assert!(installed.starts_with(&text));
        let mut expected = text.clone();
        if !text.is_empty() && !text.ends_with('\n') {
            expected.push('\n');
        }
        prop_assert_eq!(remove(&installed, NAME).unwrap(), Some(expected));
    }

    #[test]
    fn upsert_is_idempotent(text in any_ending_crontab(), body in body(), old in body()) {
        let once = upsert(&text, NAME, &body).unwrap();
        prop_assert_eq!(&upsert(&once, NAME, &body).unwrap(), &once);
        let over_old = upsert(&upsert(&text, NAME, &old).unwrap(), NAME, &body).unwrap();
        prop_assert_eq!(over_old, once);
    }

    #[test]
    fn blocks_are_independent(
        text in any_ending_crontab(),
        first in body(),
        second in body(),
        replacement in body(),
        at in any::<Index>(),
    ) {
        let both = upsert(&upsert(&text, NAME, &first).unwrap(), SECOND, &second).unwrap();
        // Replacing one block leaves everything outside its body as it was.
        let replaced = upsert(&both, NAME, &replacement).unwrap();
        prop_assert_eq!(find(&replaced, SECOND).unwrap(), Some(second.clone()));
        prop_assert_eq!(remove(&replaced, NAME).unwrap(), remove(&both, NAME).unwrap());
        // Removing one leaves the other.
        let without_first = remove(&both, NAME).unwrap().unwrap();
        prop_assert_eq!(find(&without_first, SECOND).unwrap(), Some(second.clone()));
        prop_assert_eq!(remove(&without_first, SECOND).unwrap(), remove(&upsert(&text, SECOND, &[]).unwrap(), SECOND).unwrap());
        // Editing our block commutes with removing a block that was already there.
        let existing = names(&text).unwrap();
        if !existing.is_empty() {
            let other = &existing[at.index(existing.len())];
            let other_body = find(&text, other).unwrap();
            prop_assert_eq!(find(&both, other).unwrap(), other_body);
            if text.is_empty() || text.ends_with('\n') {
                let removed_first = upsert(&remove(&text, other).unwrap().unwrap(), NAME, &first).unwrap();
                let removed_last = remove(&upsert(&text, NAME, &first).unwrap(), other).unwrap().unwrap();
                prop_assert_eq!(removed_first, removed_last);
            }
        }
    }

    #[test]
    fn damaged_texts_are_refused(
        text in crontab(),
        body in body(),
        how in 0..1000usize,
        at in any::<Index>(),
        name in prop_oneof![Just(NAME.to_owned()), Just(SECOND.to_owned()), re("[a-z0-9][a-z0-9_-]{0,6}")],
    ) {
        let valid = upsert(&text, NAME, &body).unwrap();
        let damaged = damage(&valid, how, at, &name);
        prop_assert!(find(&damaged, NAME).is_err(), "{:?}", damaged);
        prop_assert!(find(&damaged, SECOND).is_err());
        let error = names(&damaged).unwrap_err();
        prop_assert_eq!(upsert(&damaged, NAME, &body).unwrap_err(), error.clone());
        prop_assert_eq!(remove(&damaged, NAME).unwrap_err(), error.clone());
        prop_assert!(error.to_string().starts_with("line"), "{}", error);
    }

    #[test]
    fn a_lookalike_marker_is_refused_wherever_it_is(
        text in crontab(),
        body in body(),
        how in 0..1000usize,
        at in any::<Index>(),
        name in re("[a-z0-9][a-z0-9_-]{0,6}"),
    ) {
        let valid = upsert(&text, NAME, &body).unwrap();
        let mut lines: Vec<&str> = valid.split_terminator('\n').collect();
        let marker = format!("{}{name}", if how % 2 == 0 { BEGIN } else { END });
        let lookalike = damage_marker(&marker, how / 2);
        let place = at.index(lines.len() + 1);
        lines.insert(place, &lookalike);
        let damaged = lines.join("\n");
        let error = names(&damaged).unwrap_err().to_string();
        prop_assert!(error.starts_with(&format!("line {}: ", place + 1)), "{}", error);
        prop_assert!(error.contains("looks like a crontainer marker"), "{}", error);
        prop_assert!(upsert(&damaged, NAME, &body).is_err());
        prop_assert!(remove(&damaged, NAME).is_err());
    }

    /// Texts made of markers, lookalikes and ordinary lines in any order: nothing panics,
    /// all functions agree, and whatever is accepted obeys the round trip.
    #[test]
    fn any_text_is_either_refused_or_edited_exactly(
        pieces in vec(prop_oneof![
            8 => user_line().prop_map(|line| vec![line]),
            // Whole blocks, some of the same name.
            6 => (re("(a|b|c|main)"), vec(user_line(), 0..3)).prop_map(|(name, body)| {
                let mut lines = vec![format!("{BEGIN}{name}")];
                lines.extend(body);
                lines.push(format!("{END}{name}"));
                lines
            }),
            // Lone exact markers and lookalikes.
            1 => (prop_oneof![Just(BEGIN), Just(END)], re("(a|b|main)"))
                .prop_map(|(marker, name)| vec![format!("{marker}{name}")]),
            1 => (re("(# BEGIN|# END|#BEGIN|# begin| # END) crontainer:"), re("(a|main|Main|m.d|)"), re("( |\r|)"))
                .prop_map(|(marker, name, tail)| vec![format!("{marker}{name}{tail}")]),
        ], 0..10),
        cut in any::<bool>(),
        body in body(),
    ) {
        let lines = pieces.concat();
        let mut text = lines.join("\n");
        if !cut && !lines.is_empty() {
            text.push('\n');
        }
        match names(&text) {
            Err(error) => {
                prop_assert_eq!(find(&text, NAME).unwrap_err(), error.clone());
                prop_assert_eq!(upsert(&text, NAME, &body).unwrap_err(), error.clone());
                prop_assert_eq!(remove(&text, NAME).unwrap_err(), error);
            }
            Ok(found) => {
                let installed = upsert(&text, NAME, &body).unwrap();
                prop_assert_eq!(&upsert(&installed, NAME, &body).unwrap(), &installed);
                prop_assert_eq!(find(&installed, NAME).unwrap(), Some(body));
                let removed = remove(&installed, NAME).unwrap().unwrap();
                prop_assert!(!names(&removed).unwrap().contains(&NAME.to_owned()));
                if !found.contains(&NAME.to_owned()) && (text.is_empty() || text.ends_with('\n')) {
                    prop_assert_eq!(removed, text);
                }
            }
        }
    }
}
