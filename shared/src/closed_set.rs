//! `closed_set!`: an enum for a closed set of wire words (a channel's mode,
//! later statuses and priorities), with `as_str`, `FromStr`, `Display`, `ALL`
//! and serde, so the word↔value mapping is written once, here, for both the
//! server and the app.

/// A word that is not in a closed set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownWord {
    /// What the set is, e.g. "callback mode".
    pub set: &'static str,
    pub word: String,
}

impl std::fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} is not a {}", self.word, self.set)
    }
}

impl std::error::Error for UnknownWord {}

/// Declares `pub enum $name` whose variants are written on the wire (JSON,
/// the database) as the given words.
macro_rules! closed_set {
    (
        $(#[$doc:meta])*
        $name:ident ($set:literal) {
            $($(#[$variant_doc:meta])* $variant:ident => $word:literal),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$variant_doc])* #[serde(rename = $word)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// For `#[sqlx(try_from = "String")]` on a row's column.
        impl TryFrom<String> for $name {
            type Error = $crate::closed_set::UnknownWord;
            fn try_from(word: String) -> Result<Self, Self::Error> {
                word.parse()
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::closed_set::UnknownWord;
            fn from_str(word: &str) -> Result<Self, Self::Err> {
                match word {
                    $($word => Ok($name::$variant),)+
                    _ => Err($crate::closed_set::UnknownWord {
                        set: $set,
                        word: word.to_owned(),
                    }),
                }
            }
        }
    };
}

pub(crate) use closed_set;

#[cfg(test)]
mod tests {
    super::closed_set!(
        /// A test set.
        Fruit ("fruit") {
            Apple => "apple",
            /// Documented.
            StarFruit => "star_fruit",
        }
    );

    #[test]
    fn every_value_round_trips_through_its_word_and_json() {
        for fruit in Fruit::ALL {
            assert_eq!(fruit.as_str().parse::<Fruit>(), Ok(*fruit));
            let json = serde_json::to_string(fruit).expect("json");
            assert_eq!(json, format!("\"{fruit}\""));
            assert_eq!(serde_json::from_str::<Fruit>(&json).ok(), Some(*fruit));
        }
        let unknown = "pear".parse::<Fruit>().expect_err("not a fruit");
        assert_eq!(unknown.to_string(), "\"pear\" is not a fruit");
    }
}
