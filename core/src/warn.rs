//! Internal warning switch: warnings go to `defmt` or `log` when one of those features is on,
//! and nowhere otherwise (the default, dependency-free build).

/// Emits a warning through the enabled logging backend.
///
/// Arguments must be formattable by both `core::fmt` and defmt (`{}` with `&str` or integers).
macro_rules! warning {
    ($target:literal, $fmt:literal $(, $arg:expr)* $(,)?) => {{
        #[cfg(feature = "defmt")]
        {
            defmt::warn!($fmt $(, $arg)*);
        }
        #[cfg(all(feature = "log", not(feature = "defmt")))]
        {
            log::warn!(target: $target, $fmt $(, $arg)*);
        }
        #[cfg(not(any(feature = "log", feature = "defmt")))]
        {
            $(let _ = &$arg;)*
        }
    }};
}

pub(crate) use warning;
