//! Team members added at once, cut by `kill -9`.

use kwik_dashboard::db::schema::users;

use super::*;

#[actix_web::test]
async fn members_added_under_kill_9_each_sign_in_and_are_added_once_in_the_history() {
    let app = spawn_app().await;
    let server = Server::start(&app.db, &app.db.url, &[]);
    let sessions = admin_sessions(&app, &server, SESSIONS);
    let raced = race_and_kill(server, &sessions, |i, client| {
        client.get("/settings/teams/new")?;
        let email = format!("member{i}@crash.test");
        let reveal = client.post(
            "/settings/teams",
            &[
                ("email", email.as_str()),
                ("role", "viewer"),
                ("password_mode", "generate"),
            ],
        )?;
        assert!(
            reveal.status == 200 || reveal.status == 503,
            "add {i}: {} {}",
            reveal.status,
            reveal.body
        );
        Some((email, revealed(&reveal, "password")?))
    });
    let server = restart(&app);

    // Everyone whose password was shown signs in with it.
    for (i, (email, password)) in raced.answered() {
        let login = Client::new(server.port).login(email, password);
        assert_eq!(login.status, 303, "member {i}: {}", login.body);
    }
    // Every member in the database was added once in the History, and no entry lacks its member.
    let members: Vec<(i64, String)> = app.db(|c| {
        users::table
            .filter(users::email.like("member%"))
            .select((users::id, users::email))
            .load(c)
            .unwrap()
    });
    let added = history_counts(&app, "user.added");
    for (id, email) in &members {
        assert_eq!(added.get(id), Some(&1), "{email}: added entries");
    }
    for (i, (email, _)) in raced.answered() {
        assert!(
            members.iter().any(|(_, e)| e == email),
            "member {i} was shown a password but is not there"
        );
    }
    // No entry names a user who is not there (the admins, and the first admin the binary makes on
    // an empty database, have theirs too).
    let everyone: Vec<i64> = app.db(|c| users::table.select(users::id).load(c).unwrap());
    for target in added.keys() {
        assert!(everyone.contains(target), "user {target} added, not there");
    }
    assert_eq!(added.len(), everyone.len(), "{added:?}");
    eprintln!(
        "after the restart: {} members, {} answered",
        members.len(),
        raced.answered().count()
    );
}
