//! The privacy policy at work: before a transaction changes anything, each package it installs
//! is weighed by the action the root's `pkg.toml` gives its declared level (allow, warn,
//! confirm, deny); and `pkg audit`, the installed packages by level.
#![forbid(unsafe_code)]

use std::path::Path;

use anyhow::Result;

use crate::config::{PrivacyAction, PrivacyPolicy};
use crate::recipe::{Metadata, Privacy};
use crate::refused::Refused;

/// What a level means, for messages.
pub fn meaning(level: Privacy) -> &'static str {
    match level {
        Privacy::None => "no telemetry, no tracking",
        Privacy::Telemetry => "it sends usage or crash data",
        Privacy::Tracking => "it tracks its users",
    }
}

/// How `confirm` can be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answering {
    /// Ask on the terminal.
    Ask,
    /// `--yes`: nothing is asked; `confirm` refuses unless tracking is allowed.
    Yes,
    /// No terminal to ask on and no `--yes`.
    NoTerminal,
    /// `--dry-run`: say what would be asked.
    DryRun,
}

/// Applies `policy` to every package to be installed (`(file, metadata)`). Returns the lines to
/// print; refuses (naming the package file, its level and the policy) when a package is denied
/// or not confirmed. `allow_tracking` (`--allow-tracking`) confirms every `confirm`. `ask` asks
/// a question and returns the answer.
pub fn review(
    policy: &PrivacyPolicy,
    policy_file: &Path,
    packages: &[(&Path, &Metadata)],
    answering: Answering,
    allow_tracking: bool,
    mut ask: impl FnMut(&str) -> Result<bool>,
) -> Result<Vec<String>> {
    let mut said = Vec::new();
    for (file, meta) in packages {
        let level = meta.privacy;
        let action = policy.action(level);
        let what = format!(
            "{} {} declares privacy level `{level}` ({})",
            meta.name,
            meta.version,
            meaning(level)
        );
        let refuse = |why: String| -> anyhow::Error {
            Refused::new(*file, format!("{what}: {why}; nothing was changed")).into()
        };
        match action {
            PrivacyAction::Allow => {}
            PrivacyAction::Warn => said.push(format!(
                "privacy: {what}; installing it (policy for `{level}` in {}: warn)",
                policy_file.display()
            )),
            PrivacyAction::Deny => {
                return Err(refuse(format!(
                    "the policy for `{level}` in {} is deny",
                    policy_file.display()
                )))
            }
            PrivacyAction::Confirm if allow_tracking => said.push(format!(
                "privacy: {what}; installing it (confirmed by --allow-tracking)"
            )),
            PrivacyAction::Confirm => match answering {
                Answering::DryRun => said.push(format!(
                    "privacy: {what}; the policy asks to confirm it (--allow-tracking does)"
                )),
                Answering::Yes => {
                    return Err(refuse(format!(
                        "the policy for `{level}` is confirm, and --yes does not confirm it (add --allow-tracking to install it anyway)"
                    )))
                }
                Answering::NoTerminal => {
                    return Err(refuse(format!(
                        "the policy for `{level}` is confirm, and there is no terminal to ask on (give --allow-tracking to install it anyway)"
                    )))
                }
                Answering::Ask => {
                    if !ask(&format!("{what}. Install it anyway? [y/N] "))? {
                        return Err(refuse("not confirmed".into()));
                    }
                }
            },
        }
    }
    Ok(said)
}

/// The installed packages by privacy level, most intrusive first, with a summary line; and
/// whether any declares more than `none`.
pub fn audit(policy: &PrivacyPolicy, installed: &[&Metadata]) -> (String, bool) {
    let mut out = String::new();
    let mut counts = Vec::new();
    for level in [Privacy::Tracking, Privacy::Telemetry, Privacy::None] {
        let members: Vec<&&Metadata> = installed.iter().filter(|m| m.privacy == level).collect();
        counts.push(format!("{} {level}", members.len()));
        if members.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "{level} ({}; policy: {}):\n",
            meaning(level),
            policy.action(level)
        ));
        for meta in members {
            out.push_str(&format!("  {} {}\n", meta.name, meta.version));
        }
    }
    counts.reverse();
    out.push_str(&format!(
        "{} installed: {}\n",
        installed.len(),
        counts.join(", ")
    ));
    let flagged = installed.iter().any(|m| m.privacy != Privacy::None);
    (out, flagged)
}

/// `pkg audit` found installed packages that declare telemetry or tracking.
#[derive(Debug, thiserror::Error)]
#[error("{count} installed package(s) declare telemetry or tracking")]
pub struct Flagged {
    pub count: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str, privacy: Privacy) -> Metadata {
        Metadata {
            name: name.into(),
            version: "1.0-1".into(),
            summary: "s".into(),
            license: "MIT".into(),
            homepage: None,
            arch: "x86_64".into(),
            privacy,
            depends: Vec::new(),
            provides: Vec::new(),
            conflicts: Vec::new(),
            replaces: Vec::new(),
            optional: Default::default(),
            config: Vec::new(),
            install: Default::default(),
        }
    }

    fn review_one(
        level: Privacy,
        answering: Answering,
        allow: bool,
        answer: bool,
    ) -> Result<Vec<String>> {
        let m = meta("p", level);
        let file = Path::new("p.pkg");
        review(
            &PrivacyPolicy::default(),
            Path::new("pkg.toml"),
            &[(file, &m)],
            answering,
            allow,
            |_| Ok(answer),
        )
    }

    #[test]
    fn each_action() {
        assert!(review_one(Privacy::None, Answering::Yes, false, false)
            .unwrap()
            .is_empty());
        let warned = review_one(Privacy::Telemetry, Answering::Yes, false, false).unwrap();
        assert!(warned[0].contains("`telemetry`"), "{warned:?}");
        let error = review_one(Privacy::Tracking, Answering::Yes, false, false).unwrap_err();
        assert!(error.to_string().contains("--allow-tracking"), "{error}");
        assert!(review_one(Privacy::Tracking, Answering::Yes, true, false).is_ok());
        assert!(review_one(Privacy::Tracking, Answering::Ask, false, true).is_ok());
        assert!(review_one(Privacy::Tracking, Answering::Ask, false, false).is_err());
        assert!(review_one(Privacy::Tracking, Answering::NoTerminal, false, true).is_err());
        let deny = PrivacyPolicy {
            none: PrivacyAction::Deny,
            ..PrivacyPolicy::default()
        };
        let m = meta("p", Privacy::None);
        let error = review(
            &deny,
            Path::new("pkg.toml"),
            &[(Path::new("p.pkg"), &m)],
            Answering::Yes,
            true,
            |_| Ok(true),
        )
        .unwrap_err();
        assert!(error.downcast_ref::<Refused>().is_some());
        assert!(error.to_string().contains("deny"), "{error}");
    }

    #[test]
    fn audit_lists_by_level() {
        let (a, b, c) = (
            meta("a", Privacy::None),
            meta("b", Privacy::Tracking),
            meta("c", Privacy::None),
        );
        let (text, flagged) = audit(&PrivacyPolicy::default(), &[&a, &b, &c]);
        assert!(flagged);
        assert!(text.starts_with("tracking ("), "{text}");
        assert!(
            text.ends_with("3 installed: 2 none, 0 telemetry, 1 tracking\n"),
            "{text}"
        );
        let (_, flagged) = audit(&PrivacyPolicy::default(), &[&a]);
        assert!(!flagged);
    }
}
