//! `POST /checkout/form`: the hosted checkout preview that a merchant's website posts its checkout form
//! to. Public by design: no login, no session, no CSRF token (the post comes from another site), so
//! nothing here may depend on who the visitor is. Nothing secret about the token is shown.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::assets::AssetUrls;
use super::html;
use crate::domain::checkout::{self, Amount, Checkout, Frequency, Problem, Submission};
use crate::web::error::AppError;
use crate::web::state::AppState;

/// Kwik's documentation of the checkout form's fields.
pub const DOCS: &str = "https://docs.kwik.co.za/v2/money-in/checkout-form";

/// One radio button of a choice list.
struct Choice {
    /// The element id (and the `for` of its label).
    id: String,
    /// What the payer reads.
    label: String,
    /// Chosen at first.
    checked: bool,
}

/// An amount the payer may type in.
struct Entry {
    /// Pre-filled value (`1250.00`), or empty.
    preset: String,
    /// The most they may enter.
    cap: Amount,
}

#[derive(Template)]
#[template(path = "checkout/preview.html")]
struct PreviewPage {
    assets: &'static AssetUrls,
    merchant: String,
    title: String,
    description: Option<String>,
    /// The one amount to pay, when the payer has no say in it.
    fixed: Option<Amount>,
    amount_choices: Vec<Choice>,
    entry: Option<Entry>,
    /// "once", or "once, monthly or annually" when the payer chooses.
    frequency_words: String,
    /// Empty when there is only one frequency.
    frequency_choices: Vec<Choice>,
    button_text: String,
    confirmation: Option<String>,
    customizations: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "checkout/problems.html")]
struct ProblemsPage {
    assets: &'static AssetUrls,
    docs: &'static str,
    status: u16,
    problems: Vec<Problem>,
}

#[derive(Template)]
#[template(path = "checkout/method.html")]
struct MethodPage {
    assets: &'static AssetUrls,
    docs: &'static str,
}

/// `POST /checkout/form`: a preview of the hosted checkout, or 422 with every problem in the form.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        let problem = Problem::new(
            "enctype",
            "must be application/x-www-form-urlencoded, an HTML form's default: remove enctype=\"multipart/form-data\" or \"text/plain\" from the <form> tag.",
        );
        return problems(StatusCode::UNSUPPORTED_MEDIA_TYPE, vec![problem]);
    }
    let form = Submission::parse(&body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    match state.db(move |c| checkout::prepare(c, &form)).await? {
        Ok(checkout) => html(StatusCode::OK, &preview(checkout)),
        Err(found) => {
            tracing::info!(problems = found.len(), "checkout form refused");
            problems(StatusCode::UNPROCESSABLE_ENTITY, found)
        }
    }
}

/// Any other address under `/checkout`: for the form's own address (another method) a 405 and a page
/// that says what it is for; anything else the 404 page.
pub async fn unrouted(req: HttpRequest) -> Result<HttpResponse, AppError> {
    if req.path() != "/checkout/form" {
        return Err(AppError::NotFound);
    }
    let page = MethodPage {
        assets: AssetUrls::get(),
        docs: DOCS,
    };
    let mut res = html(StatusCode::METHOD_NOT_ALLOWED, &page)?;
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    Ok(res)
}

fn problems(status: StatusCode, problems: Vec<Problem>) -> Result<HttpResponse, AppError> {
    let page = ProblemsPage {
        assets: AssetUrls::get(),
        docs: DOCS,
        status: status.as_u16(),
        problems,
    };
    html(status, &page)
}

/// What the page shows for a checked checkout.
fn preview(Checkout { merchant, offer }: Checkout) -> PreviewPage {
    let fixed = offer
        .amount
        .filter(|_| offer.options.is_empty() && offer.max.is_none());
    let first = offer.amount.or(offer.options.first().copied());
    let amount_choices = offer
        .options
        .iter()
        .map(|&option| Choice {
            id: format!("amount-{}", option.cents()),
            label: option.to_string(),
            checked: Some(option) == first,
        })
        .collect();
    // With options, typing an amount is offered only under a cap; without them, whenever the
    // amount is not fixed.
    let entry =
        (fixed.is_none() && (offer.options.is_empty() || offer.max.is_some())).then(|| Entry {
            preset: offer
                .amount
                .filter(|_| offer.options.is_empty())
                .map(Amount::plain)
                .unwrap_or_default(),
            cap: offer.max.unwrap_or(Amount::MAX),
        });
    let frequency_choices = if offer.frequencies.len() > 1 {
        offer
            .frequencies
            .iter()
            .enumerate()
            .map(|(i, f)| Choice {
                id: format!("frequency-{}", f.as_str().to_ascii_lowercase()),
                label: f.label().to_owned(),
                checked: i == 0,
            })
            .collect()
    } else {
        Vec::new()
    };
    PreviewPage {
        assets: AssetUrls::get(),
        merchant,
        title: offer.title,
        description: offer.description,
        fixed,
        amount_choices,
        entry,
        frequency_words: in_words(&offer.frequencies),
        frequency_choices,
        button_text: offer
            .customization
            .button_text
            .clone()
            .unwrap_or_else(|| "Pay now".to_owned()),
        confirmation: offer.customization.confirmation_message.clone(),
        customizations: offer.customization.listed(),
    }
}

/// "once", "once or monthly", "once, monthly or annually".
fn in_words(frequencies: &[Frequency]) -> String {
    let words: Vec<&str> = frequencies.iter().map(|f| f.words()).collect();
    match words.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => Frequency::OneTime.words().to_owned(),
    }
}
