//! Google Contacts' CSV columns, which the CSV reader (`outlook`) takes beside
//! Outlook's. Google numbers what a contact may have several of: "Phone 2 -
//! Label" and "Phone 2 - Value" in the current export, "Phone 2 - Type" in the
//! older one ("Organization 1 - Name", "Address 1 - City" likewise), and puts
//! several values of one label in one cell, joined by " ::: ". A label marked
//! primary starts with "* ", and so do the system groups ("* myContacts").

use super::NumberKind;

/// What a numbered Google column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The label of phone N ("Mobile", "Work Fax", or the user's own words).
    PhoneLabel(u8),
    /// The numbers of phone N.
    PhoneValue(u8),
    EmailValue,
    Company,
    Title,
    /// The whole address as Google formats it.
    Address,
    Street,
    City,
    Postal,
    Country,
}

/// The column a header names (lower case, white space folded), if it is one of
/// Google's numbered ones that a phonebook keeps. Only the first organization
/// and address are taken: a contact here has one of each.
pub fn column(header: &str) -> Option<Column> {
    let (left, part) = header.split_once(" - ")?;
    let (what, n) = left.rsplit_once(' ')?;
    let n: u8 = n.parse().ok()?;
    let first = n == 1;
    Some(match (what, part) {
        ("phone", "label" | "type") => Column::PhoneLabel(n),
        ("phone", "value") => Column::PhoneValue(n),
        ("e-mail" | "email", "value") => Column::EmailValue,
        ("organization" | "organisation", "name") if first => Column::Company,
        ("organization" | "organisation", "title") if first => Column::Title,
        ("address", "formatted") if first => Column::Address,
        ("address", "street") if first => Column::Street,
        ("address", "city") if first => Column::City,
        ("address", "postal code" | "postcode") if first => Column::Postal,
        ("address", "country") if first => Column::Country,
        _ => return None,
    })
}

/// The kind of number a phone's label says; a label of the user's own (or
/// none) is "other", never a reason to drop the number.
pub fn kind(label: &str) -> NumberKind {
    let label = label.to_lowercase();
    NumberKind::from_words(label.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()))
}

/// The values of one cell: Google joins several with " ::: ".
pub fn values(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(":::").map(str::trim).filter(|v| !v.is_empty())
}

/// Whether a group is one of Google's own ("* myContacts", "* starred"), which
/// is no group of the user's.
pub fn is_system_group(group: &str) -> bool {
    group.starts_with('*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_columns() {
        let cases: &[(&str, Option<Column>)] = &[
            ("phone 1 - label", Some(Column::PhoneLabel(1))),
            ("phone 12 - type", Some(Column::PhoneLabel(12))),
            ("phone 3 - value", Some(Column::PhoneValue(3))),
            ("e-mail 2 - value", Some(Column::EmailValue)),
            ("e-mail 1 - label", None),
            ("organization 1 - name", Some(Column::Company)),
            ("organization 2 - name", None),
            ("organization 1 - title", Some(Column::Title)),
            ("address 1 - formatted", Some(Column::Address)),
            ("address 1 - postal code", Some(Column::Postal)),
            ("address 2 - city", None),
            ("relation 1 - value", None),
            ("phone x - value", None),
            ("phone 999 - value", None),
            ("phonetic first name", None),
        ];
        for (header, column) in cases {
            assert_eq!(super::column(header), *column, "{header}");
        }
    }

    #[test]
    fn labels_to_kinds() {
        let cases: &[(&str, NumberKind)] = &[
            ("Mobile", NumberKind::Mobile),
            ("* Mobile", NumberKind::Mobile),
            ("Work", NumberKind::Work),
            ("Main", NumberKind::Work),
            ("Home", NumberKind::Home),
            ("Work Fax", NumberKind::Fax),
            ("Home Fax", NumberKind::Fax),
            ("Pager", NumberKind::Other),
            ("Google Voice", NumberKind::Other),
            ("Babcia", NumberKind::Other),
            ("Oscar", NumberKind::Other),
            ("", NumberKind::Other),
        ];
        for (label, kind) in cases {
            assert_eq!(super::kind(label), *kind, "{label}");
        }
        assert_eq!(
            values(" +48 600 100 200 ::: 22 123 45 67 ::: ").collect::<Vec<_>>(),
            ["+48 600 100 200", "22 123 45 67"]
        );
        assert!(is_system_group("* myContacts") && !is_system_group("Friends"));
    }
}
