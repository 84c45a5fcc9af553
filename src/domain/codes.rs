//! One table per enumeration between its variants and the short words that name
//! them in forms, the database and JSON: `code()` and `from_code()`, written once.

/// Gives an enum `ALL`, `code()` and `from_code()` from one list of pairs.
macro_rules! codes {
    ($ty:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The word that names this value in forms, the database and JSON.
            pub fn code(self) -> &'static str {
                match self {
                    $($ty::$variant => $code),+
                }
            }

            /// The value a word names, if any.
            pub fn from_code(code: &str) -> Option<$ty> {
                match code {
                    $($code => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use codes;
