//! Accessibility checks with axe-core (npm, installed into tools/ by `make tools`): the page under
//! test gets axe injected and run, and every violation of impact "serious" or "critical" is
//! reported with its rule, help text and the elements it names.

use serde_json::Value;

use crate::browser::Browser;
use crate::stack::repo_root;

/// axe.min.js from tools/node_modules (scripts/install-wasm-tools.sh installs it).
fn axe_source() -> String {
    let path = repo_root().join("tools/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "axe-core is not installed at {} ({error}): run `make tools`",
            path.display()
        )
    })
}

/// Runs axe on the current page (WCAG 2.x A and AA rules and axe's best practices) and returns
/// the violations of impact "serious" or "critical", one readable line per rule.
pub async fn serious_violations(browser: &Browser) -> Vec<String> {
    // WebDriver scripts run through DevTools, not as page scripts: the page's CSP does not apply.
    browser.eval(&axe_source()).await;
    let injected = browser.eval("return typeof window.axe").await;
    assert_eq!(injected, "object", "axe-core did not load into the page");
    let script = "const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']})
          .then(r => done(r.violations), e => done({error: String(e)}));";
    let violations = browser
        .client
        .execute_async(script, vec![])
        .await
        .expect("axe.run answers");
    assert!(
        violations.get("error").is_none(),
        "axe.run failed: {violations}"
    );
    describe(&violations)
}

/// The serious and critical violations in axe's answer, as text.
pub fn describe(violations: &Value) -> Vec<String> {
    let none = vec![];
    violations
        .as_array()
        .unwrap_or(&none)
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| {
            let nodes: Vec<String> = v["nodes"]
                .as_array()
                .unwrap_or(&none)
                .iter()
                .map(|n| {
                    let target = n["target"].to_string();
                    let why = n["failureSummary"]
                        .as_str()
                        .unwrap_or("")
                        .replace('\n', " ");
                    format!("    {target}: {why}")
                })
                .collect();
            format!(
                "[{}] {}: {} ({})\n{}",
                v["impact"].as_str().unwrap_or("?"),
                v["id"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or(""),
                v["helpUrl"].as_str().unwrap_or(""),
                nodes.join("\n")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_serious_and_critical_violations_count() {
        let answer = json!([
            {"id": "color-contrast", "impact": "serious", "help": "Contrast", "helpUrl": "u",
             "nodes": [{"target": ["#a"], "failureSummary": "too light"}]},
            {"id": "region", "impact": "moderate", "help": "Landmarks", "helpUrl": "u", "nodes": []},
            {"id": "button-name", "impact": "critical", "help": "Names", "helpUrl": "u", "nodes": []},
        ]);
        let found = describe(&answer);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].starts_with("[serious] color-contrast"),
            "{}",
            found[0]
        );
        assert!(found[0].contains("[\"#a\"]: too light"), "{}", found[0]);
        assert!(
            found[1].starts_with("[critical] button-name"),
            "{}",
            found[1]
        );
    }
}
