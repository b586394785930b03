//! Pages that say how something ended and what to do next: a link that can no longer be
//! redeemed, a sign-in that is refused. Shared by the sign-in, redemption and federation
//! pages.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use crate::domain::invitation::LinkState;
use crate::domain::user::SignInVerdict;
use crate::flows::redeem::Landing;
use crate::web::page::{Notice, PageCtx, render_with_status};

/// The page for a link that can no longer be redeemed, saying what happened and whom to ask.
pub fn closed(ctx: PageCtx, landing: &Landing) -> HttpResponse {
    let who = &landing.inviter_name;
    let (status, title, message, link) = match landing.state {
        LinkState::Redeemed => (
            StatusCode::GONE,
            "This invitation has already been accepted",
            "Each invitation link works once. If you accepted it, sign in to open your apps.".to_string(),
            Some(("/signin".to_string(), "Sign in".to_string())),
        ),
        LinkState::Revoked => (
            StatusCode::GONE,
            "This invitation was withdrawn",
            format!("{who} withdrew this invitation. If you still need access, ask {who} to invite you again."),
            None,
        ),
        LinkState::Refused => (
            StatusCode::FORBIDDEN,
            "This invitation cannot be accepted",
            format!(
                "The organization cannot admit this account at the moment, so the invitation cannot be accepted. Ask {who} what to do."
            ),
            None,
        ),
        LinkState::Expired | LinkState::Open => (
            StatusCode::GONE,
            "This invitation has expired",
            format!("Invitation links work for a limited time. Ask {who} to send you a new invitation."),
            None,
        ),
    };
    render_with_status(status, &Notice { ctx, title: title.into(), message, link })
}

/// A redeem link that leads to no invitation: most often one a mail program cut short.
pub fn not_valid(ctx: PageCtx) -> HttpResponse {
    let message = "This link leads to no invitation. Open the link from your invitation mail again, or copy all \
                   of it into the address bar: some mail programs cut long links short. If it still does not work, \
                   ask the person who invited you to send the invitation again."
        .to_string();
    let notice = Notice { ctx, title: "This invitation link is not valid".into(), message, link: None };
    render_with_status(StatusCode::NOT_FOUND, &notice)
}

pub fn refusal(ctx: PageCtx, verdict: SignInVerdict) -> HttpResponse {
    let (title, message) = match verdict {
        SignInVerdict::Blocked => (
            "Your access is blocked",
            "An administrator has blocked sign-in for this account. If you think this is a mistake, contact your sponsor at the organization.",
        ),
        SignInVerdict::Expired => (
            "Your access has expired",
            "Guest access for this account has ended. Ask your sponsor at the organization to extend it.",
        ),
        SignInVerdict::WorkforceOnly => (
            "Sign in with your organization's account",
            "Members of this organization sign in through its own sign-in page, not with an email code. Enter your work address on the sign-in page and you will be sent there.",
        ),
        SignInVerdict::DomainRefused => (
            "Your organization's domain is not admitted",
            "The organization no longer admits guests from your email domain, so this account cannot sign in. If you think this is a mistake, contact your sponsor at the organization.",
        ),
        SignInVerdict::NotRedeemed | SignInVerdict::Allowed => (
            "Accept your invitation first",
            "Open the invitation mail you received and follow its link to get started.",
        ),
    };
    render_with_status(StatusCode::FORBIDDEN, &Notice { ctx, title: title.into(), message: message.into(), link: None })
}
