//! The hot functions, measured with criterion (`cargo bench`): parsing and hashing presented
//! credentials, checking a signed request, and rendering 50 table rows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, criterion_group, criterion_main};
use kwik_dashboard::db::models::{AccessToken, MerchantId, TokenId};
use kwik_dashboard::domain::credentials::seal::{Keyring, MasterKey};
use kwik_dashboard::domain::credentials::verify::{
    Facts, ReplayGuard, TokenRecord, Verifier, parse_basic, parse_signed, precheck, sign,
};
use kwik_dashboard::domain::credentials::{
    NewCredentials, Permission, Section, Sections, TokenStatus,
};
use kwik_dashboard::web::tokens::{pages::RowFragment, views::TokenRow};

fn token(creds: &NewCredentials, keyring: &Keyring, id: i64) -> AccessToken {
    let now = kwik_dashboard::db::now();
    let key_hash = creds.key_hash().to_vec();
    let (key_id, sealed) = keyring
        .seal(creds.api_secret.as_bytes(), &key_hash)
        .unwrap();
    AccessToken {
        id: TokenId(id),
        merchant_id: MerchantId(1),
        name: format!("Integration {id}"),
        key_prefix: creds.key_prefix().to_owned(),
        key_suffix: creds.key_suffix().to_owned(),
        key_hash,
        secret_hash: creds.secret_hash().to_vec(),
        public_key: creds.public_key.clone(),
        permission: Permission::ReadWrite,
        status: TokenStatus::Live,
        sections: Sections::new([
            Section::Customers,
            Section::Payments,
            Section::Orders,
            Section::Payouts,
        ])
        .to_stored(),
        created_at: now,
        created_by: None,
        updated_at: now,
        secret_sealed: Some(sealed),
        secret_key_id: Some(key_id),
        last_used_at: Some(now),
        last_used_ips: "203.0.113.7".into(),
        status_changed_at: None,
        status_changed_by_support: false,
        status_reason: None,
        expires_at: None,
        ip_allowlist: String::new(),
        previous_secret_hash: None,
        previous_secret_sealed: None,
        previous_secret_key_id: None,
        previous_key_hash: None,
        previous_expires_at: None,
        deleted_at: None,
        rate_limit: None,
        name_key: kwik_dashboard::db::models::access_token::natural_key(&format!(
            "Integration {id}"
        )),
    }
}

fn hot(c: &mut Criterion) {
    let keyring = Keyring::new(MasterKey::new(&[7; 32]).unwrap(), vec![]);
    let creds = NewCredentials::generate().unwrap();
    let header = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", *creds.api_key, *creds.api_secret))
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    c.bench_function("parse Basic + checksum + key hash", |b| {
        b.iter(|| {
            let facts = Facts {
                presented: parse_basic(black_box(header.as_bytes())).unwrap(),
                method: "GET".into(),
                section: None,
                client_ip: None,
            };
            black_box(precheck(&facts, now).unwrap())
        })
    });

    let record = TokenRecord::new(token(&creds, &keyring, 1), "Acme".into(), 100);
    let replays = ReplayGuard::new(10_000_000);
    let verifier = Verifier {
        keyring: &keyring,
        replays: Some(&replays),
    };
    let body = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b""));
    let mut n = 0u64;
    c.bench_function(
        "signed request: open sealed secret + HMAC + replay check",
        |b| {
            b.iter(|| {
                n += 1;
                let path = format!("/api/v2/whoami?n={n}");
                let sig = format!("v1={}", sign(&creds.api_secret, now, "GET", &path, b""));
                let facts = Facts {
                    presented: parse_signed(&creds.api_key, &now.to_string(), &sig, &path, &body)
                        .unwrap(),
                    method: "GET".into(),
                    section: None,
                    client_ip: None,
                };
                black_box(verifier.decide(&record, &facts, now))
            })
        },
    );

    // The rate limiter's decision, as every allowed request pays it: 1,000 busy tokens, each under
    // its limit (in memory; a shared limiter also adds the count to what its next sync sends).
    let limiter = kwik_dashboard::domain::credentials::rate_limit::RateLimiter::new(false, 10);
    let mut at = 1_800_000_000_000i64;
    c.bench_function("rate limit: admit one request (1,000 tokens)", |b| {
        b.iter(|| {
            at += 1;
            black_box(limiter.admit(TokenId(at % 1_000), 1_000_000, at))
        })
    });

    let tokens: Vec<AccessToken> = (0..50)
        .map(|i| token(&NewCredentials::generate().unwrap(), &keyring, i))
        .collect();
    c.bench_function("render 50 table rows", |b| {
        b.iter(|| {
            let html: String = tokens
                .iter()
                .map(|t| {
                    RowFragment {
                        token: TokenRow::new(t),
                        can_manage: true,
                    }
                    .render()
                    .unwrap()
                })
                .collect();
            black_box(html)
        })
    });
}

criterion_group!(benches, hot);
criterion_main!(benches);
