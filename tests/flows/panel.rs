//! F6 (first part): the Access Panel and profile.

use reqwest::StatusCode;

use crate::helpers::*;

async fn a_guest_edits_their_name_and_signs_out_everywhere(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let link = app.invite("ana@partner.example", &[]).await;
    app.sign_out().await;
    app.prove_with_code(&app.browser, &link, "ana@partner.example").await;
    app.post(&format!("{link}/accept"), &[("accept_terms", "yes")]).await;
    let page = app.post("/profile", &[("display_name", "")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("Enter a name."));
    let page = app.post("/profile", &[("display_name", "Ana María López")]).await;
    assert!(page.has("Your name was saved.") && page.has("value=\"Ana María López\""));
    // A second browser of the same guest.
    let (other, _) = app.new_browser();
    let token = csrf_of(&other, &app.url("/signin")).await;
    other
        .post(app.url("/signin"))
        .form(&[("csrf", token.as_str()), ("email", "ana@partner.example")])
        .send()
        .await
        .unwrap();
    let code = code_in(&app.one_mail("ana@partner.example").await);
    let r = other
        .post(app.url("/signin/code"))
        .form(&[("csrf", token.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.url().path().ends_with("/apps"));
    let page = app.post("/profile/sign-out-everywhere", &[]).await;
    assert!(page.has("You are signed out on every device and browser."), "{}", page.body);
    let r = other.get(app.url("/profile")).send().await.unwrap();
    assert!(r.url().path().starts_with("/signin"), "the other browser is signed out too");
    assert!(app.get("/profile").await.url.contains("/signin"));
    app
}
both!(a_guest_edits_their_name_and_signs_out_everywhere);

/// The Access Panel reads the session and the tiles in one statement (`db::panel`): for
/// seeded guests with apps through groups and directly, and for a user without any, it
/// answers exactly what the plain tiles query answers, in the same order.
async fn the_panels_one_statement_answers_as_the_tiles_query(app: TestApp) -> TestApp {
    use vestibule::db::{apps, panel, sessions};
    app.sign_in_admin("root@contoso.example").await;
    vestibule::flows::dev_seed::seed(&app.state, 60).await.unwrap();
    let wiki = app.add_app("Wiki", "https://wiki.contoso.example/").await;
    // An uploaded icon, so that both statements read one (SQLite hands it over as hex).
    let icon = vestibule::domain::image::Image::parse(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x30\0\0\0\x30".to_vec());
    let actor = vestibule::domain::audit::Actor::system("test");
    vestibule::flows::images::set_app_icon(&app.state, wiki.parse().unwrap(), &icon.unwrap(), &actor).await.unwrap();
    let now = app.state.clock.now();
    let mut c = app.state.db.acquire().await.unwrap();
    let ids: Vec<uuid::Uuid> = match &app.state.db {
        vestibule::db::Db::Sqlite(p, _) => sqlx::query_scalar("SELECT id FROM users").fetch_all(p).await.unwrap(),
        vestibule::db::Db::Postgres(p, _) => sqlx::query_scalar("SELECT id FROM users").fetch_all(p).await.unwrap(),
    };
    let first = ids[0];
    vestibule::db::assignments::assign(c.conn(), wiki.parse().unwrap(), first, now).await.unwrap();
    let mut with_tiles = 0;
    for (n, user_id) in ids.iter().enumerate() {
        let hash = format!("{n:064}");
        let record = sessions::NewSession {
            token_hash: &hash,
            user_id: *user_id,
            client_ip: "",
            user_agent: "",
            amr: "otp",
            second_step_at: None,
        };
        sessions::insert(c.conn(), &record, now).await.unwrap();
        let (found, tiles) = panel::session_and_tiles(c.conn(), &hash, now).await.unwrap().expect("the session");
        assert_eq!(found.user.id, *user_id);
        let expected = apps::tiles_for_user(c.conn(), *user_id, now).await.unwrap();
        assert_eq!(format!("{tiles:?}"), format!("{expected:?}"), "user {n}");
        with_tiles += usize::from(!tiles.is_empty());
    }
    assert!(with_tiles > 10, "only {with_tiles} users had tiles: the comparison proves little");
    let (_, tiles) = panel::session_and_tiles(c.conn(), &format!("{:064}", 0), now).await.unwrap().unwrap();
    assert!(tiles.iter().any(|t| t.icon_image_id.is_some()), "the first user's Wiki has its icon: {tiles:?}");
    assert!(panel::session_and_tiles(c.conn(), &"f".repeat(64), now).await.unwrap().is_none());
    drop(c);
    app
}
both!(the_panels_one_statement_answers_as_the_tiles_query, |s| s.dev_mode = true);
