//! The public checkout form, posted cross-site by anyone: never a panic reading the body, its
//! fields, the amount or the offer (everything but the database lookup of the public key).
#![no_main]

use kwik_dashboard::domain::checkout::{Amount, Customization, Submission};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let Ok(form) = Submission::parse(body) else {
        return;
    };
    let mut problems = Vec::new();
    let _ = Customization::read(&form, &mut problems).listed();
    if let Some(amount) = form.one("item_amount", &mut problems) {
        if let Ok(parsed) = amount.parse::<Amount>() {
            let again: Amount = parsed
                .plain()
                .parse()
                .expect("an amount written plain parses");
            assert_eq!(again.cents(), parsed.cents());
        }
    }
    let _ = form.offer();
});
