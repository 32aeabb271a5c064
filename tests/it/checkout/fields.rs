//! The checkout form's fields: amounts, options, frequency, title, type and customisation.

use super::*;

#[actix_web::test]
async fn amounts_with_no_one_or_two_decimals_are_accepted() {
    let app = spawn_app().await;
    let key = public_key(&app, &["checkout_page"]).await;
    for (amount, shown) in [
        ("10", "R 10.00"),
        ("10.5", "R 10.50"),
        ("10.50", "R 10.50"),
        ("0.01", "R 0.01"),
        ("1000000", "R 1,000,000.00"),
    ] {
        app.post_raw(
            FORM,
            &with(basic(&key), "item_amount", amount),
            &[("Origin", SHOP)],
        )
        .await
        .assert_status(200)
        .assert_contains(&format!("<dd class=\"checkout-amount\">{shown}</dd>"));
    }
}

#[actix_web::test]
async fn zero_negative_and_garbled_amounts_are_refused() {
    let app = spawn_app().await;
    let key = public_key(&app, &["checkout_page"]).await;
    for (amount, why) in [
        ("0", "must be more than R 0.00"),
        ("-1", "must be more than R 0.00"),
        ("1.234", "has more than 2 decimal places"),
        ("abc", "is not an amount in rand"),
        ("1e3", "is not an amount in rand"),
        ("1,000", "is not an amount in rand"),
        ("1000000.01", "is more than the limit of R 1,000,000.00"),
    ] {
        app.post_raw(
            FORM,
            &with(basic(&key), "item_amount", amount),
            &[("Origin", SHOP)],
        )
        .await
        .assert_status(422)
        .assert_contains(&format!("<code>item_amount</code> “{amount}” {why}"));
    }
}

#[actix_web::test]
async fn a_blank_amount_is_refused_but_a_missing_one_lets_the_payer_enter_one() {
    let app = spawn_app().await;
    let key = public_key(&app, &["checkout_page"]).await;
    for blank in ["", "  "] {
        app.post_raw(
            FORM,
            &with(basic(&key), "item_amount", blank),
            &[("Origin", SHOP)],
        )
        .await
        .assert_status(422)
        .assert_contains("<code>item_amount</code> is empty");
    }
    app.post_raw(
        FORM,
        &without(basic(&key), "item_amount"),
        &[("Origin", SHOP)],
    )
    .await
    .assert_status(200)
    .assert_contains("<label for=\"amount-entry\">Amount in rand</label>")
    .assert_contains("Up to R 1,000,000.00.")
    .assert_contains("Paid <strong>once</strong>");
}

#[actix_web::test]
async fn each_invalid_field_gives_its_own_message_and_422() {
    let app = spawn_app().await;
    let key = public_key(&app, &["checkout_page"]).await;
    let long_title = "x".repeat(121);
    let long_button = "y".repeat(41);
    for (field, value, message) in [
        ("item_title", "   ", "<code>item_title</code> is required"),
        (
            "item_title",
            long_title.as_str(),
            "<code>item_title</code> is 121 characters long; keep it to 120.",
        ),
        (
            "item_frequency",
            "WEEKLY",
            "<code>item_frequency</code> “WEEKLY” is not a frequency",
        ),
        (
            "item_amount_max",
            "lots",
            "<code>item_amount_max</code> “lots” is not an amount in rand",
        ),
        (
            "item_amount_max",
            "1000",
            "<code>item_amount_max</code> R 1,000.00 is less than item_amount (R 1,250.00)",
        ),
        (
            "item_amount_options",
            "1250,abc",
            "<code>item_amount_options</code> “abc” is not an amount in rand",
        ),
        (
            "type",
            "SUBSCRIPTION",
            "<code>type</code> must be CHOOSE_WHAT_TO_PAY",
        ),
        (
            "customization_button_text",
            long_button.as_str(),
            "<code>customization_button_text</code> is 41 characters long; keep it to 40.",
        ),
    ] {
        let page = app
            .post_raw(FORM, &with(basic(&key), field, value), &[("Origin", SHOP)])
            .await;
        page.assert_status(422)
            .assert_no_store()
            .assert_contains("This checkout cannot start")
            .assert_contains(message)
            .assert_lacks("Preview only.");
        assert_eq!(
            page.body.matches("<li>").count(),
            1,
            "{field}={value}: {}",
            page.body
        );
    }
}

#[actix_web::test]
async fn every_problem_is_listed_at_once() {
    let app = spawn_app().await;
    public_key(&app, &["checkout_page"]).await;
    let fields = [
        ("public_key", "nope"),
        ("item_amount", "abc"),
        ("item_frequency", "DAILY"),
    ];
    let page = app.post_raw(FORM, &fields, &[("Origin", SHOP)]).await;
    page.assert_status(422)
        .assert_contains("has 4 problems")
        .assert_contains("<code>public_key</code>")
        .assert_contains("<code>item_title</code>")
        .assert_contains("<code>item_amount</code>")
        .assert_contains("<code>item_frequency</code>");
}

#[actix_web::test]
async fn up_to_five_amount_options_become_a_choice_list() {
    let app = spawn_app().await;
    let key = public_key(&app, &["checkout_page"]).await;
    let mut fields = with(basic(&key), "item_amount", "100");
    // Comma-separated and repeated, as Kwik's example and as checkboxes would send them.
    fields.extend([
        ("item_amount_options", "50,100, 150"),
        ("item_amount_options", "200"),
        ("item_amount_options", "250"),
    ]);
    let page = app.post_raw(FORM, &fields, &[("Origin", SHOP)]).await;
    page.assert_status(200)
        .assert_contains("<legend>Choose an amount</legend>")
        .assert_contains("id=\"amount-10000\" checked>")
        .assert_lacks("<label for=\"amount-entry\"");
    for shown in ["R 50.00", "R 100.00", "R 150.00", "R 200.00", "R 250.00"] {
        page.assert_contains(&format!(
            "<strong class=\"checkout-option\">{shown}</strong>"
        ));
    }
}

#[actix_web::test]
async fn more_than_five_amount_options_are_refused() {
    let app = spawn_app().await;
    let key = public_key(&app, &["checkout_page"]).await;
    let fields = with(basic(&key), "item_amount_options", "10,20,30,40,50,60");
    app.post_raw(
        FORM,
        &with(fields, "item_amount", "10"),
        &[("Origin", SHOP)],
    )
    .await
    .assert_status(422)
    .assert_contains("<code>item_amount_options</code> has 6 amounts; offer at most 5.");
}

#[actix_web::test]
async fn a_cap_allows_another_amount_and_options_above_it_are_refused() {
    let app = spawn_app().await;
    let key = public_key(&app, &["checkout_page"]).await;
    let fields = with(basic(&key), "item_amount_options", "50,100");
    let fields = with(without(fields, "item_amount"), "item_amount_max", "3000");
    app.post_raw(FORM, &fields, &[("Origin", SHOP)])
        .await
        .assert_status(200)
        .assert_contains("id=\"amount-5000\" checked>")
        .assert_contains("Or enter another amount in rand")
        .assert_contains("Up to R 3,000.00.");
    let fields = with(fields, "item_amount_max", "75");
    app.post_raw(FORM, &fields, &[("Origin", SHOP)])
        .await
        .assert_status(422)
        .assert_contains("R 100.00 is more than item_amount_max (R 75.00).");
}

#[actix_web::test]
async fn frequency_defaults_to_once_and_several_become_a_choice() {
    let app = spawn_app().await;
    let key = public_key(&app, &["checkout_page"]).await;
    app.post_raw(
        FORM,
        &without(basic(&key), "item_frequency"),
        &[("Origin", SHOP)],
    )
    .await
    .assert_status(200)
    .assert_contains("<dd>once</dd>");
    app.post_raw(
        FORM,
        &with(basic(&key), "item_frequency", "MONTHLY"),
        &[("Origin", SHOP)],
    )
    .await
    .assert_contains("<dd>monthly</dd>");
    let several = with(basic(&key), "item_frequency", "ANNUALLY,ONE_TIME,MONTHLY");
    app.post_raw(FORM, &several, &[("Origin", SHOP)])
        .await
        .assert_status(200)
        .assert_contains("<legend>How often</legend>")
        .assert_contains("Pay once, monthly or annually.")
        .assert_contains("id=\"frequency-one_time\" checked>");
}

#[actix_web::test]
async fn customisation_is_shown_as_escaped_text_and_never_as_markup_or_style() {
    let app = spawn_app().await;
    let key = public_key(&app, &["checkout_page"]).await;
    let mut fields = basic(&key);
    fields.extend([
        ("customization_button_text", "Donate <b>now</b>"),
        (
            "customization_confirmation_message",
            "Thanks! <script>alert(1)</script>",
        ),
        (
            "customization_primary_color",
            "red;}</style><script>x()</script>",
        ),
        ("customization_logo_url", "javascript:alert(1)"),
    ]);
    let page = app.post_raw(FORM, &fields, &[("Origin", SHOP)]).await;
    page.assert_status(200)
        .assert_contains(">Donate &#60;b&#62;now&#60;/b&#62;</button>")
        .assert_contains("Thanks! &#60;script&#62;")
        .assert_contains("<code>customization_primary_color</code>")
        .assert_contains("<code>customization_logo_url</code>")
        .assert_contains("Other customisation received (2)")
        .assert_lacks("<script")
        .assert_lacks("<b>now")
        .assert_lacks(" style=")
        .assert_lacks("href=\"javascript");
}
