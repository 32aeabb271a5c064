//! The template structs of the Access Tokens screen: one per page or fragment.

use askama::Template;

use crate::web::Chrome;
use crate::web::tokens::rows::Rows;
use crate::web::tokens::views::{ConfirmView, FormView, RevealView, TokenRow};

#[derive(Template)]
#[template(path = "access_tokens/index.html")]
pub struct IndexPage {
    pub page: Chrome,
    /// Tokens disabled after a leak report that no admin has acknowledged yet.
    pub leaks: Vec<crate::web::tokens::leaks::LeakNotice>,
    pub tokens: Rows,
    pub can_manage: bool,
    pub list: crate::web::tokens::list::ListView,
}

#[derive(Template)]
#[template(path = "access_tokens/new.html")]
pub struct NewPage {
    pub page: Chrome,
    pub form: FormView,
    pub csrf_token: String,
}

#[derive(Template)]
#[template(path = "access_tokens/_form.html")]
pub struct FormFragment {
    pub form: FormView,
    pub csrf_token: String,
}

#[derive(Template)]
#[template(path = "access_tokens/reveal.html")]
pub struct RevealPage {
    pub page: Chrome,
    pub reveal: RevealView,
}

/// The reveal in the dialog, plus the refreshed table swapped out of band behind it.
#[derive(Template)]
#[template(path = "access_tokens/_reveal_swap.html")]
pub struct RevealFragment {
    pub reveal: RevealView,
    pub tokens: Rows,
    pub can_manage: bool,
    pub list: crate::web::tokens::list::ListView,
    pub csrf_token: String,
}

#[derive(Template)]
#[template(path = "access_tokens/confirm.html")]
pub struct ConfirmPage {
    pub page: Chrome,
    pub confirm: ConfirmView,
    pub csrf_token: String,
}

#[derive(Template)]
#[template(path = "access_tokens/_confirm.html")]
pub struct ConfirmFragment {
    pub confirm: ConfirmView,
    pub csrf_token: String,
}

#[derive(Template)]
#[template(path = "access_tokens/_row.html")]
pub struct RowFragment {
    pub token: TokenRow,
    pub can_manage: bool,
}
