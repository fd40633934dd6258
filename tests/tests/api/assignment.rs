//! Auto-assignment (issue 14 §3): round-robin and least-loaded among the
//! agents who have a socket open and are available, under their capacity;
//! a waiting pool that empties the moment someone comes online or frees
//! capacity; an absent agent's waiting conversations back to the team
//! after the grace (at once for "away"), a reopened one included; two
//! nodes that never give a conversation twice nor overfill an agent.
//! Time moves by the manual clock; auto-assignment runs by hand.

use harbour_server::dispatcher::{Dispatcher, Pass};
use harbour_tests::desk::{act, conversation_of, desk, messages, push, summary, Desk};
use harbour_tests::socket::{hello, next_message, Socket};
use harbour_tests::{on_both_backends, Backend};
use serde_json::{json, Value};
use shared::assignment::AgentView;
use shared::{Role, Seq, UserId};
use std::time::Duration;

on_both_backends!(
    round_robin_fills_online_agents_to_capacity_and_empties_the_pool_when_they_can_take_more,
    an_absent_agents_waiting_conversations_go_back_after_the_grace,
    two_nodes_never_give_a_conversation_twice_nor_overfill_an_agent,
    who_may_see_agents_and_choose_how_a_team_assigns,
    the_floor_shows_a_supervisor_their_teams_waits_and_agents,
    the_floor_hears_agents_come_and_go_on_every_node,
);

const MINUTE: i64 = 60_000;
const GRACE: i64 = 2 * MINUTE;

struct Agent {
    id: UserId,
    email: String,
    name: String,
    token: String,
    socket: Option<Socket>,
}

struct Room {
    desk: Desk,
    dispatcher: Dispatcher,
    next_msg: u64,
}

async fn room(backend: Backend, method: &str) -> Room {
    let desk = desk(backend).await;
    let dispatcher = Dispatcher::new(
        desk.app.store.clone(),
        desk.app.clock.clone(),
        desk.app.roster.clone(),
        GRACE,
    );
    let (code, team) = desk
        .app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/teams/{}/assignment", desk.team_a),
            &desk.admin,
            &json!({ "assignment": method }),
        )
        .await;
    assert_eq!(code, 200, "{team}");
    assert_eq!(team["assignment"], method);
    Room {
        desk,
        dispatcher,
        next_msg: 1,
    }
}

impl Room {
    /// An agent of Loans who may hold `capacity` conversations, not connected.
    async fn agent(&self, name: &str, capacity: i64) -> Agent {
        let app = &self.desk.app;
        let (user, token) = app
            .user_with_role(&self.desk.admin, Role::Agent, &[self.desk.team_a])
            .await;
        let (code, body) = app
            .send_json(
                reqwest::Method::PATCH,
                &format!("/api/v1/users/{}", user.id),
                &self.desk.admin,
                &json!({ "name": name, "capacity": capacity }),
            )
            .await;
        assert_eq!(code, 200, "{body}");
        assert_eq!(body["capacity"], capacity);
        Agent {
            id: user.id,
            email: user.email,
            name: name.to_owned(),
            token,
            socket: None,
        }
    }

    async fn roster(&self) -> Vec<AgentView> {
        let (code, body) = self
            .desk
            .app
            .get_json("/api/v1/agents", &self.desk.admin)
            .await;
        assert_eq!(code, 200, "{body}");
        serde_json::from_value(body).expect("agents")
    }

    async fn standing(&self, agent: &Agent) -> AgentView {
        self.roster()
            .await
            .into_iter()
            .find(|a| a.id == agent.id)
            .expect("on the roster")
    }

    /// Opens the agent's socket and waits until the roster shows it.
    async fn connect(&self, agent: &mut Agent) {
        let (socket, _, _) = hello(&self.desk.app, &agent.token, Seq(0)).await;
        agent.socket = Some(socket);
        self.until_connected(agent, true).await;
    }

    /// Closes the agent's socket and waits until the roster shows it.
    async fn disconnect(&self, agent: &mut Agent) {
        if let Some(mut socket) = agent.socket.take() {
            socket.close(None).await.ok();
        }
        self.until_connected(agent, false).await;
    }

    async fn until_connected(&self, agent: &Agent, connected: bool) {
        for _ in 0..100 {
            if self.standing(agent).await.connected == connected {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{} never became connected={connected}", agent.name);
    }

    /// A follower of Loans writes.
    async fn writes(&mut self, from: &str) {
        push(
            &self.desk.app,
            &self.desk.path_a,
            from,
            self.next_msg,
            "hello",
        )
        .await;
        self.next_msg += 1;
        self.desk.app.clock.advance(1000);
    }

    /// Moves the clock on (a second per message, so waits have an order)
    /// and signs everyone in again.
    async fn later(&mut self, ms: i64, agents: &mut [&mut Agent]) {
        self.desk.app.clock.advance(ms);
        self.desk.admin = self.desk.app.admin_token().await;
        for agent in agents {
            let session: Value = self
                .desk
                .app
                .login_with(
                    &self.desk.app.new_client(),
                    &agent.email,
                    harbour_tests::app::PASSWORD,
                )
                .await
                .json()
                .await
                .expect("session");
            agent.token = session["access_token"].as_str().expect("token").to_owned();
        }
    }

    async fn pass(&self) -> Pass {
        self.dispatcher.pass().await.expect("auto-assignment")
    }

    async fn assignee(&self, from: &str) -> Option<UserId> {
        let id = conversation_of(&self.desk.app, &self.desk.admin, from).await;
        summary(&self.desk.app, &self.desk.admin, id).await.assignee
    }

    /// The fields of the automated entries of `from`'s conversation.
    async fn because(&self, from: &str) -> Vec<Value> {
        let id = conversation_of(&self.desk.app, &self.desk.admin, from).await;
        messages(&self.desk.app, &self.desk.admin, id)
            .await
            .into_iter()
            .filter_map(|m| m.fields)
            .filter(|f| f.get("automated").is_some_and(|a| a == "assignment"))
            .collect()
    }

    async fn set_away(&self, agent: &Agent, availability: &str) {
        let (code, body) = self
            .desk
            .app
            .send_json(
                reqwest::Method::PUT,
                "/api/v1/me/availability",
                &agent.token,
                &json!({ "availability": availability }),
            )
            .await;
        assert_eq!(code, 200, "{body}");
        assert_eq!(body["availability"], availability);
    }
}

async fn round_robin_fills_online_agents_to_capacity_and_empties_the_pool_when_they_can_take_more(
    backend: Backend,
) {
    let mut room = room(backend, "round_robin").await;
    let mut amy = room.agent("Amy", 1).await;
    let mut ben = room.agent("Ben", 1).await;
    let mut cat = room.agent("Cat", 10).await;
    room.connect(&mut amy).await;
    room.connect(&mut ben).await;

    for from in ["f1", "f2", "f3"] {
        room.writes(from).await;
    }
    assert_eq!(
        room.pass().await,
        Pass {
            released: 0,
            assigned: 2
        }
    );
    let mut given = vec![room.assignee("f1").await, room.assignee("f2").await];
    given.sort();
    let mut both = vec![Some(amy.id), Some(ben.id)];
    both.sort();
    assert_eq!(given, both, "one each: both are at capacity");
    assert_eq!(room.assignee("f3").await, None, "f3 waits in the pool");
    let why = room.because("f1").await;
    assert_eq!(why.len(), 1, "{why:?}");
    assert_eq!(why[0]["why"]["trigger"], "round_robin");
    assert_eq!(why[0]["why"]["agents"], 2);
    assert_eq!(why[0]["because"], "round-robin in Loans (2 agents online)");
    let roster = room.standing(&amy).await;
    assert!(
        roster.online && roster.load == 1 && roster.capacity == 1,
        "{roster:?}"
    );
    let roster = room.standing(&cat).await;
    assert!(
        !roster.connected && !roster.online && roster.load == 0,
        "{roster:?}"
    );

    // Cat comes online: the waiting conversation goes to her at once.
    room.connect(&mut cat).await;
    assert_eq!(room.pass().await.assigned, 1);
    assert_eq!(room.assignee("f3").await, Some(cat.id));
    // A new client while Amy and Ben are full: Cat again.
    room.writes("f4").await;
    room.pass().await;
    assert_eq!(room.assignee("f4").await, Some(cat.id));

    // Cat goes away: her waiting conversations go back at once, and wait,
    // since Amy and Ben are full.
    room.set_away(&cat, "away").await;
    assert_eq!(
        room.pass().await,
        Pass {
            released: 2,
            assigned: 0
        }
    );
    assert_eq!(room.assignee("f3").await, None);
    let why = room.because("f3").await;
    assert_eq!(
        why.last().map(|f| f["because"].clone()),
        Some(json!("Cat is away"))
    );
    assert!(!room.standing(&cat).await.online);

    // Amy resolves hers: the longest wait (f3) goes to her.
    let f1 = conversation_of(&room.desk.app, &room.desk.admin, "f1").await;
    let amys = if room.assignee("f1").await == Some(amy.id) {
        f1
    } else {
        conversation_of(&room.desk.app, &room.desk.admin, "f2").await
    };
    let (code, body) = act(
        &room.desk.app,
        &amy.token,
        amys,
        json!({ "action": "resolve" }),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(room.pass().await.assigned, 1);
    assert_eq!(room.assignee("f3").await, Some(amy.id));
    assert_eq!(
        room.assignee("f4").await,
        None,
        "still waiting: everyone is full"
    );

    // Cat is back.
    room.set_away(&cat, "available").await;
    room.pass().await;
    assert_eq!(room.assignee("f4").await, Some(cat.id));
    drop(ben.socket.take());
}

async fn an_absent_agents_waiting_conversations_go_back_after_the_grace(backend: Backend) {
    let mut room = room(backend, "least_loaded").await;
    let mut amy = room.agent("Amy", 10).await;
    let mut ben = room.agent("Ben", 10).await;
    room.connect(&mut amy).await;
    room.connect(&mut ben).await;
    for from in ["f1", "f2", "f3"] {
        room.writes(from).await;
    }
    room.pass().await;
    let mut loads: Vec<i64> = room.roster().await.iter().map(|a| a.load).collect();
    loads.sort();
    assert_eq!(loads, vec![1, 2], "least-loaded spreads them");
    let why = room.because("f1").await;
    assert_eq!(why[0]["why"]["trigger"], "least_loaded");

    // Amy drops off. A reload is not gone: nothing moves inside the grace.
    let amys: Vec<&str> = {
        let mut held = Vec::new();
        for from in ["f1", "f2", "f3"] {
            if room.assignee(from).await == Some(amy.id) {
                held.push(from);
            }
        }
        held
    };
    room.disconnect(&mut amy).await;
    let gone = room.standing(&amy).await;
    assert!(!gone.online && gone.offline_since.is_some(), "{gone:?}");
    room.desk.app.clock.advance(GRACE / 2);
    assert_eq!(room.pass().await, Pass::default());
    // Past the grace, her waiting conversations go to Ben.
    room.desk.app.clock.advance(GRACE);
    let pass = room.pass().await;
    assert_eq!(pass.released, amys.len(), "{pass:?}");
    assert_eq!(pass.assigned, amys.len(), "{pass:?}");
    for from in &amys {
        assert_eq!(room.assignee(from).await, Some(ben.id));
        let why = room.because(from).await;
        let released = &why[why.len() - 2];
        assert_eq!(released["why"]["trigger"], "agent_offline", "{why:?}");
        assert_eq!(released["because"], "Amy has been offline for 3 minutes");
    }

    // Ben resolves f1 and leaves for the night; the client writes again
    // and the conversation reopens, to the pool rather than to Ben.
    let f1 = conversation_of(&room.desk.app, &room.desk.admin, "f1").await;
    let (code, body) = act(
        &room.desk.app,
        &ben.token,
        f1,
        json!({ "action": "resolve" }),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    room.disconnect(&mut ben).await;
    room.later(10 * 60 * MINUTE, &mut [&mut amy]).await;
    room.writes("f1").await;
    room.pass().await;
    assert_eq!(room.assignee("f1").await, None);
    assert_eq!(
        summary(&room.desk.app, &room.desk.admin, f1).await.status,
        shared::api::Status::Open
    );
    // Amy comes in the next morning: everything waiting is hers.
    room.connect(&mut amy).await;
    room.pass().await;
    for from in ["f1", "f2", "f3"] {
        assert_eq!(room.assignee(from).await, Some(amy.id), "{from}");
    }
}

async fn two_nodes_never_give_a_conversation_twice_nor_overfill_an_agent(backend: Backend) {
    let mut room = room(backend, "round_robin").await;
    let mut agents = Vec::new();
    for (name, capacity) in [("Amy", 4), ("Ben", 3), ("Cat", 5)] {
        let mut agent = room.agent(name, capacity).await;
        room.connect(&mut agent).await;
        agents.push(agent);
    }
    for n in 0..20 {
        room.writes(&format!("f{n}")).await;
    }
    let app = &room.desk.app;
    let store = harbour_server::store::Store::connect(&app.db.url, &Default::default())
        .await
        .expect("the second node's connections");
    let other = Dispatcher::new(store, app.clock.clone(), app.roster.clone(), GRACE);
    let (one, two) = tokio::join!(room.dispatcher.pass(), other.pass());
    let (one, two) = (one.expect("node one"), two.expect("node two"));
    assert_eq!(one.assigned + two.assigned, 12, "{one:?} {two:?}");
    for agent in room.roster().await {
        assert_eq!(agent.load, agent.capacity, "{agent:?}");
    }
    let events = app
        .store
        .events_since(0, &["conversation.updated"], 1000)
        .await
        .expect("events");
    let mut assigned: Vec<String> = events
        .iter()
        .filter(|e| e.payload["action"] == "assigned")
        .map(|e| e.payload["conversation"].to_string())
        .collect();
    assert_eq!(assigned.len(), 12);
    assigned.sort();
    assigned.dedup();
    assert_eq!(assigned.len(), 12, "each conversation assigned once");
}

async fn who_may_see_agents_and_choose_how_a_team_assigns(backend: Backend) {
    let room = room(backend, "least_loaded").await;
    let app = &room.desk.app;
    let admin = &room.desk.admin;
    let amy = room.agent("Amy", 3).await;
    let (_, claims_agent) = app
        .user_with_role(admin, Role::Agent, &[room.desk.team_b])
        .await;
    let (_, loans_lead) = app
        .user_with_role(admin, Role::Supervisor, &[room.desk.team_a])
        .await;
    // A supervisor sees the agents of their own teams only.
    let (code, body) = app.get_json("/api/v1/agents", &loans_lead).await;
    assert_eq!(code, 200, "{body}");
    let seen: Vec<AgentView> = serde_json::from_value(body).expect("agents");
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].id, amy.id);
    assert!(seen[0].teams.iter().all(|t| t.id == room.desk.team_a));
    let (code, _) = app.get_json("/api/v1/agents", &claims_agent).await;
    assert_eq!(code, 403);
    // A supervisor chooses for their own team, not another.
    for (team, code) in [(room.desk.team_a, 200), (room.desk.team_b, 403)] {
        let (got, body) = app
            .send_json(
                reqwest::Method::PUT,
                &format!("/api/v1/teams/{team}/assignment"),
                &loans_lead,
                &json!({ "assignment": "round_robin" }),
            )
            .await;
        assert_eq!(got, code, "{body}");
    }
    // Bad input is refused with a clear error and changes nothing.
    let (code, body) = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/teams/{}/assignment", room.desk.team_a),
            admin,
            &json!({ "assignment": "lottery" }),
        )
        .await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["code"], "bad_request", "{body}");
    let (code, body) = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{}", amy.id),
            admin,
            &json!({ "capacity": 0 }),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    assert_eq!(body["field"], "capacity", "{body}");
    assert_eq!(room.standing(&amy).await.capacity, 3);
    let (code, body) = app
        .send_json(
            reqwest::Method::PUT,
            "/api/v1/me/availability",
            &amy.token,
            &json!({ "availability": "asleep" }),
        )
        .await;
    assert_eq!(code, 400, "{body}");
    // Every change is an event.
    let kinds: Vec<String> = app
        .store
        .events_since(0, &["team.assignment", "user.availability"], 100)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, vec!["team.assignment", "team.assignment"]);
}

async fn the_floor_shows_a_supervisor_their_teams_waits_and_agents(backend: Backend) {
    let mut room = room(backend, "round_robin").await;
    let mut amy = room.agent("Amy", 1).await;
    room.connect(&mut amy).await;
    for from in ["f1", "f2", "f3"] {
        room.writes(from).await;
    }
    room.pass().await;
    let app = &room.desk.app;
    let (_, lead) = app
        .user_with_role(&room.desk.admin, Role::Supervisor, &[room.desk.team_a])
        .await;
    let (code, body) = app.get_json("/api/v1/floor", &lead).await;
    assert_eq!(code, 200, "{body}");
    let floor: shared::assignment::FloorView = serde_json::from_value(body).expect("floor");
    assert_eq!(floor.teams.len(), 1, "only Loans: {floor:?}");
    let loans = &floor.teams[0];
    assert_eq!(loans.name, "Loans");
    assert_eq!((loans.waiting, loans.unassigned, loans.open), (3, 2, 3));
    assert_eq!(loans.agents_online, 1);
    assert_eq!(loans.closure, None);
    let f1 = conversation_of(app, &room.desk.admin, "f1").await;
    assert_eq!(
        loans.longest.first().map(|w| w.id),
        Some(f1),
        "the longest wait first"
    );
    assert_eq!(loans.longest[0].open_id, "f1");
    assert_eq!(loans.longest.len(), 3);
    assert!(loans.longest_wait_since.is_some_and(|at| at < floor.at));
    assert_eq!(floor.agents.len(), 1);
    assert_eq!((floor.agents[0].load, floor.agents[0].capacity), (1, 1));
    // A closure for every team shows on the floor.
    let (code, body) = harbour_tests::desk::post(
        app,
        "/api/v1/closures",
        &room.desk.admin,
        &json!({ "reason": "typhoon" }),
    )
    .await;
    assert_eq!(code, 201, "{body}");
    let (_, body) = app.get_json("/api/v1/floor", &lead).await;
    assert_eq!(body["teams"][0]["closure"], "typhoon", "{body}");
    // Admins see every team; agents not at all.
    let (_, body) = app.get_json("/api/v1/floor", &room.desk.admin).await;
    assert_eq!(body["teams"].as_array().map(Vec::len), Some(2), "{body}");
    let (code, _) = app.get_json("/api/v1/floor", &amy.token).await;
    assert_eq!(code, 403);
}

/// The next roster notice on `socket` (other messages skipped).
async fn next_roster(socket: &mut Socket) -> UserId {
    while let Some(message) = next_message(socket).await {
        if let shared::ws::ServerMessage::Roster { user } = message {
            return user;
        }
    }
    panic!("the socket closed or stayed quiet before a roster notice");
}

/// Agents coming online and going (and changing their availability or
/// capacity) reach the floor over the socket: an admin hears of everyone, a supervisor of their own teams' agents only
/// (a Claims agent's coming is never told to the Loans lead), an agent of
/// nobody; on PostgreSQL an agent connecting to another node is heard too.
async fn the_floor_hears_agents_come_and_go_on_every_node(backend: Backend) {
    let room = room(backend, "round_robin").await;
    let app = &room.desk.app;
    let (_, lead_token) = app
        .user_with_role(&room.desk.admin, Role::Supervisor, &[room.desk.team_a])
        .await;
    let (_, claims_lead_token) = app
        .user_with_role(&room.desk.admin, Role::Supervisor, &[room.desk.team_b])
        .await;
    let (bob, bob_token) = app
        .user_with_role(&room.desk.admin, Role::Agent, &[room.desk.team_b])
        .await;
    let mut amy = room.agent("Amy", 2).await;
    let mut ken = room.agent("Ken", 2).await;
    let (mut lead, _, _) = hello(app, &lead_token, Seq(0)).await;
    let (mut claims_lead, _, _) = hello(app, &claims_lead_token, Seq(0)).await;
    let (mut admin, _, _) = hello(app, &room.desk.admin, Seq(0)).await;
    room.connect(&mut ken).await;
    assert_eq!(next_roster(&mut lead).await, ken.id);
    assert_eq!(next_roster(&mut admin).await, ken.id);
    // Stepping away, or a new capacity, is told too.
    room.set_away(&ken, "away").await;
    assert_eq!(next_roster(&mut lead).await, ken.id, "away");
    let (code, body) = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{}", ken.id),
            &room.desk.admin,
            &json!({ "capacity": 3 }),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(next_roster(&mut lead).await, ken.id, "capacity");
    room.set_away(&ken, "available").await;
    assert_eq!(next_roster(&mut lead).await, ken.id, "back");
    for _ in 0..3 {
        assert_eq!(next_roster(&mut admin).await, ken.id);
    }

    let (bob_socket, _, _) = hello(app, &bob_token, Seq(0)).await;
    // Told to Claims' lead; the Loans lead hears Amy next, not Bob.
    assert_eq!(next_roster(&mut claims_lead).await, bob.id);
    assert_eq!(next_roster(&mut admin).await, bob.id);
    room.connect(&mut amy).await;
    assert_eq!(next_roster(&mut lead).await, amy.id);
    room.disconnect(&mut amy).await;
    assert_eq!(next_roster(&mut lead).await, amy.id, "going is told too");
    drop(bob_socket);
    assert_eq!(next_roster(&mut claims_lead).await, bob.id);
    // An agent's own socket hears nobody: Ken's first message after Amy
    // came and went is the ping, or nothing at all.
    let mut ken_socket = ken.socket.take().expect("Ken's socket");
    let heard =
        tokio::time::timeout(Duration::from_millis(500), next_message(&mut ken_socket)).await;
    assert!(
        !matches!(heard, Ok(Some(shared::ws::ServerMessage::Roster { .. }))),
        "{heard:?}"
    );

    if backend == Backend::Postgres {
        let other = app
            .second_node(|config| {
                config.run_workers = false;
                config.secret_key = harbour_server::config::Secret::new(harbour_tests::desk::KEY);
            })
            .await;
        let (_amy_there, _, _) = hello(&other, &amy.token, Seq(0)).await;
        assert_eq!(
            next_roster(&mut lead).await,
            amy.id,
            "heard from the other node"
        );
    }
}
