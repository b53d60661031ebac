//! Names that have passed their rule once: a block name, a job id, a host account. A value of
//! these types is never checked again (the flags parse into them, the config's `[cron]` table
//! too), and the rule and its message live in one place (`checks`).

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use super::checks::{is_block_name, is_job_id, is_unix_user};

macro_rules! checked_name {
    ($(#[$doc:meta])* $name:ident, $rule:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        /// As the string: `{:?}` in a message quotes the name, as it did when it was one.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                if $rule(s) {
                    Ok($name(s.to_string()))
                } else {
                    Err(format!(concat!("{:?} is not ", $what), s))
                }
            }
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(name: $name) -> String {
                name.0
            }
        }
    };
}

checked_name!(
    /// A block's name (`[cron] name`, `--name`, `--replace`, the `BLOCK` of `BLOCK/JOB`), also
    /// the cron.d file's name.
    BlockName,
    is_block_name,
    "a block name (lowercase letters, digits, `_` and `-`, starting with a letter or digit, at \
     most 64 bytes)"
);

checked_name!(
    /// A job's id (`[jobs.ID]`, the `JOB` of `run-now JOB`).
    JobId,
    is_job_id,
    "a job id (lowercase letters, digits, `_` and `-`, at most 64 bytes)"
);

checked_name!(
    /// A host account name (`[cron] user`, `--user`), as `useradd` accepts it by default.
    UserName,
    is_unix_user,
    "a user name (lowercase letters, digits, `_`, `-`)"
);

/// A job as the user names it on the command line: `JOB`, or `BLOCK/JOB` for the one in block
/// BLOCK.
#[derive(Clone, PartialEq, Eq)]
pub struct JobSpec {
    pub block: Option<BlockName>,
    pub id: JobId,
}

impl FromStr for JobSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let not_a_job =
            || format!("{s:?} is not a job: write JOB, or BLOCK/JOB for the job in one block");
        match s.split_once('/') {
            None => Ok(JobSpec {
                block: None,
                id: s.parse().map_err(|_| not_a_job())?,
            }),
            Some((block, id)) => Ok(JobSpec {
                block: Some(block.parse().map_err(|_| not_a_job())?),
                id: id.parse().map_err(|_| not_a_job())?,
            }),
        }
    }
}

/// As the words the user typed, quoted (see the names' `Debug`).
impl fmt::Debug for JobSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

impl fmt::Display for JobSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.block {
            Some(block) => write!(f, "{block}/{}", self.id),
            None => f.write_str(&self.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_parses_only_when_its_rule_holds() {
        assert_eq!(&*"main-1".parse::<BlockName>().unwrap(), "main-1");
        assert_eq!(
            "Main".parse::<BlockName>().unwrap_err(),
            "\"Main\" is not a block name (lowercase letters, digits, `_` and `-`, starting with \
             a letter or digit, at most 64 bytes)"
        );
        assert!("a.b".parse::<BlockName>().is_err());
        assert!("x".repeat(65).parse::<JobId>().is_err());
        assert_eq!(
            "--privileged".parse::<UserName>().unwrap_err(),
            "\"--privileged\" is not a user name (lowercase letters, digits, `_`, `-`)"
        );
    }

    #[test]
    fn a_job_spec_is_job_or_block_slash_job() {
        let spec: JobSpec = "backup".parse().unwrap();
        assert_eq!((spec.block, &*spec.id), (None, "backup"));
        let spec: JobSpec = "nightly/backup".parse().unwrap();
        assert_eq!(spec.block.as_deref(), Some("nightly"));
        assert_eq!(spec.to_string(), "nightly/backup");
        for bad in ["a/b/c", "/backup", "nightly/", "Nightly/backup", "", "a b"] {
            assert_eq!(
                bad.parse::<JobSpec>().unwrap_err(),
                format!("{bad:?} is not a job: write JOB, or BLOCK/JOB for the job in one block")
            );
        }
    }
}
