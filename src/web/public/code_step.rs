//! The email-code step that sign-in, sign-up and redemption share: one page, one way of
//! reading what was typed, one way of saying that it was wrong or that the code is spent.
//! What the code proves, and what happens next, stays with each flow.

use actix_web::HttpResponse;
use askama::Template;
use serde::Deserialize;

use crate::web::page::{Notice, PageCtx, render, render_invalid};

/// What the code is for: the words and addresses of the page depend on it.
pub enum Step {
    SignIn,
    SignUp,
    /// Redeeming the invitation behind this link token.
    Redeem(String),
}

#[derive(Template)]
#[template(path = "public/code.html")]
struct CodePage {
    ctx: PageCtx,
    step: Step,
    email: String,
    error: Option<String>,
}

impl CodePage {
    fn title(&self) -> &'static str {
        match self.step {
            Step::SignUp => "Confirm your address",
            Step::SignIn | Step::Redeem(_) => "Enter your code",
        }
    }

    fn action(&self) -> String {
        match &self.step {
            Step::SignIn => "/signin/code".into(),
            Step::SignUp => "/signup/verify".into(),
            Step::Redeem(token) => format!("/redeem/{token}/verify"),
        }
    }

    fn button(&self) -> &'static str {
        match self.step {
            Step::SignIn => "Sign in",
            Step::SignUp => "Confirm my address",
            Step::Redeem(_) => "Continue",
        }
    }
}

/// The page that asks for the code.
pub fn ask(ctx: PageCtx, step: Step, email: String) -> HttpResponse {
    render(&CodePage { ctx, step, email, error: None })
}

/// The page again, with why the code was refused next to the field.
fn again(ctx: PageCtx, step: Step, email: String, error: String) -> HttpResponse {
    render_invalid(&CodePage { ctx, step, email, error: Some(error) })
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    pub code: String,
}

/// The typed code as its 8 digits; people may type spaces and dashes.
pub fn digits(typed: &str) -> Option<String> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    (digits.len() == 8 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

/// Something that is not a code was typed.
pub fn malformed(ctx: PageCtx, step: Step, email: String) -> HttpResponse {
    again(ctx, step, email, "Enter the 8-digit code from the mail.".into())
}

/// A wrong code, with the tries that are left.
pub fn wrong(ctx: PageCtx, step: Step, email: String, tries_left: i64) -> HttpResponse {
    let tries = if tries_left == 1 { "try" } else { "tries" };
    again(ctx, step, email, format!("That code is not right. {tries_left} {tries} left."))
}

/// The code is used, expired or out of tries: where to get a new one.
pub fn spent(ctx: PageCtx, step: &Step) -> HttpResponse {
    let (how, link, words) = match step {
        Step::SignIn => ("Ask for a new one.", "/signin".to_string(), "Get a new code"),
        Step::SignUp => ("Send the form again to get a new one.", "/signup".to_string(), "Back to the sign-up page"),
        Step::Redeem(token) => {
            ("Go back to your invitation to get a new one.", format!("/redeem/{token}"), "Back to the invitation")
        }
    };
    render_invalid(&Notice {
        ctx,
        title: "This code no longer works".into(),
        message: format!("Codes work once, for 10 minutes, and for at most 5 tries. {how}"),
        link: Some((link, words.into())),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_read_as_people_type_them() {
        assert_eq!(super::digits(" 1234-5678 ").as_deref(), Some("12345678"));
        assert_eq!(super::digits("1234 567"), None);
        assert_eq!(super::digits("abcdefgh"), None);
    }
}
