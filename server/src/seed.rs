//! `harbour seed`: a realistic data set for benchmarks and demos — several
//! teams with agents and a supervisor each, one Official Account per team,
//! and many conversations with bilingual (Cantonese/Traditional, Simplified
//! Chinese, English) messages, statuses, assignees, priorities and labels,
//! with the search index filled. Rows are written in large batches straight
//! into the read models; one `seed.loaded` event records what was loaded.

use crate::accounts::{create_team, create_user};
use crate::channels::create_official_account;
use crate::error::{AppError, AppResult};
use crate::search::index_terms;
use crate::secrets::SecretBox;
use crate::store::events::{append, NewEvent};
use crate::store::seed::{write_batch, SeedBatch, SeedValue as V};
use crate::store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use shared::api::{CallbackMode, CreateOfficialAccount, CreateUser};
use shared::{Role, TeamId, UserId};
use std::time::Instant;

#[derive(Clone, Debug)]
pub struct SeedOptions {
    pub conversations: usize,
    pub messages: usize,
    pub teams: usize,
    pub agents_per_team: usize,
    /// Password of every seeded user.
    pub password: String,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions {
            conversations: 100_000,
            messages: 1_000_000,
            teams: 4,
            agents_per_team: 5,
            password: "harbour-seed-password".into(),
        }
    }
}

/// What was loaded, for the caller to print or use.
#[derive(Clone, Debug)]
pub struct Seeded {
    pub teams: Vec<(TeamId, String)>,
    /// (email, team) of each agent.
    pub agents: Vec<(String, TeamId)>,
    pub conversations: usize,
    pub messages: usize,
    pub seconds: f64,
}

/// The callback Token of every seeded channel (plain mode).
pub const SEED_TOKEN: &str = "harbourSeedToken";

const TEAM_NAMES: [&str; 6] = [
    "Loans 貸款",
    "Insurance 保險",
    "Clinic 診所",
    "Wealth 理財",
    "Mortgage 按揭",
    "Cards 信用卡",
];
const NAMES: [&str; 12] = [
    "陳大文",
    "李美玲",
    "張偉",
    "Wong Ka Ho",
    "黄小明",
    "Chan Siu Ming",
    "劉嘉欣",
    "Emily Lau",
    "何志強",
    "王芳",
    "Tsang Wai Man",
    "周杰",
];
const CLIENT_LINES: [&str; 12] = [
    "你好，我想問還款日期",
    "请问我的保单什么时候到期？",
    "Hi, can I change my appointment to Friday?",
    "我想查詢一下貸款利率",
    "收到賬單，但金額好似唔啱",
    "请帮我查一下理赔进度",
    "How do I upload my medical receipt?",
    "今個月可唔可以延遲還款？",
    "我想預約下星期二睇醫生",
    "信用卡年费可以免除吗？",
    "Thanks, that's clear now 🙏",
    "我已經轉咗賬，麻煩確認",
];
const AGENT_LINES: [&str; 10] = [
    "你好！我幫你查一查，請稍等。",
    "您好，您的保单将于下月到期。",
    "Sure, Friday 3 pm is available. Shall I book it?",
    "現時的實際年利率為 6.8%。",
    "我哋已經收到你嘅還款，多謝！",
    "理赔正在处理中，预计三个工作日内完成。",
    "Please send the receipt here as a photo.",
    "可以的，我幫你安排延遲還款申請。",
    "已為你預約星期二上午十時。",
    "Noted, I'll follow up tomorrow.",
];
const LABELS: [&str; 5] = ["VIP", "還款", "claim", "follow-up", "complaint"];
const STATUSES: [(&str, u32); 4] = [
    ("open", 40),
    ("pending", 15),
    ("snoozed", 5),
    ("resolved", 40),
];
const PRIORITIES: [(&str, u32); 4] = [("low", 10), ("normal", 70), ("high", 15), ("urgent", 5)];

fn pick<'a>(rng: &mut StdRng, weighted: &[(&'a str, u32)]) -> &'a str {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut roll = rng.gen_range(0..total);
    for (value, weight) in weighted {
        if roll < *weight {
            return value;
        }
        roll -= weight;
    }
    weighted[0].0
}

pub async fn seed(
    store: &Store,
    secrets: &SecretBox,
    now: i64,
    options: &SeedOptions,
) -> AppResult<Seeded> {
    if options.conversations == 0 || options.teams == 0 || options.teams > TEAM_NAMES.len() {
        return Err(AppError::validation(
            "teams",
            format!(
                "Seed 1 to {} teams and at least one conversation.",
                TEAM_NAMES.len()
            ),
        ));
    }
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(42);
    let run = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let mut teams = Vec::new();
    let mut agents: Vec<(String, TeamId)> = Vec::new();
    let mut staff: Vec<Vec<UserId>> = Vec::new();
    let mut channels = Vec::new();
    for (t, base) in TEAM_NAMES.iter().take(options.teams).enumerate() {
        let name = format!("{base} {run}");
        let team = create_team(store, now, None, &name).await?.id;
        let mut members = Vec::new();
        for i in 0..=options.agents_per_team {
            let role = if i == 0 {
                Role::Supervisor
            } else {
                Role::Agent
            };
            let email = format!(
                "{}{t}-{i}-{run}@seed.harbour.test",
                if i == 0 { "supervisor" } else { "agent" }
            );
            let user = create_user(
                store,
                now,
                None,
                &CreateUser {
                    email: email.clone(),
                    name: format!("{} {}", NAMES[(t * 3 + i) % NAMES.len()], i),
                    role,
                    password: options.password.clone(),
                    teams: vec![team],
                },
            )
            .await?;
            members.push(user.id);
            if role == Role::Agent {
                agents.push((email, team));
            }
        }
        let channel = create_official_account(
            store,
            secrets,
            now,
            None,
            &CreateOfficialAccount {
                name: format!("{base} OA {run}"),
                app_id: format!("wxseed{run}{t:04}"),
                app_secret: "seed-secret".into(),
                token: SEED_TOKEN.into(),
                encoding_aes_key: String::new(),
                mode: CallbackMode::Plain,
                api_base: None,
                team: Some(team),
            },
        )
        .await?
        .channel;
        teams.push((team, name));
        staff.push(members);
        channels.push(channel.id);
    }

    let per_conversation = (options.messages / options.conversations).max(1);
    let mut written_messages = 0;
    let batch = 2_000;
    let mut first = 0;
    while first < options.conversations {
        let last = (first + batch).min(options.conversations);
        let mut contacts = Vec::new();
        let mut conversations = Vec::new();
        let mut labels = Vec::new();
        let mut messages = Vec::new();
        let mut terms = Vec::new();
        for n in first..last {
            let t = n % teams.len();
            let contact = uuid::Uuid::new_v4().to_string();
            let conversation = uuid::Uuid::new_v4().to_string();
            let name = format!("{} {}", NAMES[n % NAMES.len()], n);
            let phone =
                (n % 3 == 0).then(|| format!("+852 {:04} {:04}", 5000 + n % 4000, n % 10_000));
            let count =
                per_conversation + usize::from(n < options.messages % options.conversations);
            // Newest activity spread over the last 90 days.
            let last_at = now - rng.gen_range(0..90 * 86_400_000_i64);
            let status = pick(&mut rng, &STATUSES);
            let mut preview = String::new();
            let mut last_inbound_position = 0;
            let mut last_direction_in = false;
            for p in 0..count {
                let inbound = p % 2 == 0 || rng.gen_bool(0.2);
                let body = if inbound {
                    CLIENT_LINES[rng.gen_range(0..CLIENT_LINES.len())]
                } else {
                    AGENT_LINES[rng.gen_range(0..AGENT_LINES.len())]
                };
                let id = uuid::Uuid::new_v4().to_string();
                let at = last_at - ((count - p) as i64) * 600_000;
                let position = p as i64 + 1;
                if inbound {
                    last_inbound_position = position;
                }
                last_direction_in = inbound;
                preview = body.to_owned();
                messages.push(vec![
                    V::Text(id.clone()),
                    V::Text(channels[t].to_string()),
                    V::Text(conversation.clone()),
                    V::Int(position),
                    V::Text(if inbound { "in" } else { "out" }.into()),
                    V::Text(body.into()),
                    V::Text(format!("seed:{id}")),
                    V::MaybeText((!inbound).then(|| "sent".to_owned())),
                    V::Int(at),
                ]);
                terms.push((id, index_terms(body)));
            }
            written_messages += count;
            let assignee = (rng.gen_bool(0.5))
                .then(|| staff[t][rng.gen_range(1..staff[t].len().max(2))].to_string());
            let waiting = (status != "resolved" && last_direction_in).then_some(last_at);
            contacts.push(vec![
                V::Text(contact.clone()),
                V::Text(channels[t].to_string()),
                V::Text(format!("oSeed{run}{n:08}")),
                V::Text(name),
                V::MaybeText(phone),
                V::Int(last_at - 86_400_000),
            ]);
            conversations.push(vec![
                V::Text(conversation.clone()),
                V::Text(channels[t].to_string()),
                V::Text(contact),
                V::Text(teams[t].0.to_string()),
                V::Text(status.into()),
                V::MaybeText(assignee),
                V::Int(last_at),
                V::Int(last_at - (count as i64) * 600_000),
                V::Text(pick(&mut rng, &PRIORITIES).into()),
                V::MaybeInt((status == "snoozed").then_some(now + 86_400_000)),
                V::MaybeInt(waiting),
                V::Text(preview),
                V::Int(last_inbound_position),
                V::Int(count as i64),
            ]);
            if rng.gen_bool(0.2) {
                labels.push(vec![
                    V::Text(conversation),
                    V::Text(LABELS[rng.gen_range(0..LABELS.len())].into()),
                ]);
            }
        }
        let batch = SeedBatch {
            contacts,
            conversations,
            labels,
            messages,
            terms,
        };
        write_batch(store, batch).await?;
        first = last;
    }
    // Fresh statistics, so the planner knows the new data's shape.
    store.analyze().await?;
    let mut tx = store.begin().await?;
    let payload = json!({ "teams": teams.len(), "agents": agents.len(), "conversations": options.conversations, "messages": written_messages });
    append(&mut tx, now, &[NewEvent::new("seed.loaded", None, payload)]).await?;
    store.commit(tx).await?;
    Ok(Seeded {
        teams,
        agents,
        conversations: options.conversations,
        messages: written_messages,
        seconds: started.elapsed().as_secs_f64(),
    })
}
