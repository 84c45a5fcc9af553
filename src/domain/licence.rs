//! CTI licences (SPEC A1, A6): which CTI functions an extension may use, never
//! more extensions per function than the core's licence counts. Functions an
//! extension holds already stay when the core's count shrinks (the About page
//! then shows the function over its count); only a function added to an
//! extension is checked against what is left.

/// A CTI function the core licenses per extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CtiFunction {
    /// Calls placed from a desktop client or a `tel:` link.
    Dialer,
    /// The popup of an incoming call, with the caller's name.
    Popups,
    /// The busy-lamp field: other lines' states and presence.
    Monitor,
    /// Answering, holding, transferring and conferencing from a client.
    CallControl,
}

impl CtiFunction {
    pub const ALL: [CtiFunction; 4] =
        [CtiFunction::Dialer, CtiFunction::Popups, CtiFunction::Monitor, CtiFunction::CallControl];

    /// The stored and sent name.
    pub fn code(self) -> &'static str {
        match self {
            CtiFunction::Dialer => "dialer",
            CtiFunction::Popups => "popups",
            CtiFunction::Monitor => "monitor",
            CtiFunction::CallControl => "call_control",
        }
    }

    pub fn from_code(code: &str) -> Option<CtiFunction> {
        CtiFunction::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The words the pages show for it.
    pub fn key(self) -> &'static str {
        match self {
            CtiFunction::Dialer => "licence.dialer",
            CtiFunction::Popups => "licence.popups",
            CtiFunction::Monitor => "licence.monitor",
            CtiFunction::CallControl => "licence.call_control",
        }
    }
}

/// How many extensions the core lets use each function, as it reports them.
pub type Counts = Vec<(CtiFunction, u16)>;

/// The count for one function in a list of counts (the core's, or how many
/// extensions hold each): none where it is not named.
pub fn count_of<N: Copy + std::iter::Sum<N>>(counts: &[(CtiFunction, N)], f: CtiFunction) -> N {
    counts.iter().filter(|(g, _)| *g == f).map(|(_, n)| *n).sum()
}

/// Why an extension may not have the licences asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LicenceProblem {
    /// Every licence of this function is given to other extensions.
    #[error("every {} licence of the exchange is in use", .0.code())]
    Exhausted(CtiFunction),
    /// The core does not say which licences it holds (the link is down, or an
    /// older core): nothing can be given until it does.
    #[error("the exchange does not say which licences it holds")]
    Unknown,
    #[error("no such CTI function")]
    NoSuchFunction,
}

/// Whether an extension that holds `old` may hold `new`, when `others(f)`
/// other extensions hold `f` and the core reports `counts` (`None`: it did not say).
pub fn check_grant(
    old: &[CtiFunction],
    new: &[CtiFunction],
    others: impl Fn(CtiFunction) -> u32,
    counts: Option<&Counts>,
) -> Result<(), LicenceProblem> {
    let added: Vec<CtiFunction> = new.iter().copied().filter(|f| !old.contains(f)).collect();
    if added.is_empty() {
        return Ok(());
    }
    let counts = counts.ok_or(LicenceProblem::Unknown)?;
    match added.into_iter().find(|f| others(*f) >= u32::from(count_of(counts, *f))) {
        Some(f) => Err(LicenceProblem::Exhausted(f)),
        None => Ok(()),
    }
}

/// The functions named by `codes`, each once, in the order of [`CtiFunction::ALL`].
pub fn parse_list<'a>(codes: impl IntoIterator<Item = &'a str>) -> Result<Vec<CtiFunction>, LicenceProblem> {
    let mut list = codes
        .into_iter()
        .map(|c| CtiFunction::from_code(c.trim()).ok_or(LicenceProblem::NoSuchFunction))
        .collect::<Result<Vec<_>, _>>()?;
    list.sort_unstable();
    list.dedup();
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::CtiFunction::*;
    use super::*;

    #[test]
    fn a_function_is_given_while_the_core_has_a_licence_left() {
        let counts: Counts = vec![(Dialer, 2), (Monitor, 1)];
        // (held, asked for, others holding each function, expected)
        type Case = (&'static [CtiFunction], &'static [CtiFunction], u32, Result<(), LicenceProblem>);
        let cases: &[Case] = &[
            (&[], &[], 0, Ok(())),
            (&[], &[Dialer], 0, Ok(())),
            (&[], &[Dialer], 1, Ok(())),
            (&[], &[Dialer], 2, Err(LicenceProblem::Exhausted(Dialer))),
            // Kept although the core's count is used up by others.
            (&[Dialer], &[Dialer], 5, Ok(())),
            // Taken away: always allowed.
            (&[Dialer, Monitor], &[], 9, Ok(())),
            (&[Dialer], &[Dialer, Monitor], 1, Err(LicenceProblem::Exhausted(Monitor))),
            // A function the core does not name has no licence.
            (&[], &[CallControl], 0, Err(LicenceProblem::Exhausted(CallControl))),
        ];
        for (old, new, others, want) in cases {
            assert_eq!(
                check_grant(old, new, |_| *others, Some(&counts)),
                *want,
                "{old:?} -> {new:?}, {others} others"
            );
        }
    }

    #[test]
    fn nothing_is_given_while_the_core_does_not_say() {
        assert_eq!(check_grant(&[], &[Popups], |_| 0, None), Err(LicenceProblem::Unknown));
        assert_eq!(check_grant(&[Popups], &[Popups], |_| 0, None), Ok(()));
        assert_eq!(check_grant(&[Popups], &[], |_| 0, None), Ok(()));
    }

    #[test]
    fn lists_are_read_by_code_each_once() {
        assert_eq!(parse_list(["monitor", " dialer", "monitor"]), Ok(vec![Dialer, Monitor]));
        assert_eq!(parse_list(["call_control", "popups"]), Ok(vec![Popups, CallControl]));
        assert_eq!(parse_list(["everything"]), Err(LicenceProblem::NoSuchFunction));
        for f in CtiFunction::ALL {
            assert_eq!(CtiFunction::from_code(f.code()), Some(f));
        }
    }
}
