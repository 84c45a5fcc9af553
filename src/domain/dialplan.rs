//! The board's dialling plan, and the one form every number is compared in.
//!
//! People and exchanges write the same number many ways: `+48 22 555 01 02`,
//! `0048225550102`, `0225550102` with the national trunk prefix, and `0 0225550102`
//! as dialled at an extension, outside line first. Reverse lookup is only right
//! when all of them become one canonical number, `+48225550102`, before they are
//! compared: a contact is stored under that form, and every number asked about
//! (an incoming caller, a number dialled, a number typed into a search) is brought
//! to it the same way. What is not a public number (an extension, a service code,
//! a short number the plan cannot place) stays its digits and is compared as they
//! are.

use std::fmt;

/// Where a number comes from, which says how to read its first digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    /// As people write it and as callers are presented: in international form,
    /// with the national trunk prefix, or national without it.
    Written,
    /// As dialled at an extension: a public number starts with the exchange's
    /// outside-line prefix (or `+`), anything else is inside the exchange.
    Dialled,
    /// Not known (a number typed to look up): read as written, and failing that
    /// as dialled.
    Unknown,
}

/// The parts of a dialling plan that decide how a number is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiallingPlan {
    /// The country calling code, digits (`48`); empty when the board does not
    /// say, and then only international forms are made canonical.
    pub country_code: String,
    /// What an international number is dialled with instead of `+` (`00`).
    pub international_prefix: String,
    /// What a national number is dialled with (`0`); empty where there is none.
    pub trunk_prefix: String,
    /// How many digits every national number has without its trunk prefix
    /// (9 in Poland), so that one written without it is still placed; 0 where
    /// the length varies (Germany, the UK).
    pub national_digits: u8,
    /// The exchange's outside-line prefix (`core.outside_prefix`).
    pub outside_prefix: String,
}

impl Default for DiallingPlan {
    fn default() -> Self {
        DiallingPlan {
            country_code: String::new(),
            international_prefix: "00".to_owned(),
            trunk_prefix: "0".to_owned(),
            national_digits: 0,
            outside_prefix: "0".to_owned(),
        }
    }
}

/// Why a dialling plan from the board file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct PlanProblem {
    pub field: &'static str,
    pub problem: &'static str,
}

/// A public number needs at least this many digits after its prefixes: fewer
/// are service numbers and never made canonical.
const MIN_SUBSCRIBER_DIGITS: usize = 4;

impl DiallingPlan {
    /// Whether the plan can be used: prefixes are digits, the country code is
    /// one to three digits, and the international prefix is not the trunk prefix.
    pub fn check(&self) -> Result<(), PlanProblem> {
        let digits = |s: &str, max: usize| s.len() <= max && s.bytes().all(|b| b.is_ascii_digit());
        let problem = |field, problem| Err(PlanProblem { field, problem });
        if !digits(&self.country_code, 3) || self.country_code.starts_with('0') {
            return problem(
                "country_code",
                "must be the country calling code: 1 to 3 digits, not starting with 0",
            );
        }
        if self.international_prefix.is_empty() || !digits(&self.international_prefix, 4) {
            return problem("international_prefix", "must be 1 to 4 digits");
        }
        if !digits(&self.trunk_prefix, 2) {
            return problem("trunk_prefix", "must be at most 2 digits");
        }
        if self.trunk_prefix == self.international_prefix {
            return problem("trunk_prefix", "cannot be the international prefix");
        }
        if !(self.national_digits == 0 || (6..=14).contains(&self.national_digits)) {
            return problem("national_digits", "must be 0 (lengths vary) or 6 to 14");
        }
        if !digits(&self.outside_prefix, 4) {
            return problem("outside_prefix", "must be at most 4 digits");
        }
        Ok(())
    }

    /// The number in the form lookups compare: `+` and the digits of the
    /// international number where the plan can tell it, otherwise the digits
    /// (service codes with `*` or `#` as they are dialled). Empty for a number
    /// without digits.
    pub fn canonical(&self, number: &str, form: Form) -> String {
        match form {
            Form::Written | Form::Unknown => self.written(number),
            Form::Dialled => self.dialled(number),
        }
    }

    /// The canonical forms to look `number` up by, most likely first: one, or
    /// for a number of unknown form its written and its dialled reading where
    /// they differ.
    pub fn keys(&self, number: &str, form: Form) -> Vec<String> {
        let first = self.canonical(number, form);
        let mut keys = vec![first];
        if form == Form::Unknown {
            let other = self.dialled(number);
            if !keys.contains(&other) {
                keys.push(other);
            }
        }
        keys.retain(|k| !k.is_empty());
        keys
    }

    fn written(&self, number: &str) -> String {
        let trimmed = number.trim();
        if trimmed.contains(['*', '#']) {
            return crate::domain::number::dial_string(trimmed);
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return String::new();
        }
        if trimmed.starts_with('+') {
            return format!("+{digits}");
        }
        let long_enough = |rest: &str| rest.len() >= MIN_SUBSCRIBER_DIGITS;
        if let Some(rest) = digits.strip_prefix(self.international_prefix.as_str()).filter(|r| long_enough(r))
        {
            return format!("+{rest}");
        }
        if self.country_code.is_empty() {
            return digits;
        }
        if let Some(rest) = digits
            .strip_prefix(self.trunk_prefix.as_str())
            .filter(|r| !self.trunk_prefix.is_empty() && long_enough(r) && !r.starts_with('0'))
        {
            return format!("+{}{rest}", self.country_code);
        }
        if self.national_digits != 0
            && digits.len() == usize::from(self.national_digits)
            && !digits.starts_with('0')
        {
            return format!("+{}{digits}", self.country_code);
        }
        digits
    }

    fn dialled(&self, number: &str) -> String {
        let trimmed = number.trim();
        if trimmed.starts_with('+') || trimmed.contains(['*', '#']) {
            return self.written(trimmed);
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        match digits.strip_prefix(self.outside_prefix.as_str()) {
            Some(rest) if !self.outside_prefix.is_empty() && !rest.is_empty() => self.written(rest),
            _ => digits,
        }
    }
}

/// The plan as one line, kept beside the numbers made canonical by it: when the
/// board's plan changes, the stored forms are made again.
impl fmt::Display for DiallingPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "country={} international={} trunk={} national={} outside={}",
            self.country_code,
            self.international_prefix,
            self.trunk_prefix,
            self.national_digits,
            self.outside_prefix
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(cc: &str, trunk: &str, national: u8, outside: &str) -> DiallingPlan {
        DiallingPlan {
            country_code: cc.into(),
            international_prefix: "00".into(),
            trunk_prefix: trunk.into(),
            national_digits: national,
            outside_prefix: outside.into(),
        }
    }

    /// Every form of one number in each plan gives the same canonical number.
    #[test]
    fn the_forms_of_a_number_meet() {
        use Form::*;
        let poland = plan("48", "0", 9, "0");
        let germany = plan("49", "0", 0, "0");
        let uk = plan("44", "0", 0, "9");
        // (plan, the canonical number, its forms)
        type Case<'a> = (&'a DiallingPlan, &'a str, &'a [(&'a str, Form)]);
        let cases: &[Case] = &[
            (
                &poland,
                "+48225550102",
                &[
                    ("+48 22 555 01 02", Written),
                    ("0048225550102", Written),
                    ("0225550102", Written),
                    ("22 555 01 02", Written),
                    ("0 0225550102", Dialled),
                    ("0 225550102", Dialled),
                    ("+48 (22) 555-01-02", Dialled),
                    ("0 0225550102", Unknown),
                    ("0048 22 555 01 02", Unknown),
                ],
            ),
            (
                &germany,
                "+49301234567",
                &[
                    ("+49 30 1234567", Written),
                    ("0049 30 1234567", Written),
                    ("030 1234567", Written),
                    ("030/123 45 67", Written),
                    ("0 030 1234567", Dialled),
                    ("0 0049 30 1234567", Dialled),
                    ("0030 1234567", Unknown),
                ],
            ),
            (
                &uk,
                "+442079460123",
                &[
                    ("+44 20 7946 0123", Written),
                    ("0044 20 7946 0123", Written),
                    ("020 7946 0123", Written),
                    ("(020) 7946-0123", Written),
                    ("9 020 7946 0123", Dialled),
                    ("9 0044 20 7946 0123", Dialled),
                    ("9 020 7946 0123", Unknown),
                ],
            ),
            // A foreign number keeps its own country code in every plan.
            (&poland, "+4930123456", &[("0049 30 123456", Written), ("0 0049 30 123456", Dialled)]),
            (&uk, "+48225550102", &[("0048 22 555 01 02", Written), ("9 0048225550102", Dialled)]),
        ];
        for (plan, canonical, forms) in cases {
            for (number, form) in *forms {
                assert!(
                    plan.keys(number, *form).contains(&canonical.to_string()),
                    "{number:?} as {form:?} in {plan}: {:?}, not {canonical}",
                    plan.keys(number, *form)
                );
            }
        }
    }

    /// What is not a public number stays as it is dialled.
    #[test]
    fn numbers_inside_the_exchange_stay_theirs() {
        use Form::*;
        let poland = plan("48", "0", 9, "0");
        let cases: &[(&str, Form, &str)] = &[
            ("101", Dialled, "101"),
            ("101", Written, "101"),
            ("*21#", Dialled, "*21#"),
            ("#31#0225550102", Written, "#31#0225550102"),
            ("112", Dialled, "112"),
            ("0112", Dialled, "112"),
            ("", Written, ""),
            ("no digits", Written, ""),
            // Too short to be a public number after the prefix.
            ("00123", Written, "00123"),
            ("0 00", Dialled, "00"),
        ];
        for (number, form, expect) in cases {
            assert_eq!(poland.canonical(number, *form), *expect, "{number:?} as {form:?}");
        }
    }

    /// A board that does not name its country still matches international forms.
    #[test]
    fn without_a_country_only_international_forms_meet() {
        let plan = DiallingPlan::default();
        assert_eq!(plan.canonical("+48 22 555 01 02", Form::Written), "+48225550102");
        assert_eq!(plan.canonical("0048225550102", Form::Written), "+48225550102");
        assert_eq!(plan.canonical("0225550102", Form::Written), "0225550102");
        assert_eq!(plan.canonical("0 0048225550102", Form::Dialled), "+48225550102");
    }

    #[test]
    fn an_unknown_form_is_looked_up_both_ways() {
        let poland = plan("48", "0", 9, "0");
        assert_eq!(poland.keys("00225550102", Form::Unknown), ["+225550102", "+48225550102"]);
        assert_eq!(poland.keys("+48225550102", Form::Unknown), ["+48225550102"]);
        assert_eq!(poland.keys("101", Form::Unknown), ["101"]);
        assert!(poland.keys("", Form::Unknown).is_empty());
    }

    #[test]
    fn plans_that_cannot_be_used() {
        let good = plan("48", "0", 9, "0");
        assert_eq!(good.check(), Ok(()));
        let cases: &[(DiallingPlan, &str)] = &[
            (DiallingPlan { country_code: "048".into(), ..good.clone() }, "country_code"),
            (DiallingPlan { country_code: "4848".into(), ..good.clone() }, "country_code"),
            (DiallingPlan { international_prefix: String::new(), ..good.clone() }, "international_prefix"),
            (DiallingPlan { international_prefix: "+".into(), ..good.clone() }, "international_prefix"),
            (DiallingPlan { trunk_prefix: "00".into(), ..good.clone() }, "trunk_prefix"),
            (DiallingPlan { national_digits: 3, ..good.clone() }, "national_digits"),
            (DiallingPlan { outside_prefix: "x".into(), ..good.clone() }, "outside_prefix"),
        ];
        for (plan, field) in cases {
            assert_eq!(plan.check().map_err(|p| p.field), Err(*field), "{plan}");
        }
        assert_eq!(DiallingPlan { country_code: String::new(), ..good }.check(), Ok(()));
    }
}
