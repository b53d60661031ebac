//! TEMPORARY STUB: replaced by the schedule branch.
use std::fmt;
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    Cron(CronExpr),
    Every(Interval),
}
impl Schedule {
    pub fn render(&self) -> Rendered {
        match self {
            Schedule::Cron(c) => Rendered {
                cron: c.clone(),
                guard: None,
            },
            Schedule::Every(i) => i.render(),
        }
    }
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpr(String);
impl CronExpr {
    pub fn parse(s: &str) -> Result<Self, ScheduleError> {
        Ok(CronExpr(s.split_whitespace().collect::<Vec<_>>().join(" ")))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn warnings(&self) -> Vec<String> {
        vec![]
    }
    pub fn is_reboot(&self) -> bool {
        self.0 == "@reboot"
    }
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval(u64);
impl Interval {
    pub fn parse(s: &str) -> Result<Self, ScheduleError> {
        let n: u64 = s
            .trim_end_matches(['m', 'h'])
            .parse()
            .map_err(|_| ScheduleError("bad".into()))?;
        Ok(Interval(if s.ends_with('h') { n * 60 } else { n }))
    }
    pub fn minutes(&self) -> u64 {
        self.0
    }
    pub fn render(&self) -> Rendered {
        Rendered {
            cron: CronExpr("0 * * * *".into()),
            guard: Some(Guard {
                slot_seconds: 3600,
                every_slots: self.0 / 60,
            }),
        }
    }
}
impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}m", self.0)
    }
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub cron: CronExpr,
    pub guard: Option<Guard>,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guard {
    pub slot_seconds: u64,
    pub every_slots: u64,
}
impl Guard {
    pub fn interval(&self) -> Interval {
        Interval(self.slot_seconds / 60 * self.every_slots)
    }
}
pub fn next_runs(_r: &Rendered, _after: &jiff::Zoned, _n: usize) -> Vec<jiff::Zoned> {
    vec![]
}
pub fn describe(_s: &Schedule) -> String {
    "stub".into()
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError(String);
impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ScheduleError {}
