//! The `vestibule` command: parses arguments and calls into the library.

use std::net::TcpListener;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use vestibule::app;
use vestibule::clock::Clock;
use vestibule::config::Settings;
use vestibule::domain::{DisplayName, EmailAddress};

#[derive(Parser)]
#[command(name = "vestibule", version, about = "Self-hosted B2B guest collaboration portal")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the portal (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Development tools (refused unless dev_mode is set).
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
    /// Manage API keys.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Make an API key that acts for an admin, and print it (once).
    Create {
        /// The admin the key acts for.
        #[arg(long)]
        admin: String,
        #[arg(long)]
        name: String,
        /// A scope (repeat for several); none means every scope.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Days until it expires.
        #[arg(long, default_value_t = 90)]
        days: i64,
    },
}

#[derive(Subcommand)]
enum DevCommand {
    /// Fill the database with made-up partner organizations, guests, invitations, groups,
    /// apps and audit events, to try the portal at scale.
    Seed {
        #[arg(long, default_value_t = 1000)]
        guests: usize,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin (or make a member one) and print a one-time sign-in link.
    Create {
        email: String,
        /// The name guests see in mails and pages ("Ada Lovelace"); else the address's local part.
        #[arg(long)]
        name: Option<String>,
    },
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // VESTIBULE_LOG_FORMAT=json: one JSON object a line, each in a request carrying the
    // request's span (its `request_id`, method and route).
    if std::env::var("VESTIBULE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        tracing_subscriber::fmt().json().with_current_span(true).with_span_list(false).with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let cli = Cli::parse();
    let settings = Settings::load()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            app::open(settings, Clock::system()).await?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::Admin { command: AdminCommand::Create { email, name } } => {
            let email = EmailAddress::parse(&email).map_err(|e| anyhow::anyhow!("{e}"))?;
            let name = name.map(|n| DisplayName::parse(&n)).transpose().map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            let state = app::open(settings, Clock::system()).await?;
            let link = vestibule::flows::bootstrap::create_admin(&state, &email, name.as_ref()).await?;
            println!(
                "Admin {email} is ready. Open this link within 15 minutes to sign in (it works once):\n\n  {link}\n"
            );
            Ok(())
        }
        Command::Dev { command: DevCommand::Seed { guests } } => {
            let state = app::open(settings, Clock::system()).await?;
            let started = std::time::Instant::now();
            let s = vestibule::flows::dev_seed::seed(&state, guests).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "Seeded {} guests of {} organizations, {} apps, {} groups ({} memberships) and {} audit events in {:.1} s.",
                s.guests,
                s.organizations,
                s.apps,
                s.groups,
                s.memberships,
                s.audit_events,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::ApiKey { command: ApiKeyCommand::Create { admin, name, scopes, days } } => {
            let state = app::open(settings, Clock::system()).await?;
            let made = vestibule::flows::api_keys::create_from_cli(&state, &admin, &name, &scopes, days).await?;
            println!("{}", made.secret);
            Ok(())
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let listener = TcpListener::bind(&settings.bind)?;
    let state = app::open(settings, Clock::system()).await?;
    let workers = if state.settings.worker {
        vec![vestibule::jobs::spawn(state.clone()), vestibule::jobs::bulk::spawn(state.clone())]
    } else {
        Vec::new()
    };
    let s = &state.settings;
    println!(
        "Vestibule is running at {} (listening on {}).\nMail goes to {}.\nCreate the first admin with:\n\n  cargo run --release -- admin create you@example.com\n",
        s.public_url,
        s.bind,
        s.mail_for_people()
    );
    // SIGTERM (or Ctrl-C): the server stops accepting, answers the requests in flight
    // (up to 30 s), then the workers finish the mail or row in hand and the process ends.
    // The signals are ours, not actix's: on a signal actix also stops the whole actix
    // System, which dropped a worker in the middle of a mail.
    let server = app::serve(state.clone(), listener)?;
    let handle = server.handle();
    tokio::spawn(async move {
        stop_signal().await;
        tracing::info!("stopping: answering the requests in flight");
        handle.stop(true).await;
    });
    server.await?;
    state.shutdown.begin();
    for worker in workers {
        if tokio::time::timeout(std::time::Duration::from_secs(30), worker).await.is_err() {
            tracing::warn!("a worker did not finish within 30 s; stopping anyway");
        }
    }
    state.db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// SIGTERM (what systemd and container runtimes send) or Ctrl-C.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    tokio::signal::ctrl_c().await.ok();
}
