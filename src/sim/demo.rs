//! The demo exchange of the simulated board: twenty named extensions, a hunt
//! group, the voicemail system on 800 and an outside line on 0. Used only where
//! the board is simulated, never on a real one.

use super::{Plan, SimExtension};

pub const DEMO_EXTENSIONS: &[(&str, &str)] = &[
    ("100", "Anna Kowalska"),
    ("101", "Piotr Nowak"),
    ("102", "Katarzyna Wiśniewska"),
    ("103", "Tomasz Wójcik"),
    ("104", "Magdalena Kamińska"),
    ("105", "Michał Lewandowski"),
    ("106", "Agnieszka Zielińska"),
    ("107", "Jan Szymański"),
    ("110", "Julia Schmidt"),
    ("111", "Lukas Müller"),
    ("112", "Sophie Weber"),
    ("113", "Felix Wagner"),
    ("114", "Emma Becker"),
    ("115", "Paul Hoffmann"),
    ("120", "Olivia Smith"),
    ("121", "James Taylor"),
    ("122", "Amelia Brown"),
    ("123", "George Wilson"),
    ("124", "Isla Davies"),
    ("125", "Reception"),
];

/// The demo numbering plan.
pub fn plan() -> Plan {
    Plan {
        extensions: DEMO_EXTENSIONS
            .iter()
            .map(|(n, name)| SimExtension { number: (*n).to_owned(), name: (*name).to_owned() })
            .collect(),
        groups: vec![("600".into(), vec!["100".into(), "101".into(), "125".into()])],
        voicemail: "800".into(),
        outside_prefix: "0".into(),
    }
}
