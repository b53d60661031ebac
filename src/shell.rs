//! Shell words for the cron line: quoting a value as exactly one literal word, and the `%`
//! escaping cron demands. Pure string functions with no knowledge of jobs, so the line renderer
//! and the process wrapper (which prints commands a user can paste) share one quoting rule.

/// Quotes `value` as exactly one literal shell word: bare when it holds only characters no
/// shell treats specially, otherwise single-quoted, with `'` written as `'"'"'`. No backslash
/// is ever produced, because Debian's cron folds `\\` while cronie does not.
pub(crate) fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./:=@+,-".contains(&b));
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', r#"'"'"'"#))
    }
}

/// Cron turns every unescaped `%` in the command into a newline (Debian cron, cronie and
/// busybox alike); `\%` reaches the shell as `%`.
pub(crate) fn escape_percent(command: &str) -> String {
    command.replace('%', "\\%")
}

/// The inverse of [`escape_percent`]: the command as cron hands it to `/bin/sh -c`.
pub(crate) fn unescape_percent(command: &str) -> String {
    command.replace("\\%", "%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn quotes(value: &str, expected: &str) {
        assert_eq!(quote(value), expected, "quote({value:?})");
        // What sh makes of it is the value itself.
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("printf '%s' {expected}"))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            value,
            "sh read back {expected}"
        );
    }

    #[test]
    fn quoting_makes_one_literal_word() {
        quotes("python", "python");
        quotes("main_v2.py", "main_v2.py");
        quotes("/usr/bin/docker", "/usr/bin/docker");
        quotes("-e", "-e");
        quotes("KEY=v,a:b@c+d", "KEY=v,a:b@c+d");
        quotes("", "''");
        quotes("two  spaces", "'two  spaces'");
        quotes("$(touch x)", "'$(touch x)'");
        quotes("`id`", "'`id`'");
        quotes("a;b|c&d<e>f", "'a;b|c&d<e>f'");
        quotes("it's", r#"'it'"'"'s'"#);
        quotes("\"double\"", r#"'"double"'"#);
        quotes("'", r#"''"'"''"#);
        quotes("*", "'*'");
        quotes("$HOME", "'$HOME'");
        quotes("~", "'~'");
        quotes("été ✓", "'été ✓'");
        quotes("50%", "'50%'");
        quotes("#x", "'#x'");
    }

    #[test]
    fn percent_escaping_round_trips() {
        for text in ["", "%", "a%b%%c", "date +%s", "no percent"] {
            assert_eq!(unescape_percent(&escape_percent(text)), text);
            assert!(!escape_percent(text).replace("\\%", "").contains('%'));
        }
    }
}
