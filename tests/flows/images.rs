//! Issue 26 (18, 20): admins upload an app's icon and the organization's logo (PNG, JPEG or
//! WebP, told by their bytes; SVG and anything else refused; 256 KB at most), stored in the
//! database and served at an address that never changes its bytes; tiles without an icon
//! take a colour from the app's name; My apps gets a search box past eight tiles.

use reqwest::{Client, StatusCode};
use vestibule::domain::tile;

use crate::helpers::*;

const ADMIN: &str = "root@contoso.example";
const BOUNDARY: &str = "----vestibule-image-upload";

/// A real PNG of `w` × `h` blue pixels: IHDR, one IDAT of stored (uncompressed) deflate
/// blocks in a zlib stream, IEND, each chunk with its CRC.
fn png(w: u32, h: u32) -> Vec<u8> {
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    let chunk = |out: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut digest = crc.digest();
        digest.update(kind);
        digest.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&digest.finalize().to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8 bits, RGB, deflate, no filter, no interlace
    // Each scanline: its filter (none), then the pixels.
    let mut line = vec![0];
    line.extend([0x15, 0x65, 0xc0].repeat(w as usize));
    let raw = line.repeat(h as usize);
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&(b << 16 | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A JPEG's start: SOI, a JFIF APP0 segment, and the baseline frame header with its size.
fn jpeg(w: u16, h: u16) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    b.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
    b.extend_from_slice(&h.to_be_bytes());
    b.extend_from_slice(&w.to_be_bytes());
    b.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    b
}

/// A lossless WebP's start: the RIFF header and the VP8L chunk's size bits.
fn webp(w: u32, h: u32) -> Vec<u8> {
    let mut b = b"RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f".to_vec();
    b.extend_from_slice(&((w - 1) | (h - 1) << 14).to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b
}

/// A form with a file, as a browser sends it: the token, then the file.
fn multipart(csrf: &str, file_name: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{BOUNDARY}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Uploads `bytes` to `path` from `browser` with its session's token; follows the redirect.
async fn upload_from(app: &TestApp, browser: &Client, path: &str, file: (&str, &str, &[u8])) -> Page {
    let csrf = csrf_of(browser, &app.url("/signin")).await;
    let (name, content_type, bytes) = file;
    let r = browser
        .post(app.url(path))
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart(&csrf, name, content_type, bytes))
        .send()
        .await
        .unwrap();
    Page::from(r).await
}

async fn upload(app: &TestApp, path: &str, file: (&str, &str, &[u8])) -> Page {
    upload_from(app, &app.browser, path, file).await
}

/// The address of the first uploaded image a page shows.
fn image_on(page: &Page) -> String {
    let id = between(&page.body, "src=\"/images/", "\"").unwrap_or_else(|| panic!("no image on {}", page.body));
    format!("/images/{id}")
}

/// A guest invited to `apps`, signed in in a browser of their own.
async fn guest_with(app: &TestApp, email: &str, apps: &[&str]) -> Client {
    let extra: Vec<(&str, &str)> = apps.iter().map(|id| ("app", *id)).collect();
    let link = app.invite(email, &extra).await;
    let (guest, _) = app.new_browser();
    app.redeem_as(&guest, &link, email).await;
    guest
}

async fn panel_of(app: &TestApp, browser: &Client, path: &str) -> Page {
    Page::from(browser.get(app.url(path)).send().await.unwrap()).await
}

async fn an_uploaded_icon_is_served_for_good_and_shown_on_the_tile(app: TestApp) -> TestApp {
    app.sign_in_admin(ADMIN).await;
    let wiki = app.add_app("Wiki", "https://wiki.contoso.example/").await;
    let guest = guest_with(&app, "ana@partner.example", &[&wiki]).await;
    let colour = format!("tile-icon tile-c{}", tile::colour("Wiki"));
    assert!(panel_of(&app, &guest, "/apps").await.has(&colour), "no icon yet: the initial on its colour");

    let icon = png(48, 48);
    let page = upload(&app, &format!("/admin/apps/{wiki}/icon"), ("wiki.png", "image/png", &icon)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.url.ends_with(&format!("/admin/apps/{wiki}")), "{}", page.url);
    assert!(page.has("The icon of Wiki was uploaded.") && page.has("(uploaded)"), "{}", page.body);
    let src = image_on(&page);
    assert!(app.get("/admin/apps").await.has(&format!("src=\"{src}\"")), "the admin list shows it too");

    // Served to anyone (the logo is on the sign-in page), as the type its bytes are.
    let anonymous = Client::new();
    let r = anonymous.get(app.url(&src)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let header = |name: &str| r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert_eq!(header("content-type"), "image/png");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("cache-control"), "public, max-age=31536000, immutable");
    assert!(header("set-cookie").is_empty(), "nothing personal on a shared cache");
    let etag = header("etag");
    assert!(etag.len() == 66 && etag.starts_with('"'), "a strong ETag (SHA-256): {etag}");
    assert_eq!(r.bytes().await.unwrap().as_ref(), icon.as_slice());
    let again = anonymous.get(app.url(&src)).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.unwrap().is_empty());
    let weak = anonymous.get(app.url(&src)).header("if-none-match", format!("\"x\", W/{etag}")).send().await.unwrap();
    assert_eq!(weak.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(anonymous.get(app.url("/images/not-an-id")).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    // The guest's tile shows it.
    let panel = panel_of(&app, &guest, "/apps").await;
    assert!(panel.has(&format!("<img class=\"tile-icon\" src=\"{src}\"")), "{}", panel.body);
    assert!(!panel.has(&colour));

    // A JPEG, then a WebP, each take the place of the last: a new address, the old one gone.
    let page = upload(&app, &format!("/admin/apps/{wiki}/icon"), ("wiki.jpg", "image/jpeg", &jpeg(64, 64))).await;
    assert!(page.has("The icon of Wiki was uploaded."), "{}", page.body);
    let jpeg_src = image_on(&page);
    assert_ne!(jpeg_src, src);
    assert_eq!(anonymous.get(app.url(&src)).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let r = anonymous.get(app.url(&jpeg_src)).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    // The browser's word is not taken: the bytes are a WebP, whatever it was called.
    let page = upload(&app, &format!("/admin/apps/{wiki}/icon"), ("wiki.png", "image/png", &webp(32, 32))).await;
    let webp_src = image_on(&page);
    let r = anonymous.get(app.url(&webp_src)).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/webp");
    assert_eq!(app.count("SELECT COUNT(*) FROM images").await, 1);

    // Removed: the initial again, and the row gone.
    let page = app.post(&format!("/admin/apps/{wiki}/icon/remove"), &[]).await;
    assert!(page.has("The uploaded icon was removed."), "{}", page.body);
    assert!(panel_of(&app, &guest, "/apps").await.has(&colour));
    assert_eq!(app.count("SELECT COUNT(*) FROM images").await, 0);
    let page = app.post(&format!("/admin/apps/{wiki}/icon/remove"), &[]).await;
    assert!(page.has("Nothing was removed"), "{}", page.body);

    // Deleting an app deletes its icon.
    upload(&app, &format!("/admin/apps/{wiki}/icon"), ("wiki.png", "image/png", &icon)).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM images").await, 1);
    app.post(&format!("/admin/apps/{wiki}/delete"), &[]).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM images").await, 0);

    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "app.icon_uploaded").count(), 4, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| *a == "app.icon_removed").count(), 1, "{actions:?}");
    app
}
both!(an_uploaded_icon_is_served_for_good_and_shown_on_the_tile);

async fn svg_renamed_text_and_large_files_are_refused_and_nothing_is_stored(app: TestApp) -> TestApp {
    app.sign_in_admin(ADMIN).await;
    let wiki = app.add_app("Wiki", "https://wiki.contoso.example/").await;
    let path = format!("/admin/apps/{wiki}/icon");
    let svg = b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let mut heavy = png(16, 16);
    heavy.resize(300 * 1024, 0);
    let cases: [(&str, &str, &[u8], StatusCode, &str); 5] = [
        ("logo.svg", "image/svg+xml", svg, StatusCode::UNPROCESSABLE_ENTITY, "SVG images are not taken"),
        ("notes.png", "image/png", b"just some notes\n", StatusCode::UNPROCESSABLE_ENTITY, "not a PNG, JPEG or WebP"),
        ("empty.png", "image/png", b"", StatusCode::UNPROCESSABLE_ENTITY, "Choose an image file to upload."),
        ("heavy.png", "image/png", &heavy, StatusCode::UNPROCESSABLE_ENTITY, "The image is larger than 256 KB."),
        ("huge.png", "image/png", &png(4096, 16), StatusCode::UNPROCESSABLE_ENTITY, "4096 × 16 pixels"),
    ];
    for (name, content_type, bytes, status, why) in cases {
        let page = upload(&app, &path, (name, content_type, bytes)).await;
        assert_eq!(page.status, status, "{name}: {}", page.body);
        assert!(page.has(why) && page.has("id=\"icon_file-error\""), "{name}: {}", page.body);
        assert!(page.has("aria-invalid=\"true\" aria-describedby=\"icon_file-hint icon_file-error\""), "{name}");
    }
    // A body far over the limit is cut off with a page, not a reset connection.
    let page = upload(&app, &path, ("big.png", "image/png", &vec![0; 1024 * 1024])).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", page.body);
    assert!(page.has("The upload is larger than 256 KB"), "{}", page.body);
    // The logo's form says the same next to its own field.
    let page = upload(&app, "/admin/settings/logo", ("logo.svg", "image/svg+xml", svg)).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.has("SVG images are not taken") && page.has("id=\"logo_file-error\""), "{}", page.body);
    // A forged token.
    let r = app
        .browser
        .post(app.url(&path))
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart("forged", "wiki.png", "image/png", &png(8, 8)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A guest may not upload, with their own session's token.
    let guest = guest_with(&app, "gus@partner.example", &[]).await;
    for target in [path.as_str(), "/admin/settings/logo"] {
        let page = upload_from(&app, &guest, target, ("wiki.png", "image/png", &png(8, 8))).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{target}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM images").await, 0, "nothing was stored");
    assert_eq!(app.count("SELECT COUNT(*) FROM apps WHERE icon_image_id IS NOT NULL").await, 0);
    assert!(!app.audit_actions().await.iter().any(|a| a.ends_with("_uploaded")));
    app
}
both!(svg_renamed_text_and_large_files_are_refused_and_nothing_is_stored);

async fn an_uploaded_logo_brands_pages_and_mail(app: TestApp) -> TestApp {
    app.sign_in_admin(ADMIN).await;
    let page = upload(&app, "/admin/settings/logo", ("logo.png", "image/png", &png(120, 32))).await;
    assert!(page.has("The logo was uploaded."), "{}", page.body);
    let src = image_on(&page);
    assert!(page.has("Remove the uploaded logo"));
    // Every page's header, the sign-in page too.
    let signin = Page::from(Client::new().get(app.url("/signin")).send().await.unwrap()).await;
    assert!(signin.has(&format!("<img class=\"brand-logo\" src=\"{src}\"")), "{}", signin.body);
    // Saving the settings form keeps it (the form does not carry it).
    let page = app.post("/admin/settings", &settings_form(&[("org_name", "Contoso Ltd")])).await;
    assert!(page.has("The settings were saved") && page.has(&format!("src=\"{src}\"")), "{}", page.body);
    // Mail carries its full address.
    app.invite("ana@partner.example", &[]).await;
    let link = format!("{}{src}", app.state.settings.public_url);
    let mail = app.outbox().await.into_iter().find(|m| m.recipient == "ana@partner.example").unwrap();
    assert!(mail.html_body.contains(&link), "{}", mail.html_body);
    // A new logo: a new address; removing it brings back the initial.
    let page = upload(&app, "/admin/settings/logo", ("logo.webp", "image/webp", &webp(200, 50))).await;
    let newer = image_on(&page);
    assert_ne!(newer, src);
    assert_eq!(app.get_raw(&src).await.status(), StatusCode::NOT_FOUND);
    let page = app.post("/admin/settings/logo/remove", &[]).await;
    assert!(page.has("The uploaded logo was removed.") && page.has("class=\"brand-mark\""), "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM images").await, 0);
    let actions = app.audit_actions().await;
    for action in ["settings.logo_uploaded", "settings.logo_removed"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
    app
}
both!(an_uploaded_logo_brands_pages_and_mail);

async fn tiles_with_one_initial_take_colours_from_their_names(app: TestApp) -> TestApp {
    app.sign_in_admin(ADMIN).await;
    let wiki = app.add_app("Wiki", "https://wiki.contoso.example/").await;
    let workday = app.add_app("Workday", "https://workday.contoso.example/").await;
    let guest = guest_with(&app, "ana@partner.example", &[&wiki, &workday]).await;
    let (a, b) = (tile::colour("Wiki"), tile::colour("Workday"));
    assert_ne!(a, b, "these two names were picked to differ");
    let panel = panel_of(&app, &guest, "/apps").await;
    assert!(panel.has(&format!("<span class=\"tile-icon tile-c{a}\" aria-hidden=\"true\">W</span>")), "{}", panel.body);
    assert!(panel.has(&format!("<span class=\"tile-icon tile-c{b}\" aria-hidden=\"true\">W</span>")));
    // The same name, the same colour, on every page.
    let list = app.get("/admin/apps").await;
    assert!(list.has(&format!("tile-icon small tile-c{a}")) && list.has(&format!("tile-icon small tile-c{b}")));
    // No inline style anywhere: the CSP forbids it.
    assert!(!panel.has("style="), "{}", panel.body);
    app
}
both!(tiles_with_one_initial_take_colours_from_their_names);

async fn more_than_eight_apps_get_a_search_box(app: TestApp) -> TestApp {
    app.sign_in_admin(ADMIN).await;
    let names = ["Atlas", "Billing", "Calendar", "Docs", "Expenses", "Forms", "Git", "Helpdesk", "Wiki"];
    let mut ids = Vec::new();
    for name in names {
        ids.push(app.add_app(name, &format!("https://{}.contoso.example/", name.to_lowercase())).await);
    }
    let eight: Vec<&str> = ids[..8].iter().map(String::as_str).collect();
    let nine: Vec<&str> = ids.iter().map(String::as_str).collect();
    let few = guest_with(&app, "ana@partner.example", &eight).await;
    let many = guest_with(&app, "bo@partner.example", &nine).await;

    // Eight fit at a glance: no search box, and a typed query is ignored.
    let page = panel_of(&app, &few, "/apps?q=wiki").await;
    assert!(!page.has("role=\"search\"") && page.has("Atlas") && page.has("Helpdesk"), "{}", page.body);

    let page = panel_of(&app, &many, "/apps").await;
    assert!(page.has("role=\"search\"") && page.has("<label for=\"q\">Find an app"), "{}", page.body);
    assert!(page.has("method=\"get\" action=\"/apps\""));
    // Letter case aside, in the name or the description (every app's is "Shared docs").
    let page = panel_of(&app, &many, "/apps?q=WIKI").await;
    assert!(page.has(">Wiki</span>") && !page.has(">Atlas</span>"), "{}", page.body);
    assert!(page.has("1 of your 9 apps match “WIKI”") && page.has("href=\"/apps\">Show all apps"), "{}", page.body);
    assert!(page.has("value=\"WIKI\""));
    let page = panel_of(&app, &many, "/apps?q=shared+docs").await;
    assert_eq!(page.body.matches("class=\"tile\"").count(), 9, "{}", page.body);
    let page = panel_of(&app, &many, "/apps?q=payroll").await;
    assert!(page.has("No apps match “payroll”") && page.has("show all 9 apps"), "{}", page.body);
    assert!(!page.has("class=\"tile\""));
    // Typed markup comes back escaped.
    let page = panel_of(&app, &many, "/apps?q=%3Cb%3E").await;
    assert!(page.has("No apps match “&#60;b&#62;”"), "{}", page.body);
    app
}
both!(more_than_eight_apps_get_a_search_box);
