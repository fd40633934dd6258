//! Portal sign-in for the iframe: a portal-signed JWT (ES256 from a JWKS,
//! RS256 from a PEM key, HS256 from a shared secret) is checked claim by
//! claim, used once, mapped to a user by the portal's id or email (or
//! creates one), recorded as an event, renews the same sign-in and ends
//! with it. Both backends.

use harbour_server::config::{Config, Secret};
use harbour_server::demo_portal::{PortalPerson, PortalSigner};
use harbour_server::portal::{JitRule, KeySource, PortalConfig};
use harbour_tests::app::spawn_app_on;
use harbour_tests::{on_both_backends, spawn_app, Backend, TestApp, TestDb};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use shared::{Role, Seq};

on_both_backends!(a_portal_token_signs_in_once_and_renews_the_same_sign_in);
on_both_backends!(every_doubtful_portal_token_is_refused_with_its_reason);
on_both_backends!(an_unknown_portal_user_is_created_only_when_the_admin_allows_it);
on_both_backends!(portal_sign_in_is_off_until_configured);
on_both_backends!(an_admin_links_a_user_to_the_portals_id);

const ISSUER: &str = "https://portal.example.com";
const RS256_PRIVATE: &[u8] = include_bytes!("../../fixtures/portal_rs256_private.pem");
const RS256_PUBLIC: &[u8] = include_bytes!("../../fixtures/portal_rs256_public.pem");

fn person(subject: &str, email: &str) -> PortalPerson {
    PortalPerson {
        subject: subject.into(),
        email: email.into(),
        name: "Amy Chan 陳美儀".into(),
    }
}

async fn portal_app(backend: Backend, source: KeySource<'_>, jit: Option<JitRule>) -> TestApp {
    let portal = PortalConfig::new(ISSUER, "harbour", source, jit).expect("portal config");
    spawn_app_on(TestDb::new(backend).await, move |config: &mut Config| {
        config.portal = Some(portal);
        config.frame_ancestors = "'self' https://portal.example.com".into();
    })
    .await
}

/// POSTs a portal token (with a bearer token when renewing).
async fn trade(app: &TestApp, token: &str, bearer: Option<&str>) -> (u16, Value) {
    let mut request = app
        .new_client()
        .post(app.url("/api/v1/auth/portal"))
        .json(&json!({ "token": token }));
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    let response = request.send().await.expect("portal sign-in");
    let status = response.status().as_u16();
    let cookies = response.headers().get_all("set-cookie").iter().count();
    assert_eq!(cookies, 0, "a portal session sets no cookie");
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The sign-in (`sid`) an access token belongs to, read from its payload.
fn sign_in_of(access_token: &str) -> String {
    use base64::Engine;
    let payload = access_token.split('.').nth(1).unwrap_or_default();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap_or_default();
    let claims: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    claims["sid"].as_str().unwrap_or_default().to_owned()
}

async fn events(app: &TestApp, kind: &str) -> Vec<Value> {
    app.store
        .events_after(Seq(0), 10_000)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.payload)
        .collect()
}

async fn a_portal_token_signs_in_once_and_renews_the_same_sign_in(backend: Backend) {
    let signer = PortalSigner::generate(ISSUER, "harbour").expect("key");
    let app = portal_app(backend, KeySource::Jwks(signer.jwks()), None).await;
    let admin = app.admin_token().await;
    let (amy, _) = app.user_with_role(&admin, Role::Agent, &[]).await;

    let (status, settings) = app.get_json("/api/v1/auth/portal", "").await;
    assert_eq!(status, 200);
    assert_eq!(
        settings,
        json!({ "enabled": true, "origins": ["https://portal.example.com"] })
    );

    // Known by email at first; linked to the portal's id from then on.
    let token = signer
        .sign(&person("staff-1042", &amy.email), app.clock.now())
        .expect("sign");
    let (status, session) = trade(&app, &token, None).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["user"]["id"], json!(amy.id));
    let access = session["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, me) = app.get_json("/api/v1/me", &access).await;
    assert_eq!((status, &me["email"]), (200, &json!(amy.email)));

    // Each token signs in once.
    let (status, body) = trade(&app, &token, None).await;
    assert_eq!(
        (status, &body["reason"]),
        (401, &json!("portal_token_reused"))
    );

    // A fresh token with the session's own access token renews that sign-in,
    // found by the portal's id even under another email.
    app.clock.advance(60_000);
    let fresh = signer
        .sign(
            &person("staff-1042", "amy.new@example.com"),
            app.clock.now(),
        )
        .expect("sign");
    let (status, renewed) = trade(&app, &fresh, Some(&access)).await;
    assert_eq!(status, 200, "{renewed}");
    let renewed_access = renewed["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(renewed["user"]["id"], json!(amy.id));
    assert_eq!(sign_in_of(&renewed_access), sign_in_of(&access));

    let logins = events(&app, "auth.portal_login").await;
    assert_eq!(logins.len(), 2);
    assert_eq!(logins[0]["renewed"], false);
    assert_eq!(logins[1]["renewed"], true);
    assert_eq!(logins[0]["subject"], "staff-1042");
    assert_eq!(logins[0]["issuer"], ISSUER);
    assert_eq!(events(&app, "user.portal_linked").await.len(), 1);
    for event in logins {
        assert!(
            !event.to_string().contains(&token) && !event.to_string().contains(&fresh),
            "the token itself is never recorded"
        );
    }

    // Signing out (bearer only: there is no cookie) ends the sign-in.
    let response = app
        .new_client()
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&renewed_access)
        .send()
        .await
        .expect("logout");
    assert_eq!(response.status(), 204);
    let (status, _) = app.get_json("/api/v1/me", &renewed_access).await;
    assert_eq!(status, 401, "the portal sign-in ended");

    // A deactivated user gets no session from the portal either.
    app.update_user(&admin, amy.id, json!({ "active": false }))
        .await;
    let token = signer
        .sign(&person("staff-1042", &amy.email), app.clock.now())
        .expect("sign");
    let (status, body) = trade(&app, &token, None).await;
    assert_eq!((status, &body["code"]), (403, &json!("account_disabled")));
}

fn rs256(claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(RS256_PRIVATE).expect("fixture key");
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).expect("sign")
}

async fn every_doubtful_portal_token_is_refused_with_its_reason(backend: Backend) {
    let app = portal_app(backend, KeySource::PublicKeyPem(RS256_PUBLIC), None).await;
    let admin = app.admin_token().await;
    let (amy, _) = app.user_with_role(&admin, Role::Agent, &[]).await;
    let (ken, _) = app.user_with_role(&admin, Role::Agent, &[]).await;
    let now = app.clock.now() / 1000;
    let claims = |sub: &str, email: &str, jti: &str| {
        json!({
            "iss": ISSUER, "aud": "harbour", "sub": sub, "email": email,
            "name": "Amy Chan", "iat": now, "exp": now + 120, "jti": jti,
        })
    };
    let good = claims("staff-1", &amy.email, "jti-good");
    let (status, body) = trade(&app, &rs256(&good), None).await;
    assert_eq!(status, 200, "{body}");

    let with = |change: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut c = claims("staff-1", &amy.email, &uuid::Uuid::new_v4().to_string());
        if let Some(map) = c.as_object_mut() {
            change(map);
        }
        rs256(&c)
    };
    // The classic confusion: HS256 "signed" with the public key as the secret.
    let confused = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims("staff-1", &amy.email, "jti-confused"),
        &EncodingKey::from_secret(RS256_PUBLIC),
    )
    .expect("sign");
    let cases: Vec<(&str, String)> = vec![
        ("portal_token_invalid", confused),
        ("portal_token_invalid", "not.a.token".into()),
        (
            "portal_wrong_issuer",
            with(&|c| {
                c.insert("iss".into(), json!("https://evil.example"));
            }),
        ),
        (
            "portal_wrong_audience",
            with(&|c| {
                c.insert("aud".into(), json!("another-app"));
            }),
        ),
        (
            "portal_token_incomplete",
            with(&|c| {
                c.remove("jti");
            }),
        ),
        (
            "portal_token_expired",
            with(&|c| {
                c.insert("iat".into(), json!(now - 200));
                c.insert("exp".into(), json!(now - 10));
            }),
        ),
        (
            "portal_token_lifetime",
            with(&|c| {
                c.insert("exp".into(), json!(now + 3600));
            }),
        ),
        // Ken's email, but the portal's id is Amy's (already linked): not Ken.
        (
            "portal_subject_mismatch",
            rs256(&claims("staff-2", &amy.email, "jti-mismatch")),
        ),
        (
            "portal_unknown_user",
            rs256(&claims("staff-3", "nobody@example.com", "jti-unknown")),
        ),
    ];
    for (reason, token) in cases {
        let (status, body) = trade(&app, &token, None).await;
        assert_eq!(status, 401, "{reason}: {body}");
        assert_eq!(body["code"], "unauthenticated", "{reason}");
        assert_eq!(body["reason"], reason, "{body}");
    }
    // A deactivated user is refused before anything is linked.
    let (lee, _) = app.user_with_role(&admin, Role::Agent, &[]).await;
    app.update_user(&admin, lee.id, json!({ "active": false }))
        .await;
    let (status, body) = trade(
        &app,
        &rs256(&claims("staff-9", &lee.email, "jti-lee")),
        None,
    )
    .await;
    assert_eq!((status, &body["code"]), (403, &json!("account_disabled")));
    assert!(events(&app, "user.portal_linked")
        .await
        .iter()
        .all(|e| e["user"] != json!(lee.id)));

    // Ken, asked for by his own email under a new id, is linked and let in.
    let (status, body) = trade(
        &app,
        &rs256(&claims("staff-2", &ken.email, "jti-ken")),
        None,
    )
    .await;
    assert_eq!((status, &body["user"]["id"]), (200, &json!(ken.id)));
    assert!(events(&app, "user.created")
        .await
        .iter()
        .all(|e| e["email"] != "nobody@example.com"));
}

async fn an_unknown_portal_user_is_created_only_when_the_admin_allows_it(backend: Backend) {
    let secret = Secret::new("a shared portal secret of more than 32 bytes".to_owned());
    let jit = JitRule {
        role: Role::Supervisor,
        team: Some("Front desk 前台".into()),
    };
    let app = portal_app(backend, KeySource::SharedSecret(&secret), Some(jit)).await;
    let admin = app.admin_token().await;
    let response = app
        .client
        .post(app.url("/api/v1/teams"))
        .bearer_auth(&admin)
        .json(&json!({ "name": "Front desk 前台" }))
        .send()
        .await
        .expect("team");
    assert_eq!(response.status(), 201);
    let now = app.clock.now() / 1000;
    let claims = json!({
        "iss": ISSUER, "aud": ["crm", "harbour"], "sub": "staff-77",
        "email": "Wing.Lee@Example.com", "name": "Wing Lee 李穎",
        "iat": now, "exp": now + 300, "jti": "jti-77",
    });
    let token = jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.expose().as_bytes()),
    )
    .expect("sign");
    let (status, session) = trade(&app, &token, None).await;
    assert_eq!(status, 200, "{session}");
    let user = &session["user"];
    assert_eq!(user["email"], "wing.lee@example.com");
    assert_eq!(user["name"], "Wing Lee 李穎");
    assert_eq!(user["role"], "supervisor");
    assert_eq!(user["teams"][0]["name"], "Front desk 前台");
    assert_eq!(user["must_change_password"], false);
    let created = events(&app, "user.created").await;
    let created = created
        .iter()
        .find(|e| e["email"] == "wing.lee@example.com")
        .expect("user.created");
    assert_eq!(created["via"], "portal");
    let logins = events(&app, "auth.portal_login").await;
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0]["created"], true);

    // The new user has no password: only the portal signs them in.
    for password in ["", "!portal", "correct horse battery staple"] {
        let response = app
            .login_with(&app.new_client(), "wing.lee@example.com", password)
            .await;
        assert_eq!(response.status(), 401, "{password:?}");
    }
}

async fn portal_sign_in_is_off_until_configured(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, settings) = app.get_json("/api/v1/auth/portal", "").await;
    assert_eq!(status, 200);
    assert_eq!(settings, json!({ "enabled": false, "origins": [] }));
    let signer = PortalSigner::generate(ISSUER, "harbour").expect("key");
    let token = signer
        .sign(&person("staff-1", "amy@example.com"), app.clock.now())
        .expect("sign");
    let (status, body) = trade(&app, &token, None).await;
    assert_eq!((status, &body["code"]), (404, &json!("not_found")));
    // Bad input gets a clear error, not a 500.
    let response = app
        .new_client()
        .post(app.url("/api/v1/auth/portal"))
        .json(&json!({ "tok": 1 }))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 400);
}

async fn patch_user(app: &TestApp, token: &str, id: shared::UserId, body: Value) -> (u16, Value) {
    app.send_json(
        reqwest::Method::PATCH,
        &format!("/api/v1/users/{id}"),
        token,
        &body,
    )
    .await
}

/// An admin links a user to the portal's id when the portal knows them by
/// another email: the portal then signs them in as themselves. A portal ID
/// is one user's (another is refused), blank is refused with its field, and
/// `null` unlinks; only an admin may set it.
async fn an_admin_links_a_user_to_the_portals_id(backend: Backend) {
    let signer = PortalSigner::generate(ISSUER, "harbour").expect("key");
    let app = portal_app(backend, KeySource::Jwks(signer.jwks()), None).await;
    let admin = app.admin_token().await;
    let (amy, amy_token) = app.user_with_role(&admin, Role::Agent, &[]).await;
    let (ken, _) = app.user_with_role(&admin, Role::Agent, &[]).await;
    assert_eq!(amy.external_id, None);

    let (status, linked) =
        patch_user(&app, &admin, amy.id, json!({ "external_id": "  staff-7 " })).await;
    assert_eq!(status, 200, "{linked}");
    assert_eq!(linked["external_id"], "staff-7");
    let token = signer
        .sign(
            &person("staff-7", "amy@portal.example.com"),
            app.clock.now(),
        )
        .expect("sign");
    let (status, session) = trade(&app, &token, None).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(
        session["user"]["id"],
        json!(amy.id),
        "found by the portal's id"
    );

    let (status, taken) =
        patch_user(&app, &admin, ken.id, json!({ "external_id": "staff-7" })).await;
    assert_eq!(
        (status, &taken["reason"]),
        (409, &json!("external_id_taken")),
        "{taken}"
    );
    let (status, blank) = patch_user(&app, &admin, ken.id, json!({ "external_id": " " })).await;
    assert_eq!(
        (status, &blank["field"]),
        (422, &json!("external_id")),
        "{blank}"
    );
    let (status, _) = patch_user(
        &app,
        &amy_token,
        amy.id,
        json!({ "external_id": "staff-8" }),
    )
    .await;
    assert_eq!(status, 403, "only an admin links");

    let (status, unlinked) = patch_user(&app, &admin, amy.id, json!({ "external_id": null })).await;
    assert_eq!(status, 200, "{unlinked}");
    assert_eq!(unlinked["external_id"], Value::Null);
    // Another field alone leaves the link as it is.
    let (_, relinked) = patch_user(&app, &admin, ken.id, json!({ "external_id": "staff-7" })).await;
    assert_eq!(
        relinked["external_id"], "staff-7",
        "free again once Amy was unlinked"
    );
    let (_, renamed) = patch_user(&app, &admin, ken.id, json!({ "name": "Ken Wong" })).await;
    assert_eq!(renamed["external_id"], "staff-7");
    let changes: Vec<Value> = events(&app, "user.updated")
        .await
        .into_iter()
        .filter_map(|e| e["changes"].get("external_id").cloned())
        .collect();
    assert_eq!(
        changes,
        [json!("staff-7"), Value::Null, json!("staff-7")],
        "recorded as applied"
    );
}
