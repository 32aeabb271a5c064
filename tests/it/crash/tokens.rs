//! Token creates and rolls cut by `kill -9`.

use super::*;

/// What a create answered: the credentials its reveal showed.
struct Created {
    key: String,
    secret: String,
}

#[actix_web::test]
async fn creates_cut_by_kill_9_leave_only_whole_tokens_each_created_once_in_the_history() {
    let app = spawn_app().await;
    let server = Server::start(&app.db, &app.db.url, &[]);
    let sessions = admin_sessions(&app, &server, SESSIONS);
    let raced = race_and_kill(server, &sessions, |i, client| {
        let form = client.get(&format!("{LIST}/new"))?;
        let id = form.submission_id();
        let name = format!("Crash {i}");
        let reveal = client.post(
            LIST,
            &[
                ("name", name.as_str()),
                ("permission", "read_only"),
                ("sections", "orders"),
                ("submission_id", &id),
            ],
        )?;
        assert!(
            reveal.status == 200 || reveal.status == 503,
            "create {i}: {} {}",
            reveal.status,
            reveal.body
        );
        Some(Created {
            key: revealed(&reveal, "api_key")?,
            secret: revealed(&reveal, "api_secret")?,
        })
    });
    let server = restart(&app);

    // Every create that answered works, by Basic and by signature.
    for (i, c) in raced.answered() {
        assert_eq!(basic_status(&server, &c.key, &c.secret), 200, "create {i}");
        assert_eq!(signed_status(&server, &c.key, &c.secret), 200, "create {i}");
    }
    // Every token in the database is whole, and created once in the History.
    let tokens = app.all_tokens();
    let created = history_counts(&app, "token.created");
    for t in &tokens {
        assert_eq!(t.key_hash.len(), 32, "{}: key hash", t.name);
        assert_eq!(t.secret_hash.len(), 32, "{}: secret hash", t.name);
        assert!(t.secret_sealed.as_ref().is_some_and(|s| !s.is_empty()));
        assert!(t.secret_key_id.is_some() && !t.public_key.is_empty());
        assert_eq!(
            created.get(&t.id.0),
            Some(&1),
            "{}: created entries",
            t.name
        );
    }
    // No History entry names a token that is not there, and every answer has its token.
    assert_eq!(created.len(), tokens.len(), "created entries: {created:?}");
    let answered = raced.answered().count();
    assert!(
        tokens.len() >= answered && tokens.len() <= CHANGES,
        "{} tokens for {answered} answered creates",
        tokens.len()
    );
    eprintln!(
        "after the restart: {} whole tokens, {answered} answered, {} created in flight and kept",
        tokens.len(),
        tokens.len() - answered
    );
}

#[actix_web::test]
async fn rolls_cut_by_kill_9_leave_each_token_rolled_or_not_with_the_history_to_match() {
    let app = spawn_app().await;
    app.logged_in_admin("Crash Co", "owner@crash.test").await;
    let before: Vec<Credentials> = {
        let mut issued = Vec::with_capacity(CHANGES);
        for i in 0..CHANGES {
            issued.push(
                app.issue_token(&format!("Rolled {i}"), &["orders"], "read_only")
                    .await,
            );
        }
        issued
    };
    let server = Server::start(&app.db, &app.db.url, &[]);
    let sessions = admin_sessions(&app, &server, SESSIONS);
    let ids: Vec<i64> = before.iter().map(|c| c.id).collect();
    let raced = race_and_kill(server, &sessions, move |i, client| {
        let path = format!("{LIST}/{}/roll", ids[i]);
        let form = client.get(&path)?;
        let id = form.submission_id();
        let rolled = client.post(&path, &[("window", "now"), ("submission_id", &id)])?;
        assert!(
            rolled.status == 200 || rolled.status == 503,
            "roll {i}: {} {}",
            rolled.status,
            rolled.body
        );
        revealed(&rolled, "api_secret")
    });
    let server = restart(&app);

    let rolls = history_counts(&app, "token.secret_rolled");
    let (mut rolled, mut kept) = (0, 0);
    for (i, (old, new)) in before.iter().zip(&raced.got).enumerate() {
        let entries = rolls.get(&old.id).copied().unwrap_or(0);
        let old_works = basic_status(&server, &old.key, &old.secret) == 200;
        match new {
            // Answered: the new secret works both ways, the old one no more, one roll recorded.
            Some(new) => {
                assert_eq!(basic_status(&server, &old.key, new), 200, "roll {i}");
                assert_eq!(signed_status(&server, &old.key, new), 200, "roll {i}");
                assert!(!old_works, "roll {i}: the old secret still works");
                assert_eq!(entries, 1, "roll {i}: roll entries");
                rolled += 1;
            }
            // Cut: either rolled whole (the old secret is gone, the roll recorded once) or not at
            // all (the old secret works, nothing recorded), never one without the other.
            None if old_works => {
                assert_eq!(entries, 0, "roll {i} not made, yet recorded");
                assert_eq!(signed_status(&server, &old.key, &old.secret), 200);
                kept += 1;
            }
            None => {
                assert_eq!(entries, 1, "roll {i} made without its History entry");
                rolled += 1;
            }
        }
    }
    for t in app.all_tokens() {
        assert!(t.secret_sealed.is_some() && t.secret_hash.len() == 32);
    }
    eprintln!("after the restart: {rolled} tokens rolled, {kept} untouched, none half-rolled");
}
