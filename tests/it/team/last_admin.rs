//! The last-admin rule: a merchant always keeps an enabled admin, even under concurrent changes.

use diesel::prelude::*;
use kwik_dashboard::db::models::{MerchantId, Role, UserId};
use kwik_dashboard::db::schema::users;
use kwik_dashboard::domain::audit::Actor;
use kwik_dashboard::domain::users::team::{self, Refusal, TeamChange, TeamError};

use super::*;
use crate::helpers::*;

#[actix_web::test]
async fn the_last_admin_cannot_demote_or_disable_themself() {
    let app = spawn_app().await;
    app.add_user("viewer@acme.test", Some("Acme"), Role::Viewer);
    // A disabled admin does not count: they cannot manage anything.
    app.add_user("away@acme.test", Some("Acme"), Role::Admin);
    app.logged_in_admin("Acme", "ops@acme.test").await;
    let (me, away) = app.db(|c| (id_of(c, "ops@acme.test"), id_of(c, "away@acme.test")));
    app.get(TEAM).await;
    app.post(&format!("{TEAM}/{away}/status"), &[("status", "disabled")])
        .await
        .assert_redirect_to(TEAM);
    let before = app.db(team_state);
    let events = app.db(team_events).len();

    app.get(&format!("{TEAM}/{me}/role?role=viewer"))
        .await
        .assert_status(200)
        .assert_contains("You are the only active admin.")
        .assert_lacks(">Make viewer</button>");
    app.post(&format!("{TEAM}/{me}/role"), &[("role", "viewer")])
        .await
        .assert_redirect_to(TEAM);
    app.get(TEAM)
        .await
        .assert_contains(r#"<p class="callout error">You are the only active admin."#);

    app.get(&format!("{TEAM}/{me}/status?status=disabled"))
        .await
        .assert_contains("You cannot disable your own account. Ask another admin to do it.")
        .assert_lacks(">Disable user</button>");
    app.post(&format!("{TEAM}/{me}/status"), &[("status", "disabled")])
        .await
        .assert_redirect_to(TEAM);
    app.get(TEAM)
        .await
        .assert_contains("You cannot disable your own account.");

    // htmx is told the same way: a full reload with the reason.
    app.post_htmx(&format!("{TEAM}/{me}/role"), &[("role", "viewer")])
        .await
        .assert_status(200);
    app.get(TEAM)
        .await
        .assert_contains("You are the only active admin.");

    assert_eq!(app.db(team_state), before);
    assert_eq!(app.db(team_events).len(), events);
}

#[actix_web::test]
async fn the_last_admin_rule_holds_whoever_acts() {
    let app = spawn_app().await;
    app.add_user("ops@acme.test", Some("Acme"), Role::Admin);
    app.add_user("viewer@acme.test", Some("Acme"), Role::Viewer);
    let (ops, merchant) = app.db(|c| {
        let u = user(c, "ops@acme.test");
        (u.id, u.merchant_id.unwrap())
    });
    // From the command line, say: the rule lives in the domain, not in the page.
    for change in [TeamChange::Role(Role::Viewer), TeamChange::Disable] {
        let refused = app.db(|c| team::apply(c, merchant, ops, change, &Actor::cli()));
        assert!(
            matches!(refused, Err(TeamError::Refused(Refusal::LastAdmin))),
            "{change:?}: {refused:?}"
        );
    }
    // Another merchant's id, or a support role, is refused too.
    let other = app.db(|c| team::apply(c, MerchantId(999), ops, TeamChange::Enable, &Actor::cli()));
    assert!(matches!(
        other,
        Err(TeamError::Db(diesel::result::Error::NotFound))
    ));
    let viewer = app.db(|c| id_of(c, "viewer@acme.test"));
    let support = app.db(|c| {
        team::apply(
            c,
            merchant,
            UserId(viewer),
            TeamChange::Role(Role::Support),
            &Actor::cli(),
        )
    });
    assert!(matches!(
        support,
        Err(TeamError::Refused(Refusal::NotAMerchantRole))
    ));
    // With a second admin, the first may step down.
    app.db(|c| team::change_role(c, merchant, UserId(viewer), Role::Admin, &Actor::cli()).unwrap());
    let stepped = app.db(|c| team::change_role(c, merchant, ops, Role::Viewer, &Actor::cli()));
    assert!(stepped.unwrap().changed);
}

#[actix_web::test]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    let app = spawn_app().await;
    app.add_user("a@acme.test", Some("Acme"), Role::Admin);
    app.add_user("b@acme.test", Some("Acme"), Role::Admin);
    let (a, b, merchant) = app.db(|c| {
        let a = user(c, "a@acme.test");
        (a.id, user(c, "b@acme.test").id, a.merchant_id.unwrap())
    });
    for _ in 0..5 {
        let barrier = std::sync::Barrier::new(2);
        let pool = &app.state.database.pool;
        let outcomes: Vec<bool> = std::thread::scope(|s| {
            let demote = |actor: UserId, target: UserId| {
                let barrier = &barrier;
                s.spawn(move || {
                    let mut conn = pool.get().unwrap();
                    let who = Actor {
                        user_id: Some(actor),
                        role: "admin".into(),
                        ..Actor::default()
                    };
                    barrier.wait();
                    match team::change_role(&mut conn, merchant, target, Role::Viewer, &who) {
                        Ok(applied) => applied.changed,
                        Err(TeamError::Refused(Refusal::LastAdmin)) => false,
                        Err(e) => panic!("{e:?}"),
                    }
                })
            };
            let (x, y) = (demote(a, b), demote(b, a));
            vec![x.join().unwrap(), y.join().unwrap()]
        });
        assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "{outcomes:?}");
        let admins = app.db(|c| {
            users::table
                .filter(users::role.eq("admin"))
                .count()
                .get_result::<i64>(c)
                .unwrap()
        });
        assert_eq!(admins, 1);
        // Both admins again for the next round.
        app.db(|c| {
            diesel::update(users::table)
                .set(users::role.eq("admin"))
                .execute(c)
                .unwrap()
        });
    }
}
