//! Shared by both test binaries (included with `#[path]`): what a crontab holds besides
//! crontainer's blocks.

/// `text` without its crontainer blocks (markers included): the user's own lines, which must
/// come out byte for byte and in order. A block sits above the user's environment lines (so they
/// do not reach it), so it is not always last.
pub fn without_blocks(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        if line.starts_with("# BEGIN crontainer:") {
            inside = true;
        } else if line.starts_with("# END crontainer:") {
            inside = false;
        } else if !inside {
            out.push_str(line);
        }
    }
    out
}
