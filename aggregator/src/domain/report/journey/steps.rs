//! The funnel's steps (`funnel` in the configuration, `USAGE_FUNNEL`): an ordered list a session
//! passes through, parsed and bounded once at config load. A step is one of `opened` (the session
//! began: every session, so first only), `run` (a program ran), `success` (a run succeeded),
//! `failure` (a run failed), `feature` (any feature was used) or `feature:<name>` (that feature).

use std::fmt;

/// At most this many steps: each is a row per day and site in `daily_site_funnel`.
pub const MAX_STEPS: usize = 8;

/// The default funnel: opened → ran a program → a run succeeded → used a feature.
pub const DEFAULT_FUNNEL: [&str; 4] = ["opened", "run", "success", "feature"];

/// One step of the funnel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Opened,
    Run,
    Success,
    Failure,
    AnyFeature,
    Feature(String),
}

impl Step {
    /// The step of its configured name, or why it is none.
    pub fn parse(text: &str) -> Result<Step, String> {
        let text = text.trim();
        Ok(match text {
            "opened" => Step::Opened,
            "run" => Step::Run,
            "success" => Step::Success,
            "failure" => Step::Failure,
            "feature" => Step::AnyFeature,
            _ => match text.strip_prefix("feature:") {
                Some(name) if crate::domain::event::is_name(name) => Step::Feature(name.into()),
                Some(name) => {
                    return Err(format!(
                        "{text:?}: the feature name {name:?} must match [a-z0-9_.:-]{{1,64}}"
                    ))
                }
                None => {
                    return Err(format!(
                        "{text:?} is no step: use opened, run, success, failure, feature or \
                         feature:<name>"
                    ))
                }
            },
        })
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Opened => f.write_str("opened"),
            Step::Run => f.write_str("run"),
            Step::Success => f.write_str("success"),
            Step::Failure => f.write_str("failure"),
            Step::AnyFeature => f.write_str("feature"),
            Step::Feature(name) => write!(f, "feature:{name}"),
        }
    }
}

/// The configured steps, in order: 1 to [`MAX_STEPS`], no step twice, `opened` first if at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funnel(Vec<Step>);

impl Default for Funnel {
    fn default() -> Self {
        Funnel::parse(&DEFAULT_FUNNEL).expect("the default funnel is valid")
    }
}

impl Funnel {
    /// The funnel of the configured names, or every problem in one message.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Funnel, String> {
        if names.is_empty() || names.len() > MAX_STEPS {
            return Err(format!(
                "funnel: {} steps; give 1 to {MAX_STEPS}",
                names.len()
            ));
        }
        let mut steps = Vec::with_capacity(names.len());
        let mut errors = Vec::new();
        for (i, name) in names.iter().enumerate() {
            match Step::parse(name.as_ref()) {
                Ok(Step::Opened) if i > 0 => errors.push(
                    "\"opened\" can only be the first step: every session is opened first".into(),
                ),
                Ok(step) if steps.contains(&step) => errors.push(format!("{step} is there twice")),
                Ok(step) => steps.push(step),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(Funnel(steps))
        } else {
            Err(format!("funnel: {}", errors.join("; ")))
        }
    }

    pub fn steps(&self) -> &[Step] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_opened_run_success_feature() {
        let names: Vec<String> = Funnel::default()
            .steps()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(names, DEFAULT_FUNNEL);
    }

    #[test]
    fn steps_name_features_and_round_trip() {
        let funnel = Funnel::parse(&["run", " feature:debugger ", "feature:save"]).unwrap();
        assert_eq!(funnel.steps()[1], Step::Feature("debugger".into()));
        assert_eq!(funnel.steps()[2].to_string(), "feature:save");
    }

    #[test]
    fn a_funnel_is_bounded_and_every_problem_is_named() {
        let nine = vec!["feature"; MAX_STEPS + 1];
        assert!(Funnel::parse(&nine).unwrap_err().contains("give 1 to 8"));
        assert!(Funnel::parse::<&str>(&[]).is_err());
        let error =
            Funnel::parse(&["run", "opened", "jump", "run", "feature:Bad Name"]).unwrap_err();
        assert!(
            error.contains("\"opened\" can only be the first step"),
            "{error}"
        );
        assert!(error.contains("\"jump\" is no step"), "{error}");
        assert!(error.contains("run is there twice"), "{error}");
        assert!(error.contains("must match"), "{error}");
    }
}
