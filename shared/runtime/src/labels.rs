//! An enum's fixed texts declared once: the method that names each variant and the
//! `Display` that writes the same text, so a report, a log line and an error message cannot
//! drift apart.

/// Declares `$vis const fn $method(self) -> &'static str` on the `Copy` enum `$ty`, one
/// text per variant, and `Display` writing that text. Attributes (doc comments,
/// `#[must_use]`) go on the method.
///
/// ```
/// #[derive(Clone, Copy)]
/// enum Level {
///     Low,
///     High,
/// }
/// xk_runtime::labels! {
///     /// The level's key.
///     pub fn key for Level {
///         Low => "low",
///         High => "high",
///     }
/// }
/// assert_eq!(Level::High.key(), "high");
/// assert_eq!(Level::Low.to_string(), "low");
/// ```
#[macro_export]
macro_rules! labels {
    (
        $(#[$attr:meta])*
        $vis:vis fn $method:ident for $ty:ident {
            $($variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        impl $ty {
            $(#[$attr])*
            $vis const fn $method(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.$method())
            }
        }
    };
}
