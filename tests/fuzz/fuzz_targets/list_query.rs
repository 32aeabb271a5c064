//! The token list's query string, as any address bar may hold it: never a panic; the address the
//! page links to (its canonical query) reads back as the same view, with no credential left in it.
#![no_main]

use kwik_dashboard::web::tokens::list::{ListQuery, read};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|query: &[u8]| {
    let Ok(query) = serde_html_form::from_bytes::<ListQuery>(query) else {
        return;
    };
    let view = read(&query);
    let url = view.url(view.page);
    let again_query = url.split_once('?').map_or("", |(_, q)| q);
    let again: ListQuery = serde_html_form::from_str(again_query)
        .unwrap_or_else(|e| panic!("the page's own link {url:?} does not parse: {e}"));
    let again = read(&again);
    assert!(!again.scrubbed, "a credential survived in {url:?}");
    assert_eq!(
        format!("{:?}", again.filter),
        format!("{:?}", view.filter),
        "{url}"
    );
    assert_eq!(
        format!("{:?}", again.sort),
        format!("{:?}", view.sort),
        "{url}"
    );
    assert_eq!(again.page, view.page, "{url}");
});
