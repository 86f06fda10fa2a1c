//! Names the demo county uses: its townships (DOMAIN.md §1; their names live in
//! [`crate::report::names`]), plausible village and
//! community names, and people's names drawn from common surnames and given-name
//! characters. Nothing here names a real person.

use rand::Rng;
use rand::seq::IndexedRandom;

/// A township of the county: its 3-digit code (appended to the county's 6) and name.
#[derive(Debug, Clone, Copy)]
pub struct Township {
    /// The 3 digits after the county code (100-199 镇, 200-399 乡, 400-599 farms).
    pub code: &'static str,
    /// Communities (社区, codes 001-199) the demo gives it.
    pub communities: u32,
    /// Villages (村, codes 200-399) the demo gives it.
    pub villages: u32,
}

/// Gucheng's townships (DOMAIN.md §1), with 48 communities and 242 villages in all.
pub const TOWNSHIPS: [Township; 11] = [
    Township {
        code: "100",
        communities: 20,
        villages: 10,
    },
    Township {
        code: "101",
        communities: 5,
        villages: 30,
    },
    Township {
        code: "102",
        communities: 3,
        villages: 28,
    },
    Township {
        code: "103",
        communities: 3,
        villages: 30,
    },
    Township {
        code: "104",
        communities: 3,
        villages: 28,
    },
    Township {
        code: "105",
        communities: 3,
        villages: 25,
    },
    Township {
        code: "106",
        communities: 3,
        villages: 25,
    },
    Township {
        code: "107",
        communities: 2,
        villages: 22,
    },
    Township {
        code: "108",
        communities: 3,
        villages: 22,
    },
    Township {
        code: "200",
        communities: 2,
        villages: 17,
    },
    Township {
        code: "500",
        communities: 1,
        villages: 5,
    },
];

impl Township {
    /// Its name as the county writes it, from the report's one table of names.
    pub fn name(&self) -> &'static str {
        township_name(self.code).unwrap_or("谷城县")
    }
}

/// The township name of a township's 3 digits, or of any code of 9 digits or more (the
/// digits after the county's 6), from [`crate::report::names`].
pub fn township_name(code: &str) -> Option<&'static str> {
    let t = if code.len() == 3 {
        code
    } else {
        code.get(6..9)?
    };
    crate::report::names::TOWNSHIPS
        .iter()
        .find(|x| x.code.ends_with(t))
        .map(|x| x.zh)
}

const PLACE_FIRST: [&str; 24] = [
    "东", "西", "南", "北", "黄", "白", "青", "石", "柳", "桃", "杨", "李", "马", "龙", "凤", "金",
    "银", "高", "长", "双", "新", "老", "花", "茶",
];
const PLACE_SECOND: [&str; 20] = [
    "山", "河", "湾", "岗", "坪", "冲", "沟", "岭", "桥", "庄", "林", "园", "店", "堰", "畈", "寨",
    "溪", "坡", "洲", "口",
];

/// A place name: two characters, e.g. 柳湾, distinct within `used`.
pub fn place(rng: &mut impl Rng, used: &mut std::collections::HashSet<String>) -> String {
    loop {
        let a = PLACE_FIRST.choose(rng).copied().unwrap_or("东");
        let b = PLACE_SECOND.choose(rng).copied().unwrap_or("山");
        let name = format!("{a}{b}");
        if used.insert(name.clone()) {
            return name;
        }
        // Rare third character when the two-character names run out in a township.
        let c = PLACE_SECOND.choose(rng).copied().unwrap_or("口");
        let name = format!("{a}{b}{c}");
        if used.insert(name.clone()) {
            return name;
        }
    }
}

const SURNAMES: [&str; 30] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧",
];
const GIVEN: [&str; 40] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "兰", "建", "国", "红", "春", "文", "玉", "成",
    "富", "贵", "德", "海", "荣", "金", "凤", "梅",
];

/// A person's name: a surname and one or two given characters.
pub fn person(rng: &mut impl Rng, surname: &str) -> String {
    let g1 = GIVEN.choose(rng).copied().unwrap_or("明");
    if rng.random_bool(0.6) {
        let g2 = GIVEN.choose(rng).copied().unwrap_or("华");
        format!("{surname}{g1}{g2}")
    } else {
        format!("{surname}{g1}")
    }
}

/// A surname for a new household.
pub fn surname(rng: &mut impl Rng) -> &'static str {
    SURNAMES.choose(rng).copied().unwrap_or("王")
}
