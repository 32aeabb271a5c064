//! Accounts: the profile (password, sessions), two-factor sign-in and sudo mode, end to end.

mod policy;
mod profile;
mod sudo;
mod two_factor;

use std::collections::HashMap;

use diesel::prelude::*;
use kwik_dashboard::db::schema::sessions;
use kwik_dashboard::domain::auth::totp::{STEP_SECONDS, TotpSecret};

use crate::helpers::*;

/// The profile's enrolment page.
pub const ENROL: &str = "/settings/profile/two-factor";

/// The code an authenticator app with `key` (base32) shows `steps` time steps from now.
pub fn code(key: &str, steps: i64) -> String {
    let bytes = totp_rs::Secret::try_from_base32(key).unwrap();
    let secret = TotpSecret::from_bytes(bytes.as_bytes()).unwrap();
    let at = unix_now() + steps * STEP_SECONDS as i64;
    secret.code_at(u64::try_from(at).unwrap())
}

/// The key of the enrolment page, as its text form shows it (spaces dropped).
pub fn key_on(page: &Answer) -> String {
    let re = regex::Regex::new(r#"id="totp-key">([A-Z2-7 ]+)</code>"#).unwrap();
    let caps = re.captures(&page.body).expect("the key's text form");
    caps[1].replace(' ', "")
}

/// The recovery codes a page shows.
pub fn recovery_codes_on(page: &Answer) -> Vec<String> {
    regex::Regex::new(r#"<code data-credential="recovery">([a-z0-9-]+)</code>"#)
        .unwrap()
        .captures_iter(&page.body)
        .map(|c| c[1].to_owned())
        .collect()
}

/// Enrols the signed-in `client` with the current code: its key and recovery codes.
pub async fn enrol(client: &TestApp) -> (String, Vec<String>) {
    let page = client.get(ENROL).await;
    page.assert_status(200).assert_no_store();
    let key = key_on(&page);
    let done = client.post(ENROL, &[("code", &code(&key, 0))]).await;
    done.assert_status(200)
        .assert_no_store()
        .assert_contains("Save your recovery codes");
    let codes = recovery_codes_on(&done);
    assert_eq!(codes.len(), 10, "{}", done.body);
    (key, codes)
}

/// Sets `key` to the JSON `value` in the state of every stored session (to age a sudo time or a
/// half-finished sign-in, as the clock would).
pub fn set_in_every_session(app: &TestApp, key: &str, value: &str) {
    app.db(|c| {
        let rows: Vec<(Vec<u8>, String)> = sessions::table
            .select((sessions::id_hash, sessions::state))
            .load(c)
            .unwrap();
        for (id, state) in rows {
            let mut map: HashMap<String, String> = serde_json::from_str(&state).unwrap();
            if map.contains_key(key) {
                map.insert(key.to_owned(), value.to_owned());
                diesel::update(sessions::table.filter(sessions::id_hash.eq(id)))
                    .set(sessions::state.eq(serde_json::to_string(&map).unwrap()))
                    .execute(c)
                    .unwrap();
            }
        }
    });
}

/// Makes every session's last sign-in or re-authentication an hour old.
pub fn age_sudo(app: &TestApp) {
    let old = (unix_now() - 3600).to_string();
    set_in_every_session(app, "sudo_at", &old);
}

/// The audit events recorded, as `event detail` lines, oldest first.
pub fn events(app: &TestApp) -> Vec<String> {
    use kwik_dashboard::db::schema::audit_events;
    app.db(|c| {
        audit_events::table
            .order(audit_events::id)
            .select((audit_events::event, audit_events::detail))
            .load::<(String, String)>(c)
            .unwrap()
            .into_iter()
            .map(|(e, d)| format!("{e} {d}").trim().to_owned())
            .collect()
    })
}

/// The password step of a two-factor sign-in, then the code page (as a browser follows it, which
/// picks up the session's new CSRF token).
pub async fn password_step(client: &TestApp, email: &str) {
    client
        .login(email, PASSWORD)
        .await
        .assert_redirect_to("/login/two-factor");
    client.get("/login/two-factor").await.assert_status(200);
}
