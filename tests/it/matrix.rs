//! The role × route matrix: every route (pages, assets, the API, the gateway, the checkout and the
//! health checks), with each kind of visitor, answers as expected, and a refused request changes
//! nothing. A route the matrix does not list fails the test.

use diesel::prelude::*;
use kwik_dashboard::db::models::Role;
use kwik_dashboard::db::schema::{access_tokens, audit_events, users};
use kwik_dashboard::web::ROUTES;

use crate::helpers::*;

/// Who is asking.
#[derive(Debug, Clone, Copy)]
enum Who {
    Anonymous,
    Viewer,
    Admin,
    Support,
    OtherMerchantAdmin,
}

const WHO: [Who; 5] = [
    Who::Anonymous,
    Who::Viewer,
    Who::Admin,
    Who::Support,
    Who::OtherMerchantAdmin,
];

/// Expected status per visitor: anonymous, viewer, admin, support, another merchant's admin.
/// `0` means "not asserted" (the login form itself, whose answer depends on the credentials sent).
const MATRIX: &[(&str, &str, [u16; 5])] = &[
    // Outside the pages: a session neither grants nor changes anything there.
    ("get", "/static/{path:.+}", [200, 200, 200, 200, 200]),
    ("get", "/api/v2/whoami", [401, 401, 401, 401, 401]),
    ("post", "/internal/v1/verify", [404, 404, 404, 404, 404]),
    ("post", "/secret-scanning/github", [404, 404, 404, 404, 404]),
    (
        "get",
        "/secret-scanning/gitlab/v1/revocable_token_types",
        [404, 404, 404, 404, 404],
    ),
    (
        "post",
        "/secret-scanning/gitlab/v1/revoke_tokens",
        [404, 404, 404, 404, 404],
    ),
    ("get", "/healthz", [200, 200, 200, 200, 200]),
    ("get", "/readyz", [200, 200, 200, 200, 200]),
    ("post", "/checkout/form", [422, 422, 422, 422, 422]),
    ("get", "/", [303, 303, 303, 303, 303]),
    ("get", "/login", [200, 303, 303, 303, 303]),
    ("post", "/login", [0, 0, 0, 0, 0]),
    ("post", "/logout", [303, 303, 303, 303, 303]),
    // Signed in, the profile changes the password; a reset link works whoever holds it.
    ("get", "/forgot-password", [200, 303, 303, 303, 303]),
    ("post", "/forgot-password", [0, 0, 0, 0, 0]),
    ("get", "/reset-password", [410, 410, 410, 410, 410]),
    ("post", "/reset-password", [410, 410, 410, 410, 410]),
    (
        "get",
        "/developers/access-tokens",
        [303, 200, 200, 403, 200],
    ),
    (
        "post",
        "/developers/access-tokens",
        [303, 403, 200, 403, 200],
    ),
    (
        "get",
        "/developers/access-tokens/new",
        [303, 403, 200, 403, 200],
    ),
    (
        "post",
        "/developers/access-tokens/leak-reports/acknowledge",
        [303, 403, 303, 403, 303],
    ),
    (
        "get",
        "/developers/access-tokens/{id}",
        [303, 200, 200, 403, 404],
    ),
    (
        "get",
        "/developers/access-tokens/{id}/status",
        [303, 403, 200, 403, 404],
    ),
    (
        "post",
        "/developers/access-tokens/{id}/status",
        [303, 403, 303, 403, 404],
    ),
    (
        "get",
        "/developers/access-tokens/{id}/edit",
        [303, 403, 200, 403, 404],
    ),
    (
        "post",
        "/developers/access-tokens/{id}/edit",
        [303, 403, 303, 403, 404],
    ),
    (
        "get",
        "/developers/access-tokens/{id}/roll",
        [303, 403, 200, 403, 404],
    ),
    (
        "post",
        "/developers/access-tokens/{id}/roll",
        [303, 403, 200, 403, 404],
    ),
    (
        "get",
        "/developers/access-tokens/{id}/delete",
        [303, 403, 200, 403, 404],
    ),
    (
        "post",
        "/developers/access-tokens/{id}/delete",
        [303, 403, 303, 403, 404],
    ),
    ("get", "/settings/teams", [303, 403, 200, 403, 200]),
    ("post", "/settings/teams", [303, 403, 200, 403, 200]),
    ("get", "/settings/teams/new", [303, 403, 200, 403, 200]),
    (
        "get",
        "/settings/teams/{id}/role",
        [303, 403, 200, 403, 404],
    ),
    (
        "post",
        "/settings/teams/{id}/role",
        [303, 403, 303, 403, 404],
    ),
    (
        "get",
        "/settings/teams/{id}/status",
        [303, 403, 200, 403, 404],
    ),
    (
        "post",
        "/settings/teams/{id}/status",
        [303, 403, 303, 403, 404],
    ),
    ("get", "/settings/history", [303, 200, 200, 200, 200]),
    ("get", "/settings/history.csv", [303, 200, 200, 200, 200]),
    ("get", "/login/two-factor", [303, 303, 303, 303, 303]),
    ("post", "/login/two-factor", [303, 303, 303, 303, 303]),
    ("get", "/settings/profile", [303, 200, 200, 200, 200]),
    // The matrix's form has no current password: refused on the form.
    (
        "post",
        "/settings/profile/password",
        [303, 422, 422, 422, 422],
    ),
    (
        "post",
        "/settings/profile/alerts",
        [303, 303, 303, 303, 303],
    ),
    // The admin's other sessions include the one making the tokens: not ended here.
    (
        "post",
        "/settings/profile/sessions/end-others",
        [303, 303, 0, 303, 303],
    ),
    (
        "post",
        "/settings/profile/sessions/{marker}/end",
        [303, 303, 303, 303, 303],
    ),
    // Starts an enrolment, which the next row's code (none) does not confirm.
    (
        "get",
        "/settings/profile/two-factor",
        [303, 200, 200, 200, 200],
    ),
    (
        "post",
        "/settings/profile/two-factor",
        [303, 422, 422, 422, 422],
    ),
    (
        "post",
        "/settings/profile/two-factor/recovery-codes",
        [303, 303, 303, 303, 303],
    ),
    (
        "post",
        "/settings/profile/two-factor/disable",
        [303, 303, 303, 303, 303],
    ),
    (
        "post",
        "/settings/teams/two-factor",
        [303, 403, 400, 403, 400],
    ),
    (
        "get",
        "/settings/teams/{id}/two-factor",
        [303, 403, 200, 403, 404],
    ),
    (
        "post",
        "/settings/teams/{id}/two-factor",
        [303, 403, 303, 403, 404],
    ),
    ("get", "/support", [303, 403, 403, 200, 403]),
    ("post", "/support/search", [303, 403, 403, 303, 403]),
    (
        "post",
        "/support/tokens/{id}/status",
        [303, 403, 403, 303, 403],
    ),
];

#[test]
fn every_route_has_an_entry_in_the_matrix() {
    for route in ROUTES {
        assert!(
            MATRIX
                .iter()
                .any(|(m, p, _)| *m == route.method && *p == route.path),
            "no matrix entry for {} {}: add the expected answer for each role",
            route.method,
            route.path
        );
    }
    assert_eq!(
        MATRIX.len(),
        ROUTES.len(),
        "the matrix lists a route that no longer exists"
    );
}

#[actix_web::test]
async fn each_role_gets_the_expected_answer_on_every_route_and_refusals_change_nothing() {
    let app = spawn_app().await;
    app.add_user("admin@a.test", Some("Merchant A"), Role::Admin);
    app.add_user("viewer@a.test", Some("Merchant A"), Role::Viewer);
    app.add_user("admin@b.test", Some("Merchant B"), Role::Admin);
    app.add_user("agent@kwik.test", None, Role::Support);
    // The team routes act on this member of merchant A (never on the users the test signs in as).
    app.add_user("target@a.test", Some("Merchant A"), Role::Viewer);
    let target: i64 = app.db(|c| {
        users::table
            .filter(users::email.eq("target@a.test"))
            .select(users::id)
            .first(c)
            .unwrap()
    });

    let snapshot = || {
        app.db(|c| {
            let tokens: Vec<(i64, String, String)> = access_tokens::table
                .select((
                    access_tokens::id,
                    access_tokens::name,
                    access_tokens::status,
                ))
                .order(access_tokens::id)
                .load(c)
                .unwrap();
            let people: Vec<(String, String, bool)> = users::table
                .select((users::email, users::role, users::disabled))
                .order(users::id)
                .load(c)
                .unwrap();
            let events: i64 = audit_events::table.count().get_result(c).unwrap();
            format!("{tokens:?} {people:?} {events}")
        })
    };

    // Merchant A's admin, on a browser of their own, makes the token each request acts on.
    let maker = app.client_for("admin@a.test").await;
    let mut checked = 0;
    let mut checked_posts = 0;
    let mut made = 0;
    for (method, path, expected) in MATRIX {
        for (who, want) in WHO.iter().zip(expected) {
            if *want == 0 {
                continue;
            }
            // A fresh token of merchant A for every request, so each one has something to act on.
            made += 1;
            let name = format!("Target {made}");
            let renamed = format!("Matrix {made}");
            let id = maker.issue_token(&name, &["orders"], "read_only").await.id;
            // Each request from a new browser: signed in, it loads a page to pick up the session's
            // new CSRF token (login rotates it).
            let visitor = app.client();
            let home = match who {
                Who::Anonymous => "/login",
                Who::Viewer => {
                    visitor.login("viewer@a.test", PASSWORD).await;
                    LIST
                }
                Who::Admin => {
                    visitor.login("admin@a.test", PASSWORD).await;
                    LIST
                }
                Who::Support => {
                    visitor.login("agent@kwik.test", PASSWORD).await;
                    "/support"
                }
                Who::OtherMerchantAdmin => {
                    visitor.login("admin@b.test", PASSWORD).await;
                    LIST
                }
            };
            visitor.get(home).await.assert_status(200);
            let subject = if path.starts_with("/settings/teams") {
                target
            } else {
                id
            };
            let url = path
                .replace("{id}", &subject.to_string())
                .replace("{path:.+}", "app.css");
            let before = snapshot();
            let answer = if *method == "get" {
                visitor.get(&url).await
            } else {
                checked_posts += 1;
                let email = format!("new{checked_posts}@a.test");
                let fields: Vec<(&str, &str)> = if path.ends_with("/status") {
                    vec![("status", "disabled"), ("reason", "Matrix test reason")]
                } else if path.ends_with("/role") {
                    vec![("role", "admin")]
                } else if path.ends_with("/roll") {
                    vec![("window", "now")]
                } else if path.ends_with("/delete") {
                    vec![("confirm_name", name.as_str())]
                } else if *path == "/settings/teams" {
                    vec![("email", email.as_str()), ("role", "viewer")]
                } else {
                    vec![("name", renamed.as_str()), ("sections", "orders")]
                };
                visitor.post(&url, &fields).await
            };
            assert_eq!(
                answer.status.as_u16(),
                *want,
                "{who:?} {method} {path}:\n{}",
                answer.body
            );
            if matches!(want, 403 | 404)
                || (*want == 303 && matches!(who, Who::Anonymous) && *path != "/logout")
            {
                assert_eq!(
                    snapshot(),
                    before,
                    "{who:?} {method} {path} was refused but changed state"
                );
                if *want == 303 {
                    answer.assert_redirect_to("/login");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 55, "{checked}");
}
