//! Extractors for the logged-in user, one per capability, so that role checks live here and nowhere
//! else.

use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::session_store::{SIGNED_IN_KEY, SignedIn, USER_ID_KEY, take_signed_in};
use crate::db::models::{Merchant, Role, User, UserId};
use crate::web::error::AppError;
use crate::web::state::AppState;

/// Any logged-in, enabled user.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The user.
    pub user: User,
    /// Their merchant (`None` for support staff).
    pub merchant: Option<Merchant>,
}

impl CurrentUser {
    /// The signed-in user, who must not still owe an enrolment (see [`EnrollingUser`]).
    async fn load(req: &HttpRequest) -> Result<Self, AppError> {
        let current = Self::load_any(req).await?;
        let state = req.app_data::<web::Data<AppState>>();
        let support_requires = state.is_some_and(|s| s.config.support_require_two_factor);
        if crate::domain::auth::two_factor::must_enrol(
            &current.user,
            current.merchant.as_ref(),
            support_requires,
        ) {
            return Err(AppError::EnrolmentRequired);
        }
        Ok(current)
    }

    /// The signed-in user, enrolled or not.
    pub async fn load_any(req: &HttpRequest) -> Result<Self, AppError> {
        let session = req.get_session();
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState is not registered")))?;
        let uid = session
            .get::<i64>(USER_ID_KEY)
            .map_err(AppError::internal)?
            .ok_or(AppError::LoginRequired)?;
        // Read with the session, for the session's user (a login in this very request changed it).
        // The handoff is taken once: a second extraction in the same request reads the user again.
        let loaded = session
            .get::<u64>(SIGNED_IN_KEY)
            .ok()
            .flatten()
            .and_then(take_signed_in)
            .filter(|s| s.uid == uid);
        let signed_in = match loaded {
            Some(signed_in) => signed_in,
            None => state.db(move |c| SignedIn::read(c, UserId(uid))).await?,
        };
        match signed_in {
            SignedIn {
                user: Some(user),
                merchant,
                ..
            } if !user.disabled => Ok(Self { user, merchant }),
            // Disabled or deleted since login: the session is worthless from now on.
            SignedIn { user: Some(_), .. } => {
                session.purge();
                Err(AppError::AccountDisabled)
            }
            _ => {
                session.purge();
                Err(AppError::LoginRequired)
            }
        }
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Self::load(&req).await })
    }
}

/// A signed-in user who may still have to enrol a second factor before anything else (their
/// merchant, or the support policy, requires one): for the enrolment pages and signing out.
#[derive(Debug, Clone)]
pub struct EnrollingUser(pub CurrentUser);

impl FromRequest for EnrollingUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { CurrentUser::load_any(&req).await.map(Self) })
    }
}

/// A merchant's staff member (admin or viewer): may see the merchant's pages.
#[derive(Debug, Clone)]
pub struct MerchantUser {
    /// The user.
    pub user: User,
    /// Their merchant.
    pub merchant: Merchant,
}

impl MerchantUser {
    /// Whether this user may change the merchant's tokens.
    pub fn can_manage_tokens(&self) -> bool {
        self.user.role == Role::Admin
    }
}

impl FromRequest for MerchantUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let current = CurrentUser::load(&req).await?;
            match current.merchant {
                Some(merchant) => Ok(Self {
                    user: current.user,
                    merchant,
                }),
                None => Err(AppError::Forbidden("This page is for merchant staff.")),
            }
        })
    }
}

/// A merchant admin: may change the merchant's tokens and team.
#[derive(Debug, Clone)]
pub struct MerchantAdmin(pub MerchantUser);

impl FromRequest for MerchantAdmin {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let member = MerchantUser::from_request(req, payload);
        Box::pin(async move {
            let member = member.await?;
            if member.can_manage_tokens() {
                Ok(Self(member))
            } else {
                Err(AppError::Forbidden(
                    "Only merchant admins can do this: ask an admin of your merchant.",
                ))
            }
        })
    }
}

/// Kwik platform support staff: the support console, any merchant's token, never a credential.
#[derive(Debug, Clone)]
pub struct SupportStaff(pub User);

impl FromRequest for SupportStaff {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let current = CurrentUser::load(&req).await?;
            if current.user.role == Role::Support {
                Ok(Self(current.user))
            } else {
                Err(AppError::Forbidden(
                    "The support console is for Kwik Support staff.",
                ))
            }
        })
    }
}

/// Whoever may read audit history, and which part of it.
#[derive(Debug, Clone)]
pub enum HistoryReader {
    /// A merchant's admin or viewer: their merchant's events.
    Member(MerchantUser),
    /// Support staff: the events of the tokens they touched.
    Support(User),
}

impl HistoryReader {
    /// The signed-in user.
    pub fn user(&self) -> &User {
        match self {
            Self::Member(m) => &m.user,
            Self::Support(u) => u,
        }
    }
}

impl FromRequest for HistoryReader {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let current = CurrentUser::load(&req).await?;
            match (current.user.role, current.merchant) {
                (Role::Support, _) => Ok(Self::Support(current.user)),
                (_, Some(merchant)) => Ok(Self::Member(MerchantUser {
                    user: current.user,
                    merchant,
                })),
                (_, None) => Err(AppError::Forbidden(
                    "This page is for merchant staff and Kwik Support.",
                )),
            }
        })
    }
}
