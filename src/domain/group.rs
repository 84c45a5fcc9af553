//! CTI groups and their busy-lamp panels (SPEC C6). A group's members are
//! accounts (a device joins through an account without login, never
//! directly) and subscribers' WebCTI logins. Every member of a group sees
//! it as a speed-dial panel: the live state of each member's lines (the
//! ones its busy-lamp source names) and presence; calls in it show the
//! callers' numbers when the group says so. Seeing a panel is a monitor
//! right on its lines for the session, without pickup: [`panel_monitors`]
//! lays them over the account's own, and `domain::access` decides by them.

use super::cti::{BlfSource, Device, Monitor, MAX_MONITORS};
use super::line::LineState;

/// The longest group name, the most groups and members of one group.
pub const MAX_NAME: usize = 64;
pub const MAX_GROUPS: usize = 200;
pub const MAX_MEMBERS: usize = 100;

/// A member as the administrator names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Member {
    /// A CTI account, by its name.
    Account(String),
    /// A subscriber's WebCTI login, by his extension.
    Subscriber(String),
}

impl Member {
    pub fn name(&self) -> &str {
        match self {
            Member::Account(n) | Member::Subscriber(n) => n,
        }
    }
}

/// A group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: i64,
    pub name: String,
    /// Calls in the panel show the callers' numbers.
    pub show_numbers: bool,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GroupProblem {
    #[error("a group's name is 1 to 64 characters, without control characters")]
    Name,
    #[error("a group of that name exists")]
    Exists,
    #[error("line {0}: no account or extension of that name, or named twice")]
    Member(usize),
    #[error("a group has at most 100 members")]
    TooManyMembers,
    #[error("there are at most 200 groups")]
    TooManyGroups,
}

pub fn check_name(name: &str) -> Result<(), GroupProblem> {
    let n = name.chars().count();
    match n == 0 || n > MAX_NAME || name.chars().any(char::is_control) || name.trim() != name {
        true => Err(GroupProblem::Name),
        false => Ok(()),
    }
}

/// Members one a line (or separated by commas), each an account's name or
/// an extension; `resolve` finds what a name is.
pub fn parse_members(
    text: &str,
    resolve: impl Fn(&str) -> Option<Member>,
) -> Result<Vec<Member>, GroupProblem> {
    let mut out: Vec<Member> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        for name in line.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let member = resolve(name).ok_or(GroupProblem::Member(i + 1))?;
            if out.contains(&member) {
                return Err(GroupProblem::Member(i + 1));
            }
            out.push(member);
            if out.len() > MAX_MEMBERS {
                return Err(GroupProblem::TooManyMembers);
            }
        }
    }
    Ok(out)
}

/// The lines that may feed an account's lamp: every device (the one in use
/// among them, [`lamp_lines`]), the first, or every one but a softphone.
pub fn blf_lines(devices: &[Device], source: BlfSource) -> Vec<String> {
    let lines = devices.iter().filter(|d| source != BlfSource::NotSoftphone || !d.softphone);
    match source {
        BlfSource::First => lines.take(1).map(|d| d.ext.clone()).collect(),
        _ => lines.map(|d| d.ext.clone()).collect(),
    }
}

/// One lamp of a panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelMember {
    pub member: Member,
    /// What the panel shows: the account's names, or the subscriber's.
    pub label: String,
    /// The lines that feed its lamp.
    pub lines: Vec<String>,
    /// Its lamp shows only the device its client has bound, while it has one
    /// (the busy-lamp source "the device in use"; see [`lamp_lines`]).
    pub follows_use: bool,
}

/// The lines whose states `member`'s lamp shows: with the busy-lamp source
/// "the device in use", the device its account's client has bound (`in_use`,
/// SPEC C5) while that is one of its lines; otherwise all its lines (nobody
/// at the desk: any of its devices busy shows).
pub fn lamp_lines<'a>(member: &'a PanelMember, in_use: Option<&'a String>) -> &'a [String] {
    match in_use {
        Some(device) if member.follows_use && member.lines.contains(device) => std::slice::from_ref(device),
        _ => &member.lines,
    }
}

/// A group as its members see it. Its members are shared: every client of
/// the group's members holds the same list (`services::cti` hands them out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panel {
    pub id: i64,
    pub name: String,
    pub show_numbers: bool,
    pub members: std::sync::Arc<[PanelMember]>,
}

impl Panel {
    /// Every line of the panel, once.
    pub fn lines(&self) -> Vec<String> {
        let mut all: Vec<String> = self.members.iter().flat_map(|m| m.lines.iter().cloned()).collect();
        all.sort();
        all.dedup();
        all
    }
}

/// What a member's lamp shows when it has several lines: the busiest one
/// (ringing before talking, talking before DND, DND before free, free before
/// unreachable); `None` without lines.
pub fn lamp_state(states: &[LineState]) -> Option<LineState> {
    let rank = |s: &LineState| match s {
        LineState::Ringing => 0,
        LineState::Busy | LineState::Dialling | LineState::Held => 1,
        LineState::Dnd => 2,
        LineState::Idle => 3,
        LineState::Unreachable => 4,
    };
    states.iter().min_by_key(|s| rank(s)).copied()
}

/// An account's monitor rights with those its panels give laid over: each
/// panel line it does not control is monitored, with CLIP when a panel
/// shows numbers; pickup only ever by its own rights. Bounded by
/// [`MAX_MONITORS`].
pub fn panel_monitors(own: Vec<Monitor>, panels: &[Panel], devices: &[String]) -> Vec<Monitor> {
    let mut out = own;
    for panel in panels {
        for ext in panel.lines() {
            if devices.contains(&ext) {
                continue;
            }
            let full = out.len() >= MAX_MONITORS;
            match out.iter_mut().find(|m| m.ext == ext) {
                Some(m) => m.clip |= panel.show_numbers,
                None if !full => out.push(Monitor { ext, clip: panel.show_numbers, pickup: false }),
                None => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(ext: &str, softphone: bool) -> Device {
        Device { ext: ext.into(), main: false, softphone }
    }

    #[test]
    fn names() {
        let cases: &[(&str, bool)] = &[
            ("Reception", true),
            ("Sprzedaż – zespół 2", true),
            ("", false),
            (" lead", false),
            ("tab\there", false),
            (&"x".repeat(64), true),
            (&"x".repeat(65), false),
        ];
        for (name, ok) in cases {
            assert_eq!(check_name(name).is_ok(), *ok, "{name:?}");
        }
    }

    #[test]
    fn members_are_resolved_by_line_and_named_once() {
        let resolve = |n: &str| match n.to_lowercase().as_str() {
            "desk" => Some(Member::Account("desk".into())),
            "100" | "101" => Some(Member::Subscriber(n.into())),
            _ => None,
        };
        assert_eq!(
            parse_members("DESK\n100, 101\n\n", resolve),
            Ok(vec![
                Member::Account("desk".into()),
                Member::Subscriber("100".into()),
                Member::Subscriber("101".into())
            ])
        );
        assert_eq!(parse_members("desk\nnobody", resolve), Err(GroupProblem::Member(2)));
        assert_eq!(parse_members("100\n101, 100", resolve), Err(GroupProblem::Member(2)));
        let many = (0..=MAX_MEMBERS).map(|i| i.to_string()).collect::<Vec<_>>().join("\n");
        let any = |n: &str| Some(Member::Subscriber(n.into()));
        assert_eq!(parse_members(&many, any), Err(GroupProblem::TooManyMembers));
    }

    #[test]
    fn the_lamp_is_fed_by_the_source_chosen() {
        let devices = [device("100", true), device("101", false), device("102", false)];
        let cases: &[(BlfSource, &[&str])] = &[
            (BlfSource::InUse, &["100", "101", "102"]),
            (BlfSource::First, &["100"]),
            (BlfSource::NotSoftphone, &["101", "102"]),
        ];
        for (source, want) in cases {
            assert_eq!(blf_lines(&devices, *source), *want, "{source:?}");
        }
        assert!(blf_lines(&[], BlfSource::First).is_empty());
    }

    #[test]
    fn a_lamp_in_use_shows_the_bound_device_while_it_is_one_of_its_lines() {
        let member = |follows_use| PanelMember {
            member: Member::Account("desk".into()),
            label: "Desk".into(),
            lines: vec!["100".into(), "101".into()],
            follows_use,
        };
        let (bound, other) = ("101".to_owned(), "105".to_owned());
        // (follows the device in use, the device bound, the lines shown)
        let cases: &[(bool, Option<&String>, &[&str])] = &[
            (true, Some(&bound), &["101"]),
            (true, None, &["100", "101"]),
            (true, Some(&other), &["100", "101"]),
            (false, Some(&bound), &["100", "101"]),
            (false, None, &["100", "101"]),
        ];
        for (follows, in_use, want) in cases {
            assert_eq!(lamp_lines(&member(*follows), *in_use), *want, "{follows} {in_use:?}");
        }
    }

    #[test]
    fn a_lamp_shows_the_busiest_line() {
        use LineState::*;
        let cases: &[(&[LineState], Option<LineState>)] = &[
            (&[], None),
            (&[Idle], Some(Idle)),
            (&[Idle, Ringing], Some(Ringing)),
            (&[Dnd, Busy], Some(Busy)),
            (&[Unreachable, Idle], Some(Idle)),
            (&[Dnd, Idle], Some(Dnd)),
        ];
        for (states, want) in cases {
            assert_eq!(lamp_state(states), *want, "{states:?}");
        }
    }

    #[test]
    fn panels_give_monitoring_without_pickup_and_clip_as_the_group_says() {
        let member = |ext: &str| PanelMember {
            member: Member::Subscriber(ext.into()),
            label: ext.into(),
            lines: vec![ext.into()],
            follows_use: false,
        };
        let quiet = Panel {
            id: 1,
            name: "A".into(),
            show_numbers: false,
            members: vec![member("100"), member("101")].into(),
        };
        let loud = Panel { id: 2, name: "B".into(), show_numbers: true, members: vec![member("102")].into() };
        let own = vec![Monitor { ext: "101".into(), clip: false, pickup: true }];
        let got = panel_monitors(own, &[quiet, loud], &["100".to_owned()]);
        assert_eq!(
            got,
            vec![
                Monitor { ext: "101".into(), clip: false, pickup: true },
                Monitor { ext: "102".into(), clip: true, pickup: false },
            ],
            "its own device is not monitored; its own pickup right stays"
        );
    }
}
