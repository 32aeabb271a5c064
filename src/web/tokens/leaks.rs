//! The Access Tokens banner about tokens disabled after a leak report, and its acknowledgement
//! (`POST /developers/access-tokens/leak-reports/acknowledge`, admins only, CSRF-checked like every
//! page form).

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::domain::leaks;
use crate::web::current_user::MerchantAdmin;
use crate::web::error::AppError;
use crate::web::state::AppState;
use crate::web::tokens::PATH;
use crate::web::{Flash, format, redirect};

/// One line of the banner.
#[derive(Debug, Clone)]
pub struct LeakNotice {
    /// The token's id, for its link.
    pub token_id: i64,
    /// Its name.
    pub name: String,
    /// Where it was found, as the scanner said.
    pub source: String,
    /// The scanner's link.
    pub url: String,
    /// GitHub or GitLab.
    pub reporter: &'static str,
    /// When.
    pub when: String,
}

impl LeakNotice {
    pub(super) fn of(u: leaks::Unacknowledged) -> Self {
        Self {
            token_id: u.report.token_id.0,
            name: u.token_name,
            reporter: if u.report.reporter == leaks::Reporter::GitLab.as_str() {
                leaks::Reporter::GitLab.label()
            } else {
                leaks::Reporter::GitHub.label()
            },
            source: u.report.source,
            url: u.report.url,
            when: format::date_time(u.report.received_at),
        }
    }
}

/// The banner's lines for this merchant: none without asking the database when its count, read
/// with the session, says there are none.
pub async fn notices(
    state: &AppState,
    merchant: &crate::db::models::Merchant,
) -> Result<Vec<LeakNotice>, AppError> {
    if merchant.leaks_unacknowledged <= 0 {
        return Ok(Vec::new());
    }
    let merchant = merchant.id;
    let found = state
        .db(move |c| leaks::unacknowledged(c, merchant))
        .await?;
    Ok(found.into_iter().map(LeakNotice::of).collect())
}

/// `POST /developers/access-tokens/leak-reports/acknowledge`: hides the banner for everyone of the
/// merchant until the next leak report.
pub async fn acknowledge(
    req: HttpRequest,
    admin: MerchantAdmin,
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let member = admin.0;
    let merchant = member.merchant.id;
    let actor = crate::web::actor(&req, &state, &member.user);
    let count = state
        .db(move |c| leaks::acknowledge(c, merchant, &actor))
        .await?;
    if count > 0 {
        Flash {
            kind: "success".into(),
            message: "Leak report acknowledged. Roll each exposed secret before you enable its token again.".into(),
        }
        .set(&session)?;
    }
    Ok(redirect(&req, PATH))
}
