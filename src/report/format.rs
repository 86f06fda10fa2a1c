//! Number formatting shared by the table and the HTML page: grouped integers, percentages
//! computed from the data in integer arithmetic, fen as yuan, 0.01 mu as mu.

/// An integer with thousands separators: `49494` -> `49,494`.
pub fn int(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `num / den` as a percentage with two decimals, rounded half up (`736 / 51125` ->
/// `1.44%`); `None` when the denominator is not positive.
pub fn pct(num: i64, den: i64) -> Option<String> {
    if den <= 0 {
        return None;
    }
    // Basis points, rounded half up, in i128 so county-to-country figures never overflow.
    let bp = (i128::from(num) * 20_000 + i128::from(den)) / (2 * i128::from(den));
    let sign = if bp < 0 { "-" } else { "" };
    let bp = bp.abs();
    Some(format!("{sign}{}.{:02}%", bp / 100, bp % 100))
}

/// Fen as yuan with two decimals and separators: `22_000` -> `220.00`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", int((abs / 100) as i64), abs % 100)
}

/// Hundredths of a mu as mu with two decimals: `180_000` -> `1,800.00`.
pub fn mu(centi_mu: i64) -> String {
    yuan(centi_mu)
}

/// The share `part / whole` in 0..=1 for chart widths (0 for an empty whole).
pub fn share(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        (part.max(0) as f64 / whole as f64).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1_000), "1,000");
        assert_eq!(int(49_494), "49,494");
        assert_eq!(int(-1_234_567), "-1,234,567");
    }

    #[test]
    fn percentages_round_half_up_from_the_data() {
        assert_eq!(pct(736, 51_125).as_deref(), Some("1.44%"));
        assert_eq!(pct(1, 8).as_deref(), Some("12.50%"));
        assert_eq!(pct(1, 3).as_deref(), Some("33.33%"));
        assert_eq!(pct(2, 3).as_deref(), Some("66.67%"));
        assert_eq!(pct(5, 5).as_deref(), Some("100.00%"));
        assert_eq!(pct(1, 0), None);
    }

    #[test]
    fn money_and_land() {
        assert_eq!(yuan(22_000), "220.00");
        assert_eq!(yuan(1_088_868_000), "10,888,680.00");
        assert_eq!(yuan(-5), "-0.05");
        assert_eq!(mu(180_000), "1,800.00");
    }

    #[test]
    fn shares_are_clamped() {
        assert_eq!(share(1, 0), 0.0);
        assert_eq!(share(3, 2), 1.0);
        assert!((share(1, 4) - 0.25).abs() < 1e-12);
    }
}
