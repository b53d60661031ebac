//! Which accounts are the system's and which are people's, for the one place root trusts more
//! than itself: the directories root's jobs write their output into (a log, the metrics file).
//! Ubuntu ships `/var/log` as `root:syslog 0775` and Debian's Prometheus packages own
//! `/var/lib/prometheus` by `prometheus`; refusing those refused the defaults of the most common
//! Docker hosts (issue 24). logrotate rotates in such directories when told which account to act
//! as (`su root syslog`, shipped by Ubuntu's rsyslog); here the rule is written down instead:
//!
//! - a user is the system's when its uid is below `UID_MIN` of /etc/login.defs (1000 when unset,
//!   as useradd and adduser assume): package scripts make those accounts (`adduser --system`),
//!   no one logs in as them, and they already run the daemons whose files they own;
//! - a group is the system's when its gid is below `GID_MIN` and no person is in it: neither
//!   listed as a member (getgrgid(3): /etc/group and whatever NSS adds) nor having it as primary
//!   group (/etc/passwd). A person added to `syslog` could then write `/var/log`, so the group
//!   is no longer trusted. A listed member that names no account is counted as a person: it may
//!   be made later, by anyone's `useradd`.
//!
//! root itself opens what it writes there without following a symlink in the last component
//! (see README "Security"), so what such an account could do is limited to what it can already
//! do to its own daemon's files.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

/// The first uid and gid given to people, from /etc/login.defs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PersonRange {
    pub(crate) uid_min: u32,
    pub(crate) gid_min: u32,
}

impl PersonRange {
    /// What useradd and adduser assume when /etc/login.defs sets nothing.
    const DEFAULT: PersonRange = PersonRange {
        uid_min: 1000,
        gid_min: 1000,
    };

    /// The values of `UID_MIN` and `GID_MIN` in the text of a login.defs (`NAME value` lines,
    /// `#` comments); a missing or unreadable one keeps its default.
    pub(crate) fn parse(text: &str) -> PersonRange {
        let mut range = PersonRange::DEFAULT;
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let (Some(name), Some(value)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(value) = value.parse() else { continue };
            match name {
                "UID_MIN" => range.uid_min = value,
                "GID_MIN" => range.gid_min = value,
                _ => {}
            }
        }
        range
    }
}

/// This host's range, read once.
pub(crate) fn person_range() -> PersonRange {
    static RANGE: OnceLock<PersonRange> = OnceLock::new();
    *RANGE.get_or_init(|| {
        std::fs::read_to_string("/etc/login.defs")
            .map(|text| PersonRange::parse(&text))
            .unwrap_or(PersonRange::DEFAULT)
    })
}

/// Whether `uid` is root or a system account.
pub(crate) fn is_system_user(uid: u32) -> bool {
    uid < person_range().uid_min
}

/// Why group `gid` is not a system group, to name in a refusal; None when it is one. Asked once
/// per group and run (an install of 200 jobs asks it of the same directories for each).
pub(crate) fn why_not_system_group(gid: u32) -> Option<String> {
    static VERDICTS: Mutex<BTreeMap<u32, Option<String>>> = Mutex::new(BTreeMap::new());
    let mut verdicts = VERDICTS.lock().unwrap_or_else(|e| e.into_inner());
    verdicts
        .entry(gid)
        .or_insert_with(|| {
            let group = nix::unistd::Group::from_gid(gid.into()).ok().flatten();
            let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
            judge_group(
                gid,
                group.as_ref().map(|g| g.name.as_str()),
                group.as_ref().map_or(&[][..], |g| &g.mem[..]),
                &passwd,
                person_range(),
                |name| {
                    nix::unistd::User::from_name(name)
                        .ok()
                        .flatten()
                        .map(|u| u.uid.as_raw())
                },
            )
        })
        .clone()
}

/// The rule of [`why_not_system_group`] on what was read: the group's name and listed members,
/// the text of /etc/passwd (for those who have it as primary group), the range, and a lookup of
/// a member's uid.
pub(crate) fn judge_group(
    gid: u32,
    name: Option<&str>,
    members: &[String],
    passwd: &str,
    range: PersonRange,
    uid_of: impl Fn(&str) -> Option<u32>,
) -> Option<String> {
    let group = match name {
        Some(name) => format!("group {name} (gid {gid})"),
        None => format!("group {gid}"),
    };
    if gid >= range.gid_min {
        return Some(format!(
            "{group} may write it, and is not a system group (GID_MIN is {} in /etc/login.defs)",
            range.gid_min
        ));
    }
    let listed = members
        .iter()
        .map(|member| (member.as_str(), uid_of(member)));
    let primary = passwd.lines().filter_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        let uid = fields.get(2)?.parse::<u32>().ok()?;
        let user_gid = fields.get(3)?.parse::<u32>().ok()?;
        (user_gid == gid).then(|| (fields[0], Some(uid)))
    });
    let person = listed
        .chain(primary)
        .find(|(_, uid)| uid.is_none_or(|uid| uid >= range.uid_min))?;
    Some(match person {
        (member, Some(uid)) => format!(
            "{group} may write it, and has a person in it: {member} (uid {uid}, at or above \
             UID_MIN {})",
            range.uid_min
        ),
        (member, None) => format!(
            "{group} may write it, and lists {member}, which names no account (it may be made \
             later)"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_defs_sets_the_range_and_defaults_to_1000() {
        let text = "# UID_MIN 5\nUID_MIN\t\t 2000\nGID_MIN   500 # comment\nUID_MAX 60000\n";
        assert_eq!(
            PersonRange::parse(text),
            PersonRange {
                uid_min: 2000,
                gid_min: 500
            }
        );
        assert_eq!(PersonRange::parse(""), PersonRange::DEFAULT);
        assert_eq!(PersonRange::parse("UID_MIN x\n"), PersonRange::DEFAULT);
    }

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
                          syslog:x:104:110::/home/syslog:/usr/sbin/nologin\n\
                          alice:x:1000:1000:Alice:/home/alice:/bin/bash\n\
                          bob:x:1001:110:Bob:/home/bob:/bin/bash\n";

    #[track_caller]
    fn judged(gid: u32, members: &[&str]) -> Option<String> {
        let members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
        let uid_of = |name: &str| {
            PASSWD
                .lines()
                .find(|l| l.starts_with(&format!("{name}:")))
                .and_then(|l| l.split(':').nth(2)?.parse().ok())
        };
        judge_group(
            gid,
            Some("g"),
            &members,
            PASSWD,
            PersonRange::DEFAULT,
            uid_of,
        )
    }

    #[test]
    fn a_group_is_the_systems_below_gid_min_with_no_person_in_it() {
        // Ubuntu's syslog: only the syslog user, by its primary group.
        assert_eq!(judged(4, &[]), None);
        assert_eq!(judged(4, &["syslog", "root"]), None);
        assert_eq!(
            judged(4, &["alice"]).as_deref(),
            Some(
                "group g (gid 4) may write it, and has a person in it: alice (uid 1000, at or \
                 above UID_MIN 1000)"
            )
        );
        // bob has gid 110 as his primary group, listed nowhere in /etc/group.
        assert_eq!(
            judged(110, &[]).as_deref(),
            Some(
                "group g (gid 110) may write it, and has a person in it: bob (uid 1001, at or \
                 above UID_MIN 1000)"
            )
        );
        assert_eq!(
            judged(4, &["ghost"]).as_deref(),
            Some(
                "group g (gid 4) may write it, and lists ghost, which names no account (it may \
                 be made later)"
            )
        );
        assert_eq!(
            judged(1000, &[]).as_deref(),
            Some(
                "group g (gid 1000) may write it, and is not a system group (GID_MIN is 1000 in \
                 /etc/login.defs)"
            )
        );
    }
}
