//! The block editor's table tests: one case a line, each a crontab text and what must come of it.

use super::*;

fn owned(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|line| (*line).to_owned()).collect()
}

#[track_caller]
fn check_find(text: &str, name: &str, expected: Option<&[&str]>) {
    assert_eq!(
        find(text, name).unwrap(),
        expected.map(owned),
        "text: {text:?}"
    );
}

#[track_caller]
fn check_names(text: &str, expected: &[&str]) {
    assert_eq!(names(text).unwrap(), owned(expected), "text: {text:?}");
}

#[track_caller]
fn check_upsert(text: &str, name: &str, body: &[&str], expected: &str) {
    assert_eq!(
        upsert(text, name, &owned(body)).unwrap(),
        expected,
        "text: {text:?}"
    );
}

#[track_caller]
fn check_remove(text: &str, name: &str, expected: Option<&str>) {
    assert_eq!(
        remove(text, name).unwrap().as_deref(),
        expected,
        "text: {text:?}"
    );
}

/// Every function refuses `text`, with a message that starts with `message`.
#[track_caller]
fn check_error(text: &str, message: &str) {
    let errors = [
        find(text, "web").unwrap_err(),
        names(text).unwrap_err(),
        upsert(text, "web", &owned(&["x"])).unwrap_err(),
        remove(text, "web").unwrap_err(),
        find(text, "other").unwrap_err(),
    ];
    for error in errors {
        let shown = error.to_string();
        assert!(
            shown.starts_with(message),
            "text: {text:?}\nexpected: {message}…\n     got: {shown}"
        );
    }
}

#[test]
#[rustfmt::skip]
fn finds() {
    check_find("", "web", None);
    check_find("\n", "web", None);
    check_find("# BEGIN crontainer:web\n# END crontainer:web\n", "web", Some(&[]));
    check_find("# BEGIN crontainer:web\na\n\nb\n# END crontainer:web\n", "web", Some(&["a", "", "b"]));
    check_find("# BEGIN crontainer:web\na\n# END crontainer:web", "web", Some(&["a"]));
    check_find("# BEGIN crontainer:web\na \r\n# END crontainer:web\n", "web", Some(&["a \r"]));
    check_find("x\n# BEGIN crontainer:a\n1\n# END crontainer:a\n# BEGIN crontainer:web\n2\n# END crontainer:web\n", "web", Some(&["2"]));
    check_find("x\n# BEGIN crontainer:a\n1\n# END crontainer:a\n", "web", None);
    check_find("# BEGIN crontainer:web-2\n# END crontainer:web-2\n", "web", None);
    check_find("# BEGIN crontainer:0_a-b\n# END crontainer:0_a-b\n", "0_a-b", Some(&[]));
}

#[test]
#[rustfmt::skip]
fn lists_names() {
    check_names("", &[]);
    check_names("a\nb", &[]);
    check_names("# BEGIN crontainer:b\n# END crontainer:b\nx\n# BEGIN crontainer:a\n# END crontainer:a\n", &["b", "a"]);
    check_names("# Begin Whenever generated tasks for: web\n# End Whenever generated tasks for: web\n", &[]);
    check_names("#Ansible: web\n# crontainer was here\n# END of crontainer config\n", &[]);
    check_names("# beginning crontainers\n# BEGIN crontainerized\n# BEGIN crontainer_x\n", &[]);
}

#[test]
#[rustfmt::skip]
fn upserts() {
    check_upsert("", "web", &["a"], "# BEGIN crontainer:web\na\n# END crontainer:web\n");
    check_upsert("", "web", &[], "# BEGIN crontainer:web\n# END crontainer:web\n");
    check_upsert("\n", "web", &["a"], "\n# BEGIN crontainer:web\na\n# END crontainer:web\n");
    check_upsert("x\n", "web", &["a"], "x\n# BEGIN crontainer:web\na\n# END crontainer:web\n");
    check_upsert("x", "web", &["a"], "x\n# BEGIN crontainer:web\na\n# END crontainer:web\n");
    check_upsert("x\r", "web", &["a"], "x\r\n# BEGIN crontainer:web\na\n# END crontainer:web\n");
    check_upsert("x\r\n", "web", &["a"], "x\r\n# BEGIN crontainer:web\na\n# END crontainer:web\n");
    check_upsert("x\n# BEGIN crontainer:web\nold\nold2\n# END crontainer:web\ny \n", "web", &["a"], "x\n# BEGIN crontainer:web\na\n# END crontainer:web\ny \n");
    check_upsert("# BEGIN crontainer:web\nold\n# END crontainer:web", "web", &["a", "b"], "# BEGIN crontainer:web\na\nb\n# END crontainer:web");
    check_upsert("# BEGIN crontainer:web\nold\n# END crontainer:web\n", "web", &[], "# BEGIN crontainer:web\n# END crontainer:web\n");
    check_upsert("# BEGIN crontainer:a\n1\n# END crontainer:a\n# BEGIN crontainer:web\n2\n# END crontainer:web\n# BEGIN crontainer:b\n3\n# END crontainer:b", "web", &["x"], "# BEGIN crontainer:a\n1\n# END crontainer:a\n# BEGIN crontainer:web\nx\n# END crontainer:web\n# BEGIN crontainer:b\n3\n# END crontainer:b");
    check_upsert("# BEGIN crontainer:a\n1\n# END crontainer:a", "web", &["x"], "# BEGIN crontainer:a\n1\n# END crontainer:a\n# BEGIN crontainer:web\nx\n# END crontainer:web\n");
    check_upsert("é ✓\n", "web", &["ü"], "é ✓\n# BEGIN crontainer:web\nü\n# END crontainer:web\n");
}

#[test]
#[rustfmt::skip]
fn removes() {
    check_remove("", "web", None);
    check_remove("x\n", "web", None);
    check_remove("# BEGIN crontainer:web\na\n# END crontainer:web\n", "web", Some(""));
    check_remove("x\n# BEGIN crontainer:web\na\n# END crontainer:web\n", "web", Some("x\n"));
    check_remove("x\n# BEGIN crontainer:web\na\n# END crontainer:web\ny", "web", Some("x\ny"));
    check_remove("x\n# BEGIN crontainer:web\na\n# END crontainer:web", "web", Some("x\n"));
    check_remove("\n\n# BEGIN crontainer:web\n# END crontainer:web\n\n", "web", Some("\n\n\n"));
    check_remove("# BEGIN crontainer:a\n# END crontainer:a\n# BEGIN crontainer:web\n# END crontainer:web\n# BEGIN crontainer:b\n# END crontainer:b\n", "web", Some("# BEGIN crontainer:a\n# END crontainer:a\n# BEGIN crontainer:b\n# END crontainer:b\n"));
    check_remove("# BEGIN crontainer:a\n# END crontainer:a\n", "web", None);
}

#[test]
#[rustfmt::skip]
fn refuses_damaged_texts() {
    // BEGIN without END.
    check_error("x\n# BEGIN crontainer:web\na\n", "line 2: `# BEGIN crontainer:web` has no matching `# END crontainer:web`; add that line after the block's last job, or delete the block's lines and run `crontainer install` again");
    check_error("# BEGIN crontainer:web", "line 1: `# BEGIN crontainer:web` has no matching");
    check_error("# BEGIN crontainer:a\n# END crontainer:a\n# BEGIN crontainer:b\n", "line 3: `# BEGIN crontainer:b` has no matching");
    // END without BEGIN.
    check_error("x\ny\n# END crontainer:web\n", "line 3: `# END crontainer:web` has no matching `# BEGIN crontainer:web` before it;");
    check_error("# END crontainer:web\n# BEGIN crontainer:web\n", "line 1: `# END crontainer:web` has no matching");
    check_error("# BEGIN crontainer:a\n# END crontainer:a\n# END crontainer:a\n", "line 3: `# END crontainer:a` has no matching");
    // Nesting.
    check_error("# BEGIN crontainer:a\n# BEGIN crontainer:b\n# END crontainer:b\n# END crontainer:a\n", "line 2: `# BEGIN crontainer:b` begins a block inside block `a`, which begins on line 1 and has not ended; add `# END crontainer:a`");
    check_error("# BEGIN crontainer:a\nx\n# BEGIN crontainer:a\n# END crontainer:a\n", "line 3: `# BEGIN crontainer:a` begins a block inside block `a`, which begins on line 1");
    // END of another block.
    check_error("# BEGIN crontainer:a\nx\n# END crontainer:b\n", "line 3: `# END crontainer:b` ends block `a`, which begins on line 1; make both markers name the same block, or delete lines 1 to 3");
    // The same name twice.
    check_error("# BEGIN crontainer:a\n# END crontainer:a\nx\n# BEGIN crontainer:a\n# END crontainer:a\n", "lines 1 and 4: block `a` appears twice; delete one copy");
    check_error("# BEGIN crontainer:web\n# END crontainer:web\n# BEGIN crontainer:web\n# END crontainer:web\n", "lines 1 and 3: block `web` appears twice");
    // Damaged markers, inside or outside a block.
    check_error("#BEGIN crontainer:web\n", "line 1: `#BEGIN crontainer:web` looks like a crontainer marker but is not exactly `# BEGIN crontainer:<name>` or `# END crontainer:<name>`");
    check_error("x\n  # BEGIN crontainer:web\n", "line 2: `  # BEGIN crontainer:web` looks like a crontainer marker");
    check_error("# BEGIN crontainer:web extra\n", "line 1: `# BEGIN crontainer:web extra` looks like");
    check_error("# BEGIN crontainer:web \n", "line 1: `# BEGIN crontainer:web ` looks like");
    check_error("# BEGIN crontainer:web\r\n# END crontainer:web\r\n", "line 1: `# BEGIN crontainer:web\\r` looks like");
    check_error("# BEGIN crontainer:web\n\t# END crontainer:web\n", "line 2: `\\t# END crontainer:web` looks like");
    check_error("# begin crontainer:web\n", "line 1: `# begin crontainer:web` looks like");
    check_error("## BEGIN  Crontainer web\n", "line 1: `## BEGIN  Crontainer web` looks like");
    check_error("# BEGIN crontainer:\n", "line 1: `# BEGIN crontainer:` looks like");
    check_error("# BEGIN crontainer:Web\n", "line 1: `# BEGIN crontainer:Web` looks like");
    check_error("# BEGIN crontainer:web.x\n", "line 1: `# BEGIN crontainer:web.x` looks like");
    check_error("# BEGIN crontainer:-web\n", "line 1: `# BEGIN crontainer:-web` looks like");
    check_error("# END crontainer-web\n", "line 1: `# END crontainer-web` looks like");
    check_error("# END crontainer\n", "line 1: `# END crontainer` looks like");
    check_error("END crontainer:web\n", "line 1: `END crontainer:web` looks like");
    check_error("# BEGIN crontainer:web\n# BEGIN crontainer:x y\n# END crontainer:web\n", "line 2: `# BEGIN crontainer:x y` looks like");
    // The first problem in the text is the one reported.
    check_error("# END crontainer:a\n#BEGIN crontainer:b\n", "line 1: `# END crontainer:a` has no matching");
}

#[test]
fn refuses_invalid_names() {
    for name in ["", "Web", "-web", "_web", "web.x", "web x", "wéb", "web\n"] {
        let message = format!("`{}` cannot name a crontainer block;", shown(name));
        for error in [
            find("", name).unwrap_err(),
            upsert("", name, &[]).unwrap_err(),
            remove("", name).unwrap_err(),
        ] {
            assert!(error.to_string().starts_with(&message), "{name:?}: {error}");
        }
    }
}

#[test]
fn valid_names() {
    for name in ["a", "0", "web", "a-b_c", "9-", "main_pipeline_v2"] {
        assert!(is_valid_name(name), "{name:?}");
    }
    for name in ["", "A", "-", "_a", "a.b", "a b", "é", "a/b", "a:b"] {
        assert!(!is_valid_name(name), "{name:?}");
    }
}

#[test]
fn shows_control_characters_and_long_lines_readably() {
    assert_eq!(shown("a\rb\tc\u{1}"), "a\\rb\\tc\\u{1}");
    assert_eq!(shown(&"x".repeat(200)), format!("{}…", "x".repeat(80)));
}

#[test]
fn assignments_are_what_cron_reads_as_environment() {
    for line in [
        "SHELL=/usr/bin/python3",
        "PATH = /x",
        "  MAILTO=",
        "TZ=UTC",
        "A=b c",
    ] {
        assert!(is_assignment(line), "{line:?}");
    }
    for line in [
        "# SHELL=/bin/sh",
        "0 * * * * A=b cmd",
        "@daily X=1",
        "",
        "=x",
        "* * * * * x",
    ] {
        assert!(!is_assignment(line), "{line:?}");
    }
}

#[test]
fn a_block_below_an_assignment_moves_above_it() {
    let text = "# mine\nSHELL=/usr/bin/python3\n1 * * * * print(1)\n# BEGIN crontainer:web\na\n# END crontainer:web\n2 * * * * x\n";
    assert_eq!(
        assignments_above(text, "web").unwrap(),
        vec![(2, "SHELL=/usr/bin/python3".to_owned())]
    );
    let placed = place_above_assignments(text, "web").unwrap();
    assert_eq!(
        placed,
        "# mine\n# BEGIN crontainer:web\na\n# END crontainer:web\nSHELL=/usr/bin/python3\n1 * * * * print(1)\n2 * * * * x\n"
    );
    assert_eq!(assignments_above(&placed, "web").unwrap(), Vec::new());
    // Nothing above it: left where it is.
    assert_eq!(place_above_assignments(&placed, "web").unwrap(), placed);
    let last = "A=1\n# BEGIN crontainer:web\na\n# END crontainer:web";
    assert_eq!(
        place_above_assignments(last, "web").unwrap(),
        "# BEGIN crontainer:web\na\n# END crontainer:web\nA=1\n"
    );
}
