//! Issue 29: partners read the portal and its mails in their own language — the
//! invitation's language through the mail, redemption and the guest's pages after; the
//! browser's and the switcher's on the invitation page; and a pseudo-locale that shows any
//! word on a converted page that did not come from the catalogue.

use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::api::{make_key, read};
use crate::helpers::*;

/// An invitation in French (Graph's `messageLanguage: "fr-FR"`) sends a French mail, and
/// the guest's pages are French once they redeemed it; a language the portal does not
/// speak is a 400 naming those it does.
async fn a_french_invitation_is_french_to_the_end(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let key = make_key(&app, "Lyon", &["invitations:write"]).await;
    let invite = |language: &str| {
        json!({ "invitedUserEmailAddress": "camille@lyon.example", "sendInvitationMessage": true,
                "invitedUserMessageInfo": { "messageLanguage": language } })
    };
    let post = |body: serde_json::Value| {
        let (url, key) = (app.url("/api/v1/invitations"), key.clone());
        async move { read(Client::new().post(url).bearer_auth(key).json(&body).send().await.unwrap()).await }
    };
    let (status, problem) = post(invite("pt-BR")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("en, de, fr, es"), "{problem}");
    let (status, made) = post(invite("fr-FR")).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let mail = app.one_mail("camille@lyon.example").await;
    assert_eq!(mail.subject, "root vous invite à rejoindre Contoso");
    assert!(mail.text_body.contains("Acceptez l’invitation ici"), "{}", mail.text_body);
    assert!(mail.html_body.contains("<html lang=\"fr\"") && mail.html_body.contains("Accepter l’invitation"));

    let (browser, _) = app.new_browser();
    let link = redeem_link_in(&mail);
    let landing = Page::from(browser.get(&link).send().await.unwrap()).await;
    assert!(landing.has("Connectez-vous pour accepter"), "the invitation's language before sign-in: {}", landing.body);
    app.redeem_as(&browser, &link, "camille@lyon.example").await;
    let apps = Page::from(browser.get(app.url("/apps")).send().await.unwrap()).await;
    assert!(apps.has("<html lang=\"fr\" dir=\"ltr\">") && apps.has("Mes applications"), "{}", apps.body);
    app
}
both!(a_french_invitation_is_french_to_the_end);

/// The invitation page speaks the browser's language; the switcher (a GET and a cookie)
/// overrides it and goes back to the page, never elsewhere.
async fn the_browser_and_the_switcher_choose(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let link = app.invite("ana@partner.example", &[]).await;
    let german = Client::new().get(&link).header("Accept-Language", "pt-BR, de;q=0.9, en;q=0.5").send().await;
    let page = Page::from(german.unwrap()).await;
    assert!(page.has("<html lang=\"de\"") && page.has("Zum Annehmen anmelden"), "{}", page.body);
    assert!(page.has("root hat Sie zu Contoso eingeladen"), "{}", page.body);

    let (browser, _) = app.new_browser();
    let path = link.trim_start_matches(&app.base).to_string();
    let switch = app.url(&format!("/language?to=es&back={}", path.replace('/', "%2F")));
    let page = Page::from(browser.get(&switch).header("Accept-Language", "de").send().await.unwrap()).await;
    assert!(page.has("<html lang=\"es\"") && page.has("Inicie sesión para aceptar"), "{}", page.body);
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for back in ["https://evil.example/", "//evil.example/", "/\\evil.example"] {
        let url = format!("{}/language?to=fr&back={}", app.base, back.replace('/', "%2F").replace('\\', "%5C"));
        let r = no_redirects.get(url).send().await.unwrap();
        assert_eq!(r.headers()["location"], "/", "{back} is not followed");
    }
    app
}
both!(the_browser_and_the_switcher_choose);

/// The hard-coded-English detector: in the pseudo-locale, every word on a converted page
/// is accented (it came from the catalogue) or is the data shown (names, addresses).
/// Dates and the switcher's language names (each in its own language) are left out.
async fn the_pseudo_locale_finds_no_hard_coded_words(app: TestApp) -> TestApp {
    app.sign_in_admin("root@contoso.example").await;
    let link = app.invite("ana@partner.example", &[("message", "See you soon")]).await;
    // The data: the inviter, the organization (also after its initial in the brand mark),
    // the guest's address and the inviter's message.
    let data = ["root", "Contoso", "CContoso", "ana@partner.example", "See", "you", "soon"];
    for tag in ["en-XA", "ar-XB"] {
        let page =
            Page::from(Client::new().get(&link).header("Cookie", format!("lang={tag}")).send().await.unwrap()).await;
        assert!(page.has(&format!("<html lang=\"{tag}\"")), "{}", page.body);
        let mut html = page.body.clone();
        for (open, close) in [("<time", "</time>"), ("<nav class=\"languages\"", "</nav>"), ("<head>", "</head>")] {
            while let Some(start) = html.find(open) {
                let end = html[start..].find(close).map(|e| start + e + close.len()).unwrap();
                html.replace_range(start..end, " ");
            }
        }
        let text = text_of(&html);
        let plain: Vec<&str> = text
            .split_whitespace()
            .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
            .filter(|w| !data.iter().any(|d| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '@') == *d))
            .filter(|w| !w.chars().any(|c| "àƀçđéƒĝĥîĵķĺɱñöƥǫŕšţûṽŵẋýžÀƁÇĐÉƑĜĤÎĴĶĹṀÑÖƤǪŔŠŢÛṼŴẊÝŽ".contains(c)))
            .collect();
        assert!(plain.is_empty(), "{tag}: words not from the catalogue: {plain:?}");
    }
    app
}
both!(the_pseudo_locale_finds_no_hard_coded_words);
