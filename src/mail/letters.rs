//! One function per kind of mail; each renders an askama text part and HTML part.

use askama::Template;

use super::{Branding, Letter};
use crate::i18n::{self, Lang};

/// The HTML part wraps a body in the branded mail layout.
#[derive(Template)]
#[template(path = "mail/layout.html")]
struct HtmlPart<'a> {
    lang: Lang,
    brand: &'a Branding,
    heading: &'a str,
    body: &'a str,
    button: Option<(&'a str, &'a str)>,
    footnote: &'a str,
    /// An invitation's "Block future invitations" link, under the footnote.
    block: Option<&'a str>,
}

impl HtmlPart<'_> {
    fn t(&self, id: &str) -> String {
        i18n::t(self.lang, id)
    }

    /// A message that names the organization.
    fn t_org(&self, id: &str) -> String {
        i18n::t_args(self.lang, id, &[("org", &self.brand.org_name)])
    }
}

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct InvitationText<'a> {
    brand: &'a Branding,
    w: &'a InvitationWords,
    message: &'a str,
    link: &'a str,
    block: &'a str,
}

#[derive(Template)]
#[template(path = "mail/invitation_body.html")]
struct InvitationBody<'a> {
    w: &'a InvitationWords,
    message: &'a str,
}

/// The invitation mail's sentences in its language.
struct InvitationWords {
    invited: String,
    invited_html: String,
    their_message: String,
    accept_here: String,
    sign_in: String,
    unexpected: String,
    block: String,
    block_link: String,
}

impl InvitationWords {
    fn new(lang: Lang, brand: &Branding, i: &Invitation<'_>) -> InvitationWords {
        let org = brand.org_name.as_str();
        let who = match i.inviter_address {
            Some(a) => format!("{} ({a})", i.inviter),
            None => i.inviter.to_string(),
        };
        let who_html = match i.inviter_address {
            Some(a) => format!("<strong>{}</strong> ({})", i18n::escape(i.inviter), i18n::escape(a)),
            None => format!("<strong>{}</strong>", i18n::escape(i.inviter)),
        };
        let org_html = format!("<strong>{}</strong>", i18n::escape(org));
        let sign_in =
            if brand.work_accounts { "mail-invitation-sign-in-either" } else { "mail-invitation-sign-in-code" };
        InvitationWords {
            invited: i18n::t_args(lang, "mail-invitation-invited", &[("inviter", &who), ("org", org)]),
            invited_html: i18n::with_markup(
                lang,
                "mail-invitation-invited",
                &[("inviter", &who_html), ("org", &org_html)],
            ),
            their_message: i18n::t(lang, "mail-invitation-their-message"),
            accept_here: i18n::t(lang, "mail-invitation-accept-here"),
            sign_in: i18n::t_args(lang, sign_in, &[("org", org), ("until", i.expires)]),
            unexpected: i18n::t(lang, "mail-invitation-unexpected"),
            block: i18n::t_args(lang, "mail-invitation-block", &[("org", org)]),
            block_link: i18n::t(lang, "mail-invitation-block-link"),
        }
    }
}

/// An invitation mail's particulars. `inviter`: a person's name with their address
/// (replies go to them), or the organization's name with none. `block`: the link that
/// puts the address on the do-not-invite list.
pub struct Invitation<'a> {
    pub lang: Lang,
    pub inviter: &'a str,
    pub inviter_address: Option<&'a str>,
    pub message: &'a str,
    pub link: &'a str,
    pub expires: &'a str,
    pub block: &'a str,
}

#[derive(Template)]
#[template(path = "mail/code.txt")]
struct CodeText<'a> {
    brand: &'a Branding,
    purpose: &'a str,
    code: &'a str,
}

#[derive(Template)]
#[template(path = "mail/code_body.html")]
struct CodeBody<'a> {
    purpose: &'a str,
    code: &'a str,
}

fn html(
    brand: &Branding,
    heading: &str,
    body: &str,
    button: Option<(&str, &str)>,
    footnote: &str,
) -> askama::Result<String> {
    HtmlPart { lang: Lang::En, brand, heading, body, button, footnote, block: None }.render()
}

pub fn invitation(brand: &Branding, i: &Invitation<'_>) -> askama::Result<Letter> {
    let lang = i.lang;
    let w = InvitationWords::new(lang, brand, i);
    let org = brand.org_name.as_str();
    let letter = Letter {
        sender_name: brand.org_name.clone(),
        reply_to: None,
        cc: None,
        subject: i18n::t_args(lang, "mail-invitation-subject", &[("inviter", i.inviter), ("org", org)]),
        text: InvitationText { brand, w: &w, message: i.message, link: i.link, block: i.block }.render()?,
        html: HtmlPart {
            lang,
            brand,
            heading: &i18n::t_args(lang, "mail-invitation-heading", &[("org", org)]),
            body: &InvitationBody { w: &w, message: i.message }.render()?,
            button: Some((&i18n::t(lang, "mail-invitation-button"), i.link)),
            footnote: &w.unexpected,
            block: Some(i.block),
        }
        .render()?,
    };
    Ok(match i.inviter_address {
        Some(address) => letter.replying_to(i.inviter, address),
        None => letter,
    })
}

/// What an approved request gave the partner, as their mail says it.
pub struct Approved<'a> {
    pub package: &'a str,
    /// The deciding person's name; empty when nobody had to decide.
    pub by: &'a str,
    /// The approver's note to the partner; may be empty.
    pub note: &'a str,
    /// The names of the apps that came with it.
    pub apps: &'a [String],
    /// When the access ends, in words; empty when it does not.
    pub until: &'a str,
}

/// Where the approval mail sends the partner: to accept an invitation first, or straight
/// to their apps when they can sign in already.
enum Next<'a> {
    Invitation { link: &'a str, expires: &'a str },
    Apps { url: &'a str },
}

#[derive(Template)]
#[template(path = "mail/approved.txt")]
struct ApprovedText<'a> {
    brand: &'a Branding,
    a: &'a Approved<'a>,
    next: &'a Next<'a>,
}

#[derive(Template)]
#[template(path = "mail/approved_body.html")]
struct ApprovedBody<'a> {
    brand: &'a Branding,
    a: &'a Approved<'a>,
    next: &'a Next<'a>,
}

fn approved(brand: &Branding, a: &Approved<'_>, next: &Next<'_>) -> askama::Result<Letter> {
    let body = ApprovedBody { brand, a, next }.render()?;
    let (subject, button, footnote) = match next {
        Next::Invitation { link, .. } => (
            format!("Your request for {} was approved", a.package),
            ("Accept invitation", *link),
            "You asked for this access on the sign-up page.",
        ),
        Next::Apps { url } => {
            (format!("You now have access to {}", a.package), ("Open your apps", *url), "You asked for this access.")
        }
    };
    Ok(Letter {
        sender_name: brand.org_name.clone(),
        reply_to: None,
        cc: None,
        subject,
        text: ApprovedText { brand, a, next }.render()?,
        html: html(brand, "Your request was approved", &body, Some(button), footnote)?,
    })
}

/// The invitation of a partner whose request was approved: they accept it to get started.
pub fn approved_invitation(brand: &Branding, a: &Approved<'_>, link: &str, expires: &str) -> askama::Result<Letter> {
    approved(brand, a, &Next::Invitation { link, expires })
}

/// To a partner who can sign in already: the approved access is in their Access Panel.
pub fn approved_access(brand: &Branding, a: &Approved<'_>, apps_url: &str) -> askama::Result<Letter> {
    approved(brand, a, &Next::Apps { url: apps_url })
}

/// What a one-time code is for, as its mail says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeUse {
    SignIn,
    AcceptInvitation,
    ConfirmRequest,
}

impl CodeUse {
    /// Completes "Use this code to …".
    fn words(self, org: &str) -> String {
        match self {
            CodeUse::SignIn => format!("sign in to {org}"),
            CodeUse::AcceptInvitation => format!("accept your invitation to {org}"),
            CodeUse::ConfirmRequest => format!("confirm your request for access to {org}"),
        }
    }
}

pub fn one_time_code(brand: &Branding, code_use: CodeUse, code: &str) -> askama::Result<Letter> {
    let purpose = &code_use.words(&brand.org_name);
    let body = CodeBody { purpose, code }.render()?;
    Ok(Letter {
        sender_name: brand.org_name.clone(),
        reply_to: None,
        cc: None,
        // Never the code itself: subjects show on lock screens and stay in the outbox.
        subject: format!("Your one-time code for {}", brand.org_name),
        text: CodeText { brand, purpose, code }.render()?,
        html: html(
            brand,
            "Your one-time code",
            &body,
            None,
            "The code is valid for 10 minutes. If you did not ask for it, ignore this mail: nobody can sign in without it.",
        )?,
    })
}

#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct NoticeText<'a> {
    brand: &'a Branding,
    heading: &'a str,
    paragraph: &'a str,
    button: Option<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "mail/notice_body.html")]
struct NoticeBody<'a> {
    paragraph: &'a str,
}

/// A plain message: a heading, a paragraph and maybe one button.
pub fn notice(
    brand: &Branding,
    subject: &str,
    heading: &str,
    paragraph: &str,
    button: Option<(&str, &str)>,
) -> askama::Result<Letter> {
    let body = NoticeBody { paragraph }.render()?;
    Ok(Letter {
        sender_name: brand.org_name.clone(),
        reply_to: None,
        cc: None,
        subject: subject.to_string(),
        text: NoticeText { brand, heading, paragraph, button }.render()?,
        html: html(brand, heading, &body, button, "This mail was sent automatically; replies are not read.")?,
    })
}
