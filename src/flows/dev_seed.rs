//! `vestibule dev seed --guests N`: fills a development database with realistic data — partner
//! organizations and their guests in every state, each with the invitation that brought
//! them, group memberships, apps, and the audit events those left — to measure the portal
//! at scale (scripts/bench.sh `BENCH=scale`). The same seed gives the same people: a fixed
//! pseudo-random sequence, not a secret one. Refused unless `dev_mode` is set.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::db::seed::{self, SeedEvent, SeedGuest, SeedInvitation};
use crate::db::{Page, apps, groups, links, users};
use crate::domain::audit::Action;
use crate::domain::user::UserState;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Guests written per transaction (a few statements of a few hundred rows each).
const CHUNK: usize = 500;
const ORGANIZATIONS: usize = 400;

const FIRST: &[&str] = &[
    "Ada", "Alan", "Amara", "Anders", "Aiko", "Bea", "Bruno", "Camille", "Chen", "Chiara", "Dara", "David", "Elena",
    "Emeka", "Farah", "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jamal", "Jana", "Jonas", "Kai", "Kemal",
    "Lars", "Leila", "Lucas", "Maja", "Marta", "Mateo", "Mei", "Nadia", "Nils", "Noor", "Olga", "Omar", "Paula",
    "Pedro", "Priya", "Quinn", "Rahul", "Rosa", "Sami", "Sofia", "Tariq", "Tomas", "Una", "Vera", "Wei", "Yara",
    "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Abara",
    "Berg",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quist",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Umarov",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Novak",
    "Silva",
    "Martin",
    "Lindqvist",
    "Mensah",
    "Horvat",
    "Kim",
    "Singh",
];
const NAME_PARTS: &[&str] = &[
    "North", "Blue", "Iron", "Cedar", "Harbor", "Summit", "Silver", "Granite", "River", "Bright", "Delta", "Oak",
    "Falcon", "Prairie", "Coral", "Atlas", "Beacon", "Crescent", "Ember", "Juniper",
];
const NAME_KINDS: &[&str] =
    &["Logistics", "Consulting", "Labs", "Engineering", "Foods", "Legal", "Design", "Health", "Energy", "Freight"];
const APPS: &[&str] = &[
    "Contracts",
    "Supplier Portal",
    "Timesheets",
    "Wiki",
    "Project Rooms",
    "Invoices",
    "Design Reviews",
    "Service Desk",
    "Training",
    "Shared Drive",
    "Forecasts",
    "Quality Reports",
    "Purchase Orders",
    "Shipping",
    "Compliance",
    "Events",
    "Expenses",
    "Roadmap",
    "Field Service",
    "Partner News",
    "Tenders",
    "Catalog",
    "Warranty Claims",
    "Analytics",
];

/// What a seed wrote.
pub struct Seeded {
    pub guests: usize,
    pub organizations: usize,
    pub apps: usize,
    pub groups: usize,
    pub memberships: usize,
    pub audit_events: usize,
}

/// A fixed pseudo-random sequence (SplitMix64): repeatable data, not secrets.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }

    /// A moment within `days` before `now`.
    fn before(&mut self, now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
        now - Duration::seconds(self.below((days * 86_400).max(1) as usize) as i64)
    }

    fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(((u128::from(self.next()) << 64) | u128::from(self.next())).to_be_bytes())
            .into_uuid()
    }
}

pub async fn seed(state: &AppState, guests: usize) -> AppResult<Seeded> {
    if !state.settings.dev_mode {
        return Err(AppError::BadRequest(
            "Seeding fills the database with made-up people: it runs only with dev_mode set \
             (VESTIBULE_DEV_MODE=true), never on a production database."
                .into(),
        ));
    }
    let now = state.clock.now();
    let mut c = state.db.acquire().await?;
    // Numbering goes on from the users already there, so seeding twice adds new people.
    let first_number = users::count_by(c.conn(), "guest", "").await? as usize;
    let inviters: Vec<(Uuid, String)> =
        users::search(c.conn(), &users::Filter { user_type: "member", ..Default::default() }, Page::new(1, 20))
            .await?
            .0
            .into_iter()
            .map(|u| (u.id, u.email))
            .collect();
    drop(c);
    let mut rng = Sequence(0x5EED_0000 + first_number as u64);

    let organizations: Vec<(String, String)> = (0..ORGANIZATIONS)
        .map(|n| {
            let (a, b) = (rng.pick(NAME_PARTS), rng.pick(NAME_KINDS));
            let name = format!("{a}{} {b}", if n % 3 == 0 { "wind" } else { "" });
            let domain = format!("{}{}-{n}.example", a.to_lowercase(), b.to_lowercase());
            (name, domain)
        })
        .collect();

    // Apps and groups: a partner team's set of tools each.
    let mut tx = state.db.begin().await?;
    let mut app_ids = Vec::new();
    for (n, name) in APPS.iter().enumerate() {
        let name = format!("{name} {}", first_number + n);
        let url = format!("https://app{n}.contoso.example/");
        let fields = apps::AppFields {
            name: &name,
            description: "Seeded for load tests.",
            launch_url: &url,
            icon_url: None,
            visible_in_panel: true,
            mfa_required: false,
        };
        app_ids.push(apps::insert(tx.conn(), &fields, now).await?.id);
    }
    let mut group_ids = Vec::new();
    for n in 0..40 {
        let name = format!("{} partners {}", rng.pick(NAME_PARTS), first_number + n);
        let Some(group) = groups::insert(tx.conn(), &name, "Seeded for load tests.", now).await? else { continue };
        let mut apps: Vec<Uuid> = (0..2 + rng.below(4)).map(|_| app_ids[rng.below(app_ids.len())]).collect();
        apps.sort();
        apps.dedup();
        links::replace(tx.conn(), &links::GROUP_APPS, group.id, &apps).await?;
        group_ids.push(group.id);
    }
    tx.commit().await?;

    let mut done = Seeded {
        guests: 0,
        organizations: ORGANIZATIONS,
        apps: app_ids.len(),
        groups: group_ids.len(),
        memberships: 0,
        audit_events: 0,
    };
    while done.guests < guests {
        let count = CHUNK.min(guests - done.guests);
        let (mut people, mut invitations, mut members, mut events) = (vec![], vec![], vec![], vec![]);
        for k in 0..count {
            let number = first_number + done.guests + k;
            let (company, domain) = &organizations[rng.below(organizations.len())];
            let (first, last) = (rng.pick(FIRST), rng.pick(LAST));
            let email = format!("{}.{}{number}@{domain}", first.to_lowercase(), last.to_lowercase());
            let roll = rng.below(100);
            let state = match roll {
                0..82 => UserState::Accepted,
                82..94 => UserState::PendingAcceptance,
                _ => UserState::Blocked,
            };
            let created_at = rng.before(now, 730);
            let accepted_at = (state != UserState::PendingAcceptance)
                .then(|| created_at + Duration::seconds(rng.below(3 * 86_400) as i64));
            let last_sign_in_at =
                accepted_at.map(|a| a + Duration::seconds(rng.below(((now - a).num_seconds().max(1)) as usize) as i64));
            let id = rng.uuid();
            let inviter = (!inviters.is_empty()).then(|| inviters[rng.below(inviters.len())].clone());
            let expires_at = created_at + Duration::days(30);
            let status = match state {
                UserState::Accepted => "redeemed",
                UserState::PendingAcceptance if expires_at > now => "pending",
                UserState::PendingAcceptance => "expired",
                UserState::Blocked => "revoked",
            };
            invitations.push(SeedInvitation {
                id: rng.uuid(),
                user_id: id,
                inviter_id: inviter.as_ref().map(|i| i.0),
                email: email.clone(),
                token_hash: format!("seeded-{}", rng.uuid().simple()),
                status,
                created_at,
                expires_at,
                redeemed_at: accepted_at.filter(|_| status == "redeemed"),
                revoked_at: accepted_at.filter(|_| status == "revoked"),
            });
            let (actor_id, actor_label) = inviter.map_or((None, "system".to_string()), |(i, e)| (Some(i), e));
            events.push(SeedEvent {
                at: created_at,
                actor_id,
                actor_label,
                action: Action::UserInvited,
                target_id: id,
                target_label: email.clone(),
            });
            if let Some(at) = accepted_at {
                events.push(SeedEvent {
                    at,
                    actor_id: Some(id),
                    actor_label: email.clone(),
                    action: Action::InvitationRedeemed,
                    target_id: id,
                    target_label: email.clone(),
                });
                let mut in_groups: Vec<Uuid> =
                    (0..1 + usize::from(rng.below(10) < 3)).map(|_| group_ids[rng.below(group_ids.len())]).collect();
                in_groups.dedup();
                members.extend(in_groups.into_iter().map(|g| (g, id, at)));
            }
            if let Some(at) = last_sign_in_at.filter(|_| state == UserState::Accepted) {
                events.push(SeedEvent {
                    at,
                    actor_id: Some(id),
                    actor_label: email.clone(),
                    action: Action::UserSignedIn,
                    target_id: id,
                    target_label: email.clone(),
                });
            }
            people.push(SeedGuest {
                id,
                email,
                display_name: format!("{first} {last}"),
                company: company.clone(),
                state,
                created_at,
                accepted_at,
                last_sign_in_at,
            });
        }
        let mut tx = state.db.begin().await?;
        seed::guests(tx.conn(), &people).await?;
        seed::invitations(tx.conn(), &invitations).await?;
        if !members.is_empty() {
            seed::members(tx.conn(), &members).await?;
        }
        for part in events.chunks(CHUNK) {
            seed::events(tx.conn(), part).await?;
        }
        tx.commit().await?;
        done.guests += count;
        done.memberships += members.len();
        done.audit_events += events.len();
    }
    // The triggers appended a tally row per guest and invitation: one per key instead.
    crate::db::tallies::fold(&state.db).await?;
    let mut c = state.db.acquire().await?;
    seed::analyze(c.conn()).await?;
    Ok(done)
}
