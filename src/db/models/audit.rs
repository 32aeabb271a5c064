//! The audit history table. There is an insert and there are reads; nothing here updates or deletes,
//! and database triggers refuse both.

use diesel::prelude::*;

use super::{MerchantId, UserId};
use crate::db::DbConn;
use crate::db::schema::{access_tokens, audit_events};

/// The backend of [`DbConn`], for boxed (optionally filtered) queries.
pub type Db = <DbConn as diesel::Connection>::Backend;

/// One recorded event.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct AuditEvent {
    /// Id (increasing).
    pub id: i64,
    /// When (UTC).
    pub occurred_at: time::PrimitiveDateTime,
    /// What, e.g. `token.disabled`.
    pub event: String,
    /// Who, if a user.
    pub actor_user_id: Option<UserId>,
    /// Their email then.
    pub actor_email: Option<String>,
    /// Their role then: admin, viewer, support, cli or anonymous.
    pub actor_role: String,
    /// The merchant concerned.
    pub merchant_id: Option<MerchantId>,
    /// `token` or `user`.
    pub target_type: Option<String>,
    /// Its id.
    pub target_id: Option<i64>,
    /// Its name or email then.
    pub target_label: Option<String>,
    /// Old → new, or a reason. Never a secret.
    pub detail: String,
    /// Client IP.
    pub ip: Option<String>,
    /// Client user agent (truncated).
    pub user_agent: Option<String>,
}

/// An event to record.
#[derive(Debug, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent<'a> {
    /// When (UTC).
    pub occurred_at: time::PrimitiveDateTime,
    /// What.
    pub event: &'a str,
    /// Who.
    pub actor_user_id: Option<UserId>,
    /// Their email.
    pub actor_email: Option<&'a str>,
    /// Their role.
    pub actor_role: &'a str,
    /// The merchant concerned.
    pub merchant_id: Option<MerchantId>,
    /// `token` or `user`.
    pub target_type: Option<&'a str>,
    /// Its id.
    pub target_id: Option<i64>,
    /// Its name or email.
    pub target_label: Option<&'a str>,
    /// Old → new, or a reason.
    pub detail: &'a str,
    /// Client IP.
    pub ip: Option<&'a str>,
    /// Client user agent.
    pub user_agent: Option<&'a str>,
}

/// Tokens (id, name) and actors (id, email) seen in a history.
#[derive(Debug, Clone, Default)]
pub struct Facets {
    /// Tokens, each once with its current name (a renamed token's events carry its older names),
    /// by name.
    pub tokens: Vec<(i64, String)>,
    /// Actors.
    pub actors: Vec<(UserId, String)>,
}

/// Which events to read. Every field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Events about this merchant.
    pub merchant: Option<MerchantId>,
    /// Events about tokens this user acted on (support's view).
    pub tokens_touched_by: Option<UserId>,
    /// This event type.
    pub event: Option<String>,
    /// About this token.
    pub token: Option<i64>,
    /// By this user.
    pub actor: Option<UserId>,
    /// At or after (UTC).
    pub from: Option<time::PrimitiveDateTime>,
    /// Before (UTC).
    pub until: Option<time::PrimitiveDateTime>,
}

impl AuditEvent {
    /// Appends one event.
    pub fn record(conn: &mut DbConn, event: &NewAuditEvent<'_>) -> QueryResult<()> {
        diesel::insert_into(audit_events::table)
            .values(event)
            .execute(conn)
            .map(drop)
    }

    /// The latest `event` about the target `kind`/`id`, if any.
    pub fn latest_about(
        conn: &mut DbConn,
        kind: &str,
        id: i64,
        event: &str,
    ) -> QueryResult<Option<AuditEvent>> {
        audit_events::table
            .filter(audit_events::target_type.eq(kind))
            .filter(audit_events::target_id.eq(id))
            .filter(audit_events::event.eq(event))
            .order((audit_events::occurred_at.desc(), audit_events::id.desc()))
            .select(AuditEvent::as_select())
            .first(conn)
            .optional()
    }

    fn filtered(
        filter: &AuditFilter,
        touched: Option<&[i64]>,
    ) -> audit_events::BoxedQuery<'static, Db> {
        let mut q = audit_events::table.into_boxed::<Db>();
        if let Some(m) = filter.merchant {
            q = q.filter(audit_events::merchant_id.eq(m));
        }
        if let Some(ids) = touched {
            q = q
                .filter(audit_events::target_type.eq("token"))
                .filter(audit_events::target_id.eq_any(ids.to_vec()));
        }
        if let Some(e) = &filter.event {
            q = q.filter(audit_events::event.eq(e.clone()));
        }
        if let Some(t) = filter.token {
            q = q
                .filter(audit_events::target_type.eq("token"))
                .filter(audit_events::target_id.eq(t));
        }
        if let Some(a) = filter.actor {
            q = q.filter(audit_events::actor_user_id.eq(a));
        }
        if let Some(from) = filter.from {
            q = q.filter(audit_events::occurred_at.ge(from));
        }
        if let Some(until) = filter.until {
            q = q.filter(audit_events::occurred_at.lt(until));
        }
        q
    }

    /// The tokens and the actors that appear in the events `filter` allows (for the filter menus).
    pub fn facets(conn: &mut DbConn, filter: &AuditFilter) -> QueryResult<Facets> {
        let scope = AuditFilter {
            merchant: filter.merchant,
            tokens_touched_by: filter.tokens_touched_by,
            ..AuditFilter::default()
        };
        let touched = Self::touched(conn, &scope)?;
        let ids: Vec<i64> = Self::filtered(&scope, touched.as_deref())
            .filter(audit_events::target_type.eq("token"))
            .select(audit_events::target_id.assume_not_null())
            .distinct()
            .limit(500)
            .load(conn)?;
        // Tokens stay (deleted ones too) for their history: each has its current name there.
        let tokens = access_tokens::table
            .filter(access_tokens::id.eq_any(&ids))
            .order((access_tokens::name, access_tokens::id))
            .select((access_tokens::id, access_tokens::name))
            .load::<(super::TokenId, String)>(conn)?
            .into_iter()
            .map(|(id, name)| (id.0, name))
            .collect();
        // Support staff appear as "Kwik Support", never by name, in a merchant's history.
        let actors = Self::filtered(&scope, touched.as_deref())
            .filter(audit_events::actor_user_id.is_not_null())
            .filter(audit_events::actor_role.ne("support"))
            .select((
                audit_events::actor_user_id.assume_not_null(),
                audit_events::actor_email.assume_not_null(),
            ))
            .distinct()
            .limit(500)
            .load(conn)?;
        Ok(Facets { tokens, actors })
    }

    fn touched(conn: &mut DbConn, filter: &AuditFilter) -> QueryResult<Option<Vec<i64>>> {
        filter
            .tokens_touched_by
            .map(|user| {
                audit_events::table
                    .filter(audit_events::actor_user_id.eq(user))
                    .filter(audit_events::target_type.eq("token"))
                    .select(audit_events::target_id.assume_not_null())
                    .distinct()
                    .load::<i64>(conn)
            })
            .transpose()
    }

    /// One page of matching events, newest first, and how many match in all.
    pub fn page(
        conn: &mut DbConn,
        filter: &AuditFilter,
        offset: i64,
        limit: i64,
    ) -> QueryResult<(Vec<AuditEvent>, i64)> {
        let touched = Self::touched(conn, filter)?;
        let total = Self::filtered(filter, touched.as_deref())
            .count()
            .get_result(conn)?;
        let rows = Self::filtered(filter, touched.as_deref())
            .order((audit_events::occurred_at.desc(), audit_events::id.desc()))
            .offset(offset)
            .limit(limit)
            .select(AuditEvent::as_select())
            .load(conn)?;
        Ok((rows, total))
    }
}
