//! The codes partners' systems print and the service stores as sent (institution codes,
//! bill numbers): short ASCII strings of letters, digits and a few punctuation marks.

/// Checks a code as sent: not empty (`required` says what is missing), at most `max_len`
/// characters, each an ASCII letter, a digit or one of `punctuation`.
///
/// # Errors
/// What is wrong with it, for a field violation.
pub fn check_code(
    code: &str,
    required: &str,
    max_len: usize,
    punctuation: &[u8],
) -> Result<(), String> {
    if code.is_empty() {
        return Err(required.to_string());
    }
    if code.len() > max_len {
        return Err(format!("at most {max_len} characters, got {}", code.len()));
    }
    if !code
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || punctuation.contains(&b))
    {
        return Err(format!("only letters, digits{}", listed(punctuation)));
    }
    Ok(())
}

/// `", '-', '_' and '/'"` for the marks `-_/`: the tail of the allowed-characters message.
fn listed(marks: &[u8]) -> String {
    let quoted: Vec<String> = marks.iter().map(|&m| format!("'{}'", m as char)).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => format!(" and {last}"),
        Some((last, rest)) => format!(", {} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_lists_the_allowed_marks() {
        let err = |marks: &[u8]| check_code("a b", "required", 8, marks).unwrap_err();
        assert_eq!(err(b""), "only letters, digits");
        assert_eq!(err(b"-"), "only letters, digits and '-'");
        assert_eq!(err(b"-_"), "only letters, digits, '-' and '_'");
        assert_eq!(err(b"-_./"), "only letters, digits, '-', '_', '.' and '/'");
    }

    #[test]
    fn empty_and_long_codes_are_refused() {
        assert_eq!(
            check_code("", "required: x", 4, b"-").unwrap_err(),
            "required: x"
        );
        assert_eq!(
            check_code("abcde", "required", 4, b"-").unwrap_err(),
            "at most 4 characters, got 5"
        );
        assert!(check_code("a-cd", "required", 4, b"-").is_ok());
        assert!(check_code("单", "required", 4, b"-").is_err());
    }
}
