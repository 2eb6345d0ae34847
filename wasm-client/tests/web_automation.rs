//! In a real browser driven through WebDriver (as these tests are): the tracker reads
//! `navigator.webdriver` and sends it with every batch, so the aggregator can filter the
//! session; a tag with `data-automation="allow"` (the `automation: "allow"` option) sends none.
#![cfg(target_arch = "wasm32")]

// Shared with web.rs, which uses the rest of it.
#[allow(dead_code)]
mod support;

use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_webdriver_browser_says_so_unless_the_tag_allows_automation() {
    install_fakes();
    for (site, options) in [
        ("t-automated", r#"{"site":"t-automated"}"#),
        ("t-allowed", r#"{"site":"t-allowed","automation":"allow"}"#),
    ] {
        let t = tracker(options);
        t.start();
        t.flush();
        sleep(50).await;
        let sent = fetches(site);
        assert_eq!(sent.len(), 1, "{site}");
        let b = body(&sent[0]);
        check_contract(&b);
        let signals = get(&b, "automation");
        if site == "t-allowed" {
            assert!(signals.is_undefined(), "allowed: no signals sent");
        } else {
            let names: Vec<String> = js_sys::Array::from(&signals)
                .iter()
                .filter_map(|v| v.as_string())
                .collect();
            assert!(
                names.iter().any(|n| n == "webdriver"),
                "navigator.webdriver is true under WebDriver: {names:?}"
            );
        }
        t.stop();
    }
}
