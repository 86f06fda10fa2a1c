//! The names the report shows for region codes: the county and its townships (DOMAIN.md
//! §1), in Chinese with an English transliteration. The one place these names live.
//!
//! 盛𡐓镇 uses U+21413 (a supplementary-plane character): it is kept as UTF-8 end to end,
//! never replaced by the look-alike 盛康.

/// One named region: its code and its Chinese and English names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionName {
    /// The 6- or 9-digit statistical code.
    pub code: &'static str,
    /// The official Chinese name.
    pub zh: &'static str,
    /// The English (pinyin) name, for the subtitles.
    pub en: &'static str,
}

/// Gucheng County, the model county.
pub const COUNTY: RegionName = RegionName {
    code: "420625",
    zh: "谷城县",
    en: "Gucheng County",
};

/// The townships of Gucheng in code order (DOMAIN.md §1).
pub const TOWNSHIPS: [RegionName; 11] = [
    RegionName {
        code: "420625100",
        zh: "城关镇",
        en: "Chengguan",
    },
    RegionName {
        code: "420625101",
        zh: "石花镇",
        en: "Shihua",
    },
    RegionName {
        code: "420625102",
        zh: "盛\u{21413}镇",
        en: "Shengkang",
    },
    RegionName {
        code: "420625103",
        zh: "庙滩镇",
        en: "Miaotan",
    },
    RegionName {
        code: "420625104",
        zh: "五山镇",
        en: "Wushan",
    },
    RegionName {
        code: "420625105",
        zh: "茨河镇",
        en: "Cihe",
    },
    RegionName {
        code: "420625106",
        zh: "南河镇",
        en: "Nanhe",
    },
    RegionName {
        code: "420625107",
        zh: "紫金镇",
        en: "Zijin",
    },
    RegionName {
        code: "420625108",
        zh: "冷集镇",
        en: "Lengji",
    },
    RegionName {
        code: "420625200",
        zh: "赵湾乡",
        en: "Zhaowan",
    },
    RegionName {
        code: "420625500",
        zh: "薤山林场",
        en: "Xieshan Forest Farm",
    },
];

/// The name of a county or township code, if it is one we know.
pub fn lookup(code: &str) -> Option<RegionName> {
    if code == COUNTY.code {
        return Some(COUNTY);
    }
    TOWNSHIPS.iter().copied().find(|t| t.code == code)
}

/// A label for any region code: the known name; for a village, its township's name and the
/// village's own 3 digits; otherwise the code itself.
pub fn label_zh(code: &str) -> String {
    if let Some(n) = lookup(code) {
        return n.zh.to_string();
    }
    if code.len() == 12
        && let Some(t) = lookup(&code[..9])
    {
        return format!("{} {}", t.zh, &code[9..]);
    }
    code.to_string()
}

/// The English counterpart of [`label_zh`].
pub fn label_en(code: &str) -> String {
    if let Some(n) = lookup(code) {
        return n.en.to_string();
    }
    if code.len() == 12
        && let Some(t) = lookup(&code[..9])
    {
        let kind = match code[9..].parse::<u32>() {
            Ok(1..=199) => "community",
            _ => "village",
        };
        return format!("{} {kind} {}", t.en, &code[9..]);
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shengkang_keeps_its_supplementary_character() {
        let n = lookup("420625102").unwrap();
        assert_eq!(n.zh.chars().nth(1), Some('\u{21413}'));
        assert_eq!(n.zh.chars().count(), 3);
    }

    #[test]
    fn townships_are_in_code_order_and_under_the_county() {
        assert!(TOWNSHIPS.windows(2).all(|w| w[0].code < w[1].code));
        assert!(
            TOWNSHIPS
                .iter()
                .all(|t| t.code.starts_with(COUNTY.code) && t.code.len() == 9)
        );
    }

    #[test]
    fn villages_are_named_by_township_and_unknown_codes_by_code() {
        assert_eq!(label_zh("420625101205"), "石花镇 205");
        assert_eq!(label_en("420625101005"), "Shihua community 005");
        assert_eq!(label_zh("420626"), "420626");
        assert_eq!(label_en("420626"), "");
    }
}
