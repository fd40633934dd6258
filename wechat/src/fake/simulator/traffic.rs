//! Seeded, realistic follower traffic for a Hong Kong account: Cantonese,
//! Simplified Chinese and English texts (emoji now and then), photos, voice
//! notes, places, links, menu clicks, follows and unfollows.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::media::{sample_picture, sample_voice};
use super::{Activity, LinkCard, Place};
use crate::message::OpenId;

/// How many followers [`Traffic::new`] invents.
pub const DEFAULT_FOLLOWERS: usize = 40;

/// The language a follower writes in (their WeChat `language`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    /// Cantonese in Traditional characters, often mixed with English.
    Cantonese,
    /// Mandarin in Simplified characters.
    SimplifiedChinese,
    /// English.
    English,
}

impl Language {
    /// The code WeChat's `user/info` reports.
    pub fn code(self) -> &'static str {
        match self {
            Language::Cantonese => "zh_HK",
            Language::SimplifiedChinese => "zh_CN",
            Language::English => "en",
        }
    }
}

/// A simulated WeChat user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Follower {
    /// Their openid for this account.
    pub openid: OpenId,
    /// Their WeChat nickname.
    pub display_name: String,
    /// The language they write in.
    pub language: Language,
}

impl Follower {
    /// A follower.
    pub fn new(openid: OpenId, display_name: impl Into<String>, language: Language) -> Self {
        Follower {
            openid,
            display_name: display_name.into(),
            language,
        }
    }
}

const CANTONESE_TEXTS: &[&str] = &[
    "你好，我想問還款日期係幾時？",
    "請問利率幾多？",
    "唔該晒",
    "我張信用卡唔見咗，點算好？",
    "我嘅理賠申請批咗未呀？",
    "可唔可以幫我改地址？",
    "點樣可以提早還款？",
    "收到，多謝！",
    "我想搵真人客服",
    "你哋嘅分行喺邊度？",
    "我上個月已經俾咗錢，點解仲話我有欠款？",
    "我想check下我個account balance",
    "可唔可以send份statement俾我？",
    "好嘅，我等你哋覆",
    "請問星期六有冇開？",
];

const SIMPLIFIED_TEXTS: &[&str] = &[
    "我想咨询一下贷款",
    "还款日期是什么时候？",
    "请问利率是多少？",
    "谢谢！",
    "我的理赔申请进度怎么样了？",
    "怎么修改绑定的手机号？",
    "可以提前还款吗？有没有手续费？",
    "我在香港，可以用内地银行卡还款吗？",
    "好的，明白了",
    "人工客服在吗？",
];

const ENGLISH_TEXTS: &[&str] = &[
    "Hi, is my claim approved?",
    "What is the interest rate for a personal loan?",
    "When is my next repayment due?",
    "Thanks a lot!",
    "Can I change my mailing address?",
    "I lost my card, please help",
    "Is anyone there?",
    "OK, got it.",
];

const EMOJI: &[&str] = &["🙏", "😊", "👍", "😅", "❤️", "🤔", "😂", "🙇"];

const CANTONESE_NAMES: &[&str] = &[
    "陳大文",
    "李嘉欣",
    "黃子華",
    "張美玲",
    "何家豪",
    "林小儀",
    "梁志強",
    "吳淑芬",
    "Ka Ho",
    "阿明",
];
const SIMPLIFIED_NAMES: &[&str] = &["王伟", "张敏", "刘洋", "李娜", "陈静", "杨帆", "赵磊"];
const ENGLISH_NAMES: &[&str] = &[
    "Alice Wong",
    "Ben Chan",
    "Chloe Lam",
    "David Ho",
    "Emily Cheung",
    "Frank Lee",
];

/// (latitude, longitude, label) of places around Hong Kong.
const PLACES: &[(&str, &str, &str)] = &[
    (
        "22.281956",
        "114.158168",
        "香港特別行政區中西區皇后大道中99號",
    ),
    (
        "22.297660",
        "114.172189",
        "香港特別行政區油尖旺區彌敦道132號",
    ),
    (
        "22.319303",
        "114.169361",
        "香港特別行政區油尖旺區旺角道33號",
    ),
    (
        "22.280195",
        "114.184820",
        "香港特別行政區灣仔區軒尼詩道500號",
    ),
    (
        "22.382200",
        "114.188800",
        "香港特別行政區沙田區沙田正街18號",
    ),
    (
        "22.371400",
        "114.113400",
        "香港特別行政區荃灣區青山公路荃灣段",
    ),
    ("22.308046", "113.918480", "香港國際機場一號客運大樓"),
    ("22.283800", "114.222500", "香港特別行政區東區太古城道18號"),
];

const LINKS: &[(&str, &str, &str)] = &[
    (
        "我的保單資料",
        "保單號碼 P-2024-0817",
        "https://example.com/policy/P-2024-0817",
    ),
    (
        "还款计划表",
        "贷款编号 L-88231 的还款计划",
        "https://example.com/loans/L-88231/schedule",
    ),
    (
        "Claim form",
        "My completed claim form",
        "https://example.com/claims/C-5521?lang=en&step=2",
    ),
];

const MENU_KEYS: &[&str] = &[
    "MENU_BALANCE",
    "MENU_REPAYMENT_DATE",
    "MENU_CLAIM_STATUS",
    "MENU_CONTACT_AGENT",
    "MENU_BRANCHES",
];

const QR_SCENES: &[&str] = &["branch_central", "poster_mtr", "agent_1024"];

const RECOGNITIONS: [(Language, &str); 3] = [
    (Language::Cantonese, "我想問下我嘅還款日期"),
    (Language::SimplifiedChinese, "我想查询一下账户余额"),
    (Language::English, "I would like to talk to an agent"),
];

/// An endless, seeded stream of `(follower, activity)`: the same seed gives
/// the same stream. Followers who unfollowed only come back by following
/// again, and a few followers are far chattier than the rest.
#[derive(Debug, Clone)]
pub struct Traffic {
    rng: StdRng,
    followers: Vec<Follower>,
    subscribed: Vec<bool>,
    pictures: u32,
}

impl Traffic {
    /// [`DEFAULT_FOLLOWERS`] followers, most already following.
    pub fn new(seed: u64) -> Self {
        Self::with_followers(seed, DEFAULT_FOLLOWERS)
    }

    /// `count` followers (at least one).
    pub fn with_followers(seed: u64, count: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let followers: Vec<Follower> = (0..count.max(1))
            .map(|_| invent_follower(&mut rng))
            .collect();
        // About one in five has not followed yet (or left).
        let subscribed = followers.iter().map(|_| rng.gen_bool(0.8)).collect();
        Traffic {
            rng,
            followers,
            subscribed,
            pictures: 0,
        }
    }

    /// The pool of followers.
    pub fn followers(&self) -> &[Follower] {
        &self.followers
    }

    fn pick_follower(&mut self) -> usize {
        // Squaring a uniform draw favours the first followers: a few regulars
        // write most of the messages.
        let u: f64 = self.rng.gen();
        ((u * u) * self.followers.len() as f64) as usize % self.followers.len()
    }

    fn activity(&mut self, who: usize) -> Activity {
        if !self.subscribed[who] {
            self.subscribed[who] = true;
            let scene = self
                .rng
                .gen_bool(0.3)
                .then(|| (*pick(&mut self.rng, QR_SCENES)).to_owned());
            return Activity::Subscribe { scene };
        }
        let language = self.followers[who].language;
        let roll = self.rng.gen_range(0..100);
        match roll {
            0..=61 => Activity::Text(self.text(language)),
            62..=69 => {
                self.pictures += 1;
                Activity::Image(sample_picture(self.pictures))
            }
            70..=76 => {
                let recognition = self.rng.gen_bool(0.5).then(|| {
                    RECOGNITIONS
                        .iter()
                        .find(|(l, _)| *l == language)
                        .map_or("", |(_, text)| text)
                        .to_owned()
                });
                Activity::Voice {
                    media: sample_voice(self.rng.gen_range(1..=8)),
                    recognition,
                }
            }
            77..=81 => {
                let (latitude, longitude, label) = *pick(&mut self.rng, PLACES);
                Activity::Location(Place {
                    latitude: latitude.to_owned(),
                    longitude: longitude.to_owned(),
                    scale: self.rng.gen_range(15..=18),
                    label: label.to_owned(),
                })
            }
            82..=84 => {
                let (title, description, url) = *pick(&mut self.rng, LINKS);
                Activity::Link(LinkCard {
                    title: title.to_owned(),
                    description: description.to_owned(),
                    url: url.to_owned(),
                })
            }
            85..=96 => Activity::click(*pick(&mut self.rng, MENU_KEYS)),
            _ => {
                self.subscribed[who] = false;
                Activity::Unsubscribe
            }
        }
    }

    fn text(&mut self, language: Language) -> String {
        let texts = match language {
            Language::Cantonese => CANTONESE_TEXTS,
            Language::SimplifiedChinese => SIMPLIFIED_TEXTS,
            Language::English => ENGLISH_TEXTS,
        };
        let text = *pick(&mut self.rng, texts);
        if self.rng.gen_bool(0.2) {
            let emoji = *pick(&mut self.rng, EMOJI);
            let gap = if language == Language::English {
                " "
            } else {
                ""
            };
            format!("{text}{gap}{emoji}")
        } else {
            text.to_owned()
        }
    }
}

impl Iterator for Traffic {
    type Item = (Follower, Activity);

    fn next(&mut self) -> Option<Self::Item> {
        let who = self.pick_follower();
        let activity = self.activity(who);
        Some((self.followers[who].clone(), activity))
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    // Every list here is a non-empty constant.
    items.choose(rng).unwrap_or(&items[0])
}

fn invent_follower(rng: &mut StdRng) -> Follower {
    const OPENID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let openid: String = std::iter::once('o')
        .chain((0..27).map(|_| char::from(*pick(rng, OPENID_CHARS))))
        .collect();
    let language = match rng.gen_range(0..10) {
        0..=4 => Language::Cantonese,
        5..=7 => Language::SimplifiedChinese,
        _ => Language::English,
    };
    let names = match language {
        Language::Cantonese => CANTONESE_NAMES,
        Language::SimplifiedChinese => SIMPLIFIED_NAMES,
        Language::English => ENGLISH_NAMES,
    };
    Follower::new(OpenId::new(openid), *pick(rng, names), language)
}
