//! The choices Settings offer as lists: the partner domain policy, who may invite, and
//! what happens when a guest's access ends.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainPolicy {
    AllowAll,
    Allowlist,
    Denylist,
}

impl DomainPolicy {
    pub const ALL: [(DomainPolicy, &'static str); 3] = [
        (DomainPolicy::AllowAll, "Allow every partner domain"),
        (DomainPolicy::Allowlist, "Allow only the domains listed"),
        (DomainPolicy::Denylist, "Allow every domain except those listed"),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DomainPolicy::AllowAll => "allow_all",
            DomainPolicy::Allowlist => "allowlist",
            DomainPolicy::Denylist => "denylist",
        }
    }

    pub fn parse(s: &str) -> Option<DomainPolicy> {
        Self::ALL.iter().map(|(p, _)| *p).find(|p| p.as_str() == s)
    }
}

/// Who may invite guests (Microsoft Entra's four levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitePolicy {
    Everyone,
    Members,
    AdminsAndInviters,
    Nobody,
}

impl InvitePolicy {
    pub const ALL: [(InvitePolicy, &'static str); 4] = [
        (InvitePolicy::Everyone, "Anyone signed in, guests included"),
        (InvitePolicy::Members, "Members of the organization"),
        (InvitePolicy::AdminsAndInviters, "Only admins, and members given the inviter role"),
        (InvitePolicy::Nobody, "Nobody, admins included"),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InvitePolicy::Everyone => "everyone",
            InvitePolicy::Members => "members",
            InvitePolicy::AdminsAndInviters => "inviters",
            InvitePolicy::Nobody => "nobody",
        }
    }

    pub fn parse(s: &str) -> Option<InvitePolicy> {
        Self::ALL.iter().map(|(p, _)| *p).find(|p| p.as_str() == s)
    }
}

/// What happens to a guest when their last assignment ends or an access review removes
/// them (F12). Stored and shown here; the lifecycle flow acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndOfAccess {
    Nothing,
    Block,
    BlockThenDelete,
}

impl EndOfAccess {
    pub const ALL: [(EndOfAccess, &'static str); 3] = [
        (EndOfAccess::Nothing, "Nothing: the account stays"),
        (EndOfAccess::Block, "Block sign-in"),
        (EndOfAccess::BlockThenDelete, "Block sign-in, then delete after 30 days"),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EndOfAccess::Nothing => "nothing",
            EndOfAccess::Block => "block",
            EndOfAccess::BlockThenDelete => "block_then_delete",
        }
    }

    pub fn parse(s: &str) -> Option<EndOfAccess> {
        Self::ALL.iter().map(|(p, _)| *p).find(|p| p.as_str() == s)
    }
}
