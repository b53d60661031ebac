//! TEMPORARY STUB: replaced by the block branch.
use std::fmt;
#[derive(Debug)]
pub struct BlockError(String);
impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for BlockError {}
fn begin(name: &str) -> String {
    format!("# BEGIN crontainer:{name}")
}
fn end(name: &str) -> String {
    format!("# END crontainer:{name}")
}
pub fn find(text: &str, name: &str) -> Result<Option<Vec<String>>, BlockError> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(b) = lines.iter().position(|l| *l == begin(name)) else {
        return Ok(None);
    };
    let e = lines
        .iter()
        .position(|l| *l == end(name))
        .ok_or_else(|| BlockError("no END".into()))?;
    Ok(Some(
        lines[b + 1..e].iter().map(|s| s.to_string()).collect(),
    ))
}
pub fn names(text: &str) -> Result<Vec<String>, BlockError> {
    Ok(text
        .lines()
        .filter_map(|l| l.strip_prefix("# BEGIN crontainer:"))
        .map(String::from)
        .collect())
}
pub fn upsert(text: &str, name: &str, body: &[String]) -> Result<String, BlockError> {
    let base = remove(text, name)?.unwrap_or_else(|| text.to_string());
    let mut out = base;
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&begin(name));
    out.push('\n');
    for l in body {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(&end(name));
    out.push('\n');
    Ok(out)
}
pub fn remove(text: &str, name: &str) -> Result<Option<String>, BlockError> {
    let b = begin(name);
    let e = end(name);
    let Some(start) = text.find(&format!("{b}\n")) else {
        return Ok(None);
    };
    let stop = text
        .find(&format!("{e}\n"))
        .ok_or_else(|| BlockError("no END".into()))?
        + e.len()
        + 1;
    Ok(Some(format!("{}{}", &text[..start], &text[stop..])))
}
