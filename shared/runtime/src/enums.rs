//! Enum fields from the wire. Every service refuses a required enum the same way: a
//! number the contract does not know, or the unspecified 0, is INVALID_ARGUMENT with one
//! wording, so clients see the same message whichever service they call.

/// A required enum field: the value when the contract knows it and it is not the
/// unspecified 0; otherwise the violation's description, naming `what` and the number sent.
pub fn known<E: TryFrom<i32>>(value: i32, what: &str) -> Result<E, String> {
    match E::try_from(value) {
        Ok(known) if value != 0 => Ok(known),
        _ => Err(format!("required: a known {what}, got {value}")),
    }
}

#[cfg(test)]
mod tests {
    use super::known;

    /// A stand-in for a generated enum: 0 unspecified, 1 and 2 known.
    #[derive(Debug, PartialEq)]
    struct Level(i32);

    impl TryFrom<i32> for Level {
        type Error = ();

        fn try_from(value: i32) -> Result<Self, ()> {
            (0..=2).contains(&value).then_some(Level(value)).ok_or(())
        }
    }

    #[test]
    fn only_a_known_value_other_than_zero_passes() {
        assert_eq!(known::<Level>(2, "level"), Ok(Level(2)));
        assert_eq!(
            known::<Level>(0, "level"),
            Err("required: a known level, got 0".to_string())
        );
        assert_eq!(
            known::<Level>(7, "level"),
            Err("required: a known level, got 7".to_string())
        );
    }
}
