//! The History's filters, as any address bar may hold them: never a panic; the links the page makes
//! (previous, next, CSV) read back as the same filters.
#![no_main]

use kwik_dashboard::db::models::audit::AuditFilter;
use kwik_dashboard::web::history::HistoryQuery;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&[u8], u8)| {
    let (query, page) = input;
    let Ok(query) = serde_html_form::from_bytes::<HistoryQuery>(query) else {
        return;
    };
    let (filter, problems) = query.filter(AuditFilter::default());
    let page = (page > 1).then_some(i64::from(page));
    let link = query.link(page, "/settings/history");
    let again_query = link.split_once('?').map_or("", |(_, q)| q);
    let again: HistoryQuery = serde_html_form::from_str(again_query)
        .unwrap_or_else(|e| panic!("the page's own link {link:?} does not parse: {e}"));
    let (again_filter, again_problems) = again.filter(AuditFilter::default());
    assert_eq!(format!("{again_filter:?}"), format!("{filter:?}"), "{link}");
    assert_eq!(again_problems, problems, "{link}");
});
