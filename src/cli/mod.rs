//! The command line: `serve` (the default), `migrate`, and `user add`.

mod backup;
pub mod rotate;
pub mod seed;
mod serve;

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use zeroize::Zeroizing;

use crate::config::Config;
use crate::db::models::Role;
use crate::domain::users::{self, PasswordChoice};
use crate::web::state::AppState;

/// Kwik merchant dashboard: API access tokens.
#[derive(Debug, Parser)]
#[command(name = "kwik-dashboard", version, about)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations, create a first admin on an empty database, and serve the dashboard.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Re-seal every API secret under a new master key (KWIK_NEW_MASTER_KEY, or a generated one when
    /// the key lives in $KWIK_DATA_DIR/master.key).
    RotateMasterKey,
    /// Copy the SQLite database, consistently, while the server runs (Postgres: use pg_dump).
    Backup {
        /// The file to write; it must not exist.
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Fill the database with merchants and tokens for load work (batched inserts).
    Seed {
        /// Merchants to create.
        #[arg(long, default_value_t = 10)]
        merchants: usize,
        /// Tokens per merchant.
        #[arg(long, default_value_t = 100)]
        tokens_per_merchant: usize,
        /// Put the tokens into this merchant (created if missing) instead of new ones.
        #[arg(long)]
        merchant: Option<String>,
        /// Load tests only, on a throwaway database: write `--sample` of the new tokens'
        /// API_KEY:API_SECRET (live tokens, drawn at random) to this new file (mode 0600).
        #[arg(long)]
        sample_credentials: Option<std::path::PathBuf>,
        /// How many credentials `--sample-credentials` writes.
        #[arg(long, default_value_t = 10_000)]
        sample: usize,
    },
    /// Disable or enable a token from the command line (emergencies): found by its full API_KEY or the
    /// key as the table shows it; recorded in the merchant's history.
    Token {
        /// The token action.
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Merchant settings.
    Merchant {
        /// The merchant action.
        #[command(subcommand)]
        command: MerchantCommand,
    },
    /// Manage users.
    User {
        /// The user action.
        #[command(subcommand)]
        command: UserCommand,
    },
}

/// `merchant` subcommands.
#[derive(Debug, Subcommand)]
pub enum MerchantCommand {
    /// Require new tokens to expire within N days (`none` removes the limit).
    SetMaxTokenLifetime {
        /// The merchant's name.
        #[arg(long)]
        merchant: String,
        /// Days (1 to 3650), or `none`.
        #[arg(long)]
        days: String,
    },
    /// Set how many requests a second each of the merchant's tokens may make (Kwik's API documents
    /// 100), unless a token has a limit of its own (set on its edit form).
    SetRateLimit {
        /// The merchant's name.
        #[arg(long)]
        merchant: String,
        /// Requests a second, 1 to 1000000.
        #[arg(long)]
        per_second: String,
    },
}

/// `token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Disable a token now.
    Disable {
        /// The full API_KEY, or the key as displayed (`kwik_ak_3F9q…x7Lm`) or its start.
        #[arg(long)]
        key: String,
        /// Why (5 to 500 characters); the merchant sees it.
        #[arg(long)]
        reason: String,
    },
    /// Enable a token again.
    Enable {
        /// The full API_KEY, or the key as displayed.
        #[arg(long)]
        key: String,
        /// Why (5 to 500 characters); the merchant sees it.
        #[arg(long)]
        reason: String,
    },
}

/// `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user. Prints a generated password unless one is piped in with --password-stdin.
    Add {
        /// Email address (unique, case-insensitive).
        #[arg(long)]
        email: String,
        /// Merchant name: required for admin and viewer, refused for support. Created if missing.
        #[arg(long)]
        merchant: Option<String>,
        /// admin, viewer or support.
        #[arg(long)]
        role: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Reset a user's two-factor sign-in (a lost phone, for support staff, who have no admin): their
    /// key and recovery codes go and every session ends; recorded in the history.
    ResetTwoFactor {
        /// The user's email.
        #[arg(long)]
        email: String,
    },
}

/// Runs the parsed command line; errors are one clear line on stderr and a non-zero exit.
pub async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve::serve().await,
        Command::Migrate => open().map(|_| println!("Database is up to date.")),
        Command::Seed {
            merchants,
            tokens_per_merchant,
            merchant,
            sample_credentials,
            sample,
        } => open().and_then(|state| {
            seed::command(
                &state,
                (merchants, tokens_per_merchant),
                merchant.as_deref(),
                sample_credentials.map(|path| (path, sample)),
            )
        }),
        Command::Token {
            command: TokenCommand::Disable { key, reason },
        } => set_token_status(
            &key,
            &reason,
            crate::domain::credentials::TokenStatus::Disabled,
        ),
        Command::Token {
            command: TokenCommand::Enable { key, reason },
        } => set_token_status(&key, &reason, crate::domain::credentials::TokenStatus::Live),
        Command::Merchant {
            command: MerchantCommand::SetMaxTokenLifetime { merchant, days },
        } => set_max_lifetime(&merchant, &days),
        Command::Merchant {
            command:
                MerchantCommand::SetRateLimit {
                    merchant,
                    per_second,
                },
        } => set_rate_limit(&merchant, &per_second),
        Command::Backup { to } => backup::backup(&to).map(|report| println!("{report}")),
        Command::RotateMasterKey => {
            crate::cli::rotate::rotate_master_key().map(|report| println!("{report}"))
        }
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    merchant,
                    role,
                    password_stdin,
                },
        } => add_user(&email, merchant.as_deref(), &role, password_stdin),
        Command::User {
            command: UserCommand::ResetTwoFactor { email },
        } => reset_two_factor(&email),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the configuration and opens the database, applying pending migrations.
fn open() -> anyhow::Result<AppState> {
    let config = Config::from_env()?;
    AppState::build(config)
}

fn reset_two_factor(email: &str) -> anyhow::Result<()> {
    let state = open()?;
    let mut conn = state.database.pool.get()?;
    let email = crate::db::models::user::normalize_email(email);
    let user = crate::db::models::User::find_by_email(&mut conn, &email)?
        .ok_or_else(|| anyhow::anyhow!("no user with email {email}"))?;
    let actor = crate::domain::audit::Actor::cli();
    match crate::domain::auth::two_factor::reset(&mut conn, &actor, &user) {
        Ok(ended) => {
            println!("Two-factor sign-in of {email} was reset; {ended} sessions ended.");
            Ok(())
        }
        Err(crate::domain::auth::two_factor::TwoFactorError::NotOn) => {
            anyhow::bail!("{email} has no two-factor sign-in")
        }
        Err(e) => Err(e.into()),
    }
}

fn add_user(
    email: &str,
    merchant: Option<&str>,
    role: &str,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let role: Role = role
        .parse()
        .map_err(|_| anyhow::anyhow!("unknown role {role:?}: use admin, viewer or support"))?;
    let password = if password_stdin {
        let mut text = Zeroizing::new(String::new());
        std::io::stdin().read_to_string(&mut text)?;
        let trimmed = Zeroizing::new(text.trim_end_matches(['\r', '\n']).to_owned());
        PasswordChoice::Given(trimmed)
    } else {
        PasswordChoice::Generate
    };
    let state = open()?;
    let mut conn = state.database.pool.get()?;
    let (user, generated) = users::add_user(
        &mut conn,
        state.hashing.passwords(),
        &crate::domain::audit::Actor::cli(),
        email,
        merchant,
        role,
        password,
    )?;
    println!("Added {} ({}).", user.email, user.role);
    if let Some(password) = generated {
        println!("Password: {}", password.as_str());
        println!("It is shown only this once.");
    }
    Ok(())
}

fn set_max_lifetime(merchant: &str, days: &str) -> anyhow::Result<()> {
    let days = match days.trim() {
        "none" => None,
        d => Some(
            d.parse::<i32>()
                .ok()
                .filter(|n| (1..=3650).contains(n))
                .ok_or_else(|| anyhow::anyhow!("--days must be 1 to 3650, or none"))?,
        ),
    };
    let state = open()?;
    let mut conn = state.database.pool.get()?;
    let found = crate::db::models::Merchant::find_by_name(&mut conn, merchant)?
        .ok_or_else(|| anyhow::anyhow!("no merchant named {merchant:?}"))?;
    crate::db::models::Merchant::set_max_token_lifetime(&mut conn, found.id, days)?;
    match days {
        Some(d) => println!("New tokens of {merchant} must now expire within {d} days."),
        None => println!("New tokens of {merchant} may now live without an expiry."),
    }
    Ok(())
}

fn set_rate_limit(merchant: &str, per_second: &str) -> anyhow::Result<()> {
    use crate::domain::credentials::rate_limit::parse_per_second;
    let per_second = parse_per_second(per_second)
        .ok()
        .flatten()
        .ok_or_else(|| anyhow::anyhow!("--per-second must be a whole number from 1 to 1000000"))?;
    let state = open()?;
    let mut conn = state.database.pool.get()?;
    let found = crate::db::models::Merchant::find_by_name(&mut conn, merchant)?
        .ok_or_else(|| anyhow::anyhow!("no merchant named {merchant:?}"))?;
    let actor = crate::domain::audit::Actor::cli();
    if !crate::domain::credentials::rate_limit::set_for_merchant(
        &mut conn, &found, per_second, &actor,
    )? {
        println!("Tokens of {merchant} already have a limit of {per_second} requests a second.");
        return Ok(());
    }
    println!(
        "Tokens of {merchant} without a limit of their own may now make {per_second} requests a second."
    );
    Ok(())
}

fn set_token_status(
    key: &str,
    reason: &str,
    status: crate::domain::credentials::TokenStatus,
) -> anyhow::Result<()> {
    use crate::domain::support::{self, Query};
    let query = support::parse(key).map_err(|r| anyhow::anyhow!("{}", r.message()))?;
    if !matches!(query, Query::FullKey(_) | Query::KeyDisplay { .. }) {
        anyhow::bail!("--key must be an API_KEY (kwik_ak_…), whole or as the table shows it");
    }
    let state = open()?;
    let mut conn = state.database.pool.get()?;
    let found = support::search(&mut conn, &query)?;
    let token = match found.as_slice() {
        [] => anyhow::bail!("no token matches {key:?}"),
        [(token, _)] => token,
        many => anyhow::bail!(
            "{} tokens match {key:?}: give the whole key, or the key as shown with its end",
            many.len()
        ),
    };
    let changed = crate::domain::tokens::set_status(
        &mut conn,
        &state.token_cache,
        crate::domain::tokens::Scope::Platform,
        token.id,
        status,
        &crate::domain::audit::Actor::cli(),
        Some(reason),
    )?;
    let merchant = &found[0].1;
    println!(
        "“{}” ({}, merchant {merchant}) is now {}.",
        changed.name,
        changed.partial_key(),
        changed.status.label()
    );
    Ok(())
}
