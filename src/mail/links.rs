//! The portal's addresses that mail carries, built on the public URL. The web layer owns
//! the routes; these match them (the tests follow every link a mail holds).

pub struct Links<'a> {
    base: &'a str,
}

impl<'a> Links<'a> {
    pub fn new(public_url: &'a str) -> Links<'a> {
        Links { base: public_url }
    }

    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An uploaded image (the logo in mail's header).
    pub fn image(&self, id: uuid::Uuid) -> String {
        self.at(&crate::domain::image::path(id))
    }

    pub fn signin(&self) -> String {
        self.at("/signin")
    }

    pub fn signup(&self) -> String {
        self.at("/signup")
    }

    pub fn apps(&self) -> String {
        self.at("/apps")
    }

    /// The person's own profile (its security section lists their second factors).
    pub fn profile(&self) -> String {
        self.at("/profile")
    }

    /// A sponsor's page of one of their guests.
    pub fn my_guest(&self, guest_id: uuid::Uuid) -> String {
        self.at(&format!("/guests/{guest_id}"))
    }

    /// A member's list of requests waiting for their decision.
    pub fn approvals(&self) -> String {
        self.at("/approvals")
    }

    /// An invitation's redemption link (`inviteRedeemUrl`).
    pub fn redeem(&self, token: &str) -> String {
        self.at(&format!("/redeem/{token}"))
    }

    /// An invitation mail's "Block future invitations" (the do-not-invite list).
    pub fn do_not_invite(&self, token: &str) -> String {
        self.at(&format!("/unsubscribe/{token}"))
    }

    /// One approver's link to a sign-up request.
    pub fn approve(&self, token: &str) -> String {
        self.at(&format!("/approve/{token}"))
    }

    /// The partner's status page of their request.
    /// An access review's page for one reviewer (F12): opening it changes nothing.
    pub fn review(&self, token: &str) -> String {
        self.at(&format!("/review/{token}"))
    }

    pub fn signup_status(&self, token: &str) -> String {
        self.at(&format!("/signup/status/{token}"))
    }

    /// A one-time sign-in link (the first admin's, from the command line).
    pub fn signin_link(&self, token: &str) -> String {
        self.at(&format!("/signin/link/{token}"))
    }
}
