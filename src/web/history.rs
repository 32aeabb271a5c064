//! `GET /settings/history` (Kwik's Settings › History) and its CSV export: the audit history, filtered
//! by event, token, actor and date, 50 events a page, all in bookmarkable query strings.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use time::macros::format_description;

use super::format;
use super::{Chrome, html, is_htmx};
use crate::db::models::audit::{AuditEvent, AuditFilter, Facets};
use crate::db::models::{Merchant, MerchantId, UserId};
use crate::domain::audit::Event;
use crate::web::current_user::HistoryReader;
use crate::web::error::AppError;
use crate::web::state::AppState;

/// Events per page.
pub const PAGE_SIZE: i64 = 50;
/// Most rows a CSV export holds.
pub const CSV_MAX: i64 = 100_000;

/// The filters, exactly as in the query string.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct HistoryQuery {
    event: String,
    token: String,
    actor: String,
    from: String,
    to: String,
    page: String,
}

/// One event as shown.
pub struct Row {
    pub when: String,
    pub when_iso: String,
    pub event: String,
    pub actor: String,
    pub target: String,
    pub detail: String,
    pub ip: String,
    /// The merchant concerned (support's history spans merchants).
    pub merchant: String,
}

#[derive(Template)]
#[template(path = "history/index.html")]
struct HistoryPage {
    page: Chrome,
    view: View,
    /// The Export CSV link is in the filter bar; a results swap updates it out of band.
    swap_oob: bool,
}

#[derive(Template)]
#[template(path = "history/_results.html")]
struct ResultsFragment {
    view: View,
    swap_oob: bool,
}

/// Everything the page and its fragment show.
pub struct View {
    pub q: HistoryQuery,
    pub rows: Vec<Row>,
    pub total: i64,
    pub first: i64,
    pub last: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub csv: String,
    pub problems: Vec<&'static str>,
    pub events: Vec<(&'static str, &'static str)>,
    pub facets: Facets,
    /// Kwik Support's history: across merchants, with a Merchant column.
    pub support: bool,
}

impl View {
    pub fn selected_token(&self, id: &i64) -> bool {
        self.q.token == id.to_string()
    }

    pub fn selected_actor(&self, id: &UserId) -> bool {
        self.q.actor == id.0.to_string()
    }
}

fn date(text: &str) -> Result<Option<time::Date>, ()> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    time::Date::parse(text.trim(), format_description!("[year]-[month]-[day]"))
        .map(Some)
        .map_err(drop)
}

/// The reader's filter, and what in the query could not be understood.
fn filter_of(reader: &HistoryReader, q: &HistoryQuery) -> (AuditFilter, Vec<&'static str>) {
    q.filter(match reader {
        HistoryReader::Member(m) => AuditFilter {
            merchant: Some(m.merchant.id),
            ..AuditFilter::default()
        },
        HistoryReader::Support(u) => AuditFilter {
            tokens_touched_by: Some(u.id),
            ..AuditFilter::default()
        },
    })
}

impl HistoryQuery {
    /// `scope` (whose events the reader may see) narrowed by the query's filters, and what in the
    /// query could not be understood (that part is ignored, never an error).
    pub fn filter(&self, scope: AuditFilter) -> (AuditFilter, Vec<&'static str>) {
        let q = self;
        let mut problems = Vec::new();
        let mut filter = scope;
        if !q.event.is_empty() {
            match q.event.parse::<Event>() {
                Ok(e) => filter.event = Some(e.as_str().to_owned()),
                Err(_) => problems.push("Unknown event type: showing all events."),
            }
        }
        if !q.token.is_empty() {
            match q.token.parse() {
                Ok(t) => filter.token = Some(t),
                Err(_) => problems.push("Unknown token: showing all tokens."),
            }
        }
        if !q.actor.is_empty() {
            match q.actor.parse() {
                Ok(a) => filter.actor = Some(UserId(a)),
                Err(_) => problems.push("Unknown person: showing everyone."),
            }
        }
        match (date(&q.from), date(&q.to)) {
            (Ok(Some(from)), Ok(Some(to))) if from > to => problems.push(
                "From is after To: swap the dates, or change one. The date range was ignored.",
            ),
            (Ok(from), Ok(to)) => {
                filter.from = from.map(crate::infra::sa_time::start_of_day);
                filter.until = to
                    .and_then(|d| d.next_day())
                    .map(crate::infra::sa_time::start_of_day);
            }
            _ => problems.push("Use dates like 2026-11-22: the date range was ignored."),
        }
        (filter, problems)
    }

    /// The address of these filters at `base`, on `page` (the first when `None`).
    pub fn link(&self, page: Option<i64>, base: &str) -> String {
        let mut q = self.clone();
        q.page = page
            .filter(|p| *p > 1)
            .map(|p| p.to_string())
            .unwrap_or_default();
        let pairs: Vec<(&str, &str)> = [
            ("event", q.event.as_str()),
            ("token", &q.token),
            ("actor", &q.actor),
            ("from", &q.from),
            ("to", &q.to),
            ("page", &q.page),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        let query = serde_html_form::to_string(pairs).unwrap_or_default();
        if query.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{query}")
        }
    }
}

fn actor_label(e: &AuditEvent) -> String {
    match (e.actor_role.as_str(), e.actor_email.as_deref()) {
        ("support", _) => "Kwik Support".to_owned(),
        ("cli", _) => "Kwik operator (command line)".to_owned(),
        ("system", _) => "Kwik (an upgrade of the dashboard)".to_owned(),
        ("scanner", Some(name)) => name.to_owned(),
        ("anonymous", Some(email)) => format!("{email} (not signed in)"),
        ("anonymous", None) => "Someone not signed in".to_owned(),
        (role, Some(email)) => format!("{email} ({role})"),
        (role, None) => role.to_owned(),
    }
}

fn row(e: &AuditEvent, merchants: &std::collections::HashMap<MerchantId, String>) -> Row {
    Row {
        merchant: e
            .merchant_id
            .and_then(|m| merchants.get(&m).cloned())
            .unwrap_or_default(),
        when: format::date_time(e.occurred_at),
        when_iso: format::iso(e.occurred_at),
        event: e
            .event
            .parse::<Event>()
            .map_or_else(|_| e.event.clone(), |ev| ev.label().to_owned()),
        actor: actor_label(e),
        target: e.target_label.clone().unwrap_or_default(),
        detail: e.detail.clone(),
        ip: e.ip.clone().unwrap_or_default(),
    }
}

/// `GET /settings/history`.
pub async fn index(
    req: HttpRequest,
    reader: HistoryReader,
    session: Session,
    state: web::Data<AppState>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let (filter, problems) = filter_of(&reader, &q);
    let page: i64 = q.page.parse().ok().filter(|p| *p >= 1).unwrap_or(1);
    let offset = (page - 1) * PAGE_SIZE;
    let support = matches!(reader, HistoryReader::Support(_));
    let (events, total, facets, merchants) = state
        .db(move |c| -> diesel::QueryResult<_> {
            let (events, total) = AuditEvent::page(c, &filter, offset, PAGE_SIZE)?;
            let merchants = if support {
                let mut ids: Vec<MerchantId> =
                    events.iter().filter_map(|e| e.merchant_id).collect();
                ids.sort_unstable_by_key(|m| m.0);
                ids.dedup();
                Merchant::names(c, &ids)?
            } else {
                Default::default()
            };
            Ok((events, total, AuditEvent::facets(c, &filter)?, merchants))
        })
        .await?;
    let shown = events.len() as i64;
    let view = View {
        support,
        rows: events.iter().map(|e| row(e, &merchants)).collect(),
        total,
        first: if shown == 0 { 0 } else { offset + 1 },
        last: offset + shown,
        prev: (page > 1).then(|| q.link(Some(page - 1), "/settings/history")),
        next: (offset + shown < total).then(|| q.link(Some(page + 1), "/settings/history")),
        csv: q.link(None, "/settings/history.csv"),
        problems,
        events: Event::ALL.iter().map(|e| (e.as_str(), e.label())).collect(),
        facets,
        q,
    };
    if is_htmx(&req) {
        return html(
            StatusCode::OK,
            &ResultsFragment {
                view,
                swap_oob: true,
            },
        );
    }
    let chrome = match &reader {
        HistoryReader::Member(m) => Chrome::for_member(&session, m)?,
        HistoryReader::Support(u) => Chrome::for_support(&session, u)?,
    };
    html(
        StatusCode::OK,
        &HistoryPage {
            page: chrome.at("history"),
            view,
            swap_oob: false,
        },
    )
}

/// A CSV cell: quoted when needed, and never starting with a character a spreadsheet would run as a
/// formula (`= + - @`, tab, carriage return): those get a leading apostrophe.
pub fn csv_cell(text: &str) -> String {
    let safe = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if safe.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

/// `GET /settings/history.csv`: the filtered history as CSV.
pub async fn csv(
    reader: HistoryReader,
    state: web::Data<AppState>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, AppError> {
    let (filter, _) = filter_of(&reader, &query);
    let (events, _) = state
        .db(move |c| AuditEvent::page(c, &filter, 0, CSV_MAX))
        .await?;
    let mut out = String::from(
        "time_utc,time_sast,event,actor,actor_role,target_type,target,detail,ip,user_agent\r\n",
    );
    for e in &events {
        let cells = [
            format::iso(e.occurred_at),
            format::date_time(e.occurred_at),
            e.event.clone(),
            actor_label(e),
            e.actor_role.clone(),
            e.target_type.clone().unwrap_or_default(),
            e.target_label.clone().unwrap_or_default(),
            e.detail.clone(),
            e.ip.clone().unwrap_or_default(),
            e.user_agent.clone().unwrap_or_default(),
        ];
        out.push_str(
            &cells
                .iter()
                .map(|c| csv_cell(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"kwik-history.csv\"",
        ))
        .body(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_cannot_run_as_formulas() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+27"), "'+27");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("a, b"), "\"a, b\"");
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(
            csv_cell("status: live → disabled"),
            "status: live → disabled"
        );
    }

    #[test]
    fn date_ranges_are_south_african_days() {
        let day = time::macros::date!(2026 - 11 - 22);
        assert_eq!(
            crate::infra::sa_time::start_of_day(day),
            time::macros::datetime!(2026-11-21 22:00)
        );
    }
}
