//! `<root>/etc/basalt/pkg/pkg.toml`: the root's package-manager policy.
//!
//! ```toml
//! require_vpn = "wg0"          # network downloads only while this interface is up
//!
//! [privacy]                    # what to do per declared privacy level
//! none = "allow"
//! telemetry = "warn"
//! tracking = "confirm"         # allow | warn | confirm | deny
//! ```
//!
//! A missing file means the defaults shown above, without `require_vpn`. Unknown keys and bad
//! values are errors naming the file and the position.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::recipe::Privacy;

/// The path of the policy file in `root`.
pub fn path(root: &Path) -> PathBuf {
    root.join("etc/basalt/pkg/pkg.toml")
}

/// What to do when a transaction would install a package of some privacy level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrivacyAction {
    /// Install silently.
    Allow,
    /// Install, and say so.
    Warn,
    /// Ask; under `--yes`, refuse unless `--allow-tracking` is given.
    Confirm,
    /// Refuse.
    Deny,
}

impl std::fmt::Display for PrivacyAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PrivacyAction::Allow => "allow",
            PrivacyAction::Warn => "warn",
            PrivacyAction::Confirm => "confirm",
            PrivacyAction::Deny => "deny",
        })
    }
}

/// The action for each privacy level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyPolicy {
    pub none: PrivacyAction,
    pub telemetry: PrivacyAction,
    pub tracking: PrivacyAction,
}

impl Default for PrivacyPolicy {
    fn default() -> Self {
        Self {
            none: PrivacyAction::Allow,
            telemetry: PrivacyAction::Warn,
            tracking: PrivacyAction::Confirm,
        }
    }
}

impl PrivacyPolicy {
    pub fn action(&self, level: Privacy) -> PrivacyAction {
        match level {
            Privacy::None => self.none,
            Privacy::Telemetry => self.telemetry,
            Privacy::Tracking => self.tracking,
        }
    }
}

/// The whole policy file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Network downloads are refused unless this interface is up.
    #[serde(default)]
    pub require_vpn: Option<String>,
    #[serde(default)]
    pub privacy: PrivacyPolicy,
}

impl Config {
    /// Reads `root`'s policy file; a missing file gives the defaults.
    pub fn load(root: &Path) -> Result<Self> {
        let file = path(root);
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default())
            }
            Err(error) => {
                return Err(error).with_context(|| format!("cannot read {}", file.display()))
            }
        };
        Self::parse(&text).with_context(|| format!("{}", file.display()))
    }

    /// Parses the text of a policy file.
    pub fn parse(text: &str) -> Result<Self> {
        let config: Config = toml::from_str(text)?;
        if let Some(name) = &config.require_vpn {
            if name.is_empty() || name.contains('/') || name.len() > 15 {
                anyhow::bail!("require_vpn: `{name}` is not a network interface name");
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
        let config =
            Config::parse("require_vpn = \"wg0\"\n[privacy]\ntracking = \"deny\"\n").unwrap();
        assert_eq!(config.require_vpn.as_deref(), Some("wg0"));
        assert_eq!(
            config.privacy.action(Privacy::Tracking),
            PrivacyAction::Deny
        );
        assert_eq!(
            config.privacy.action(Privacy::Telemetry),
            PrivacyAction::Warn
        );
    }

    #[test]
    fn unknown_keys_and_values_are_errors() {
        assert!(Config::parse("requre_vpn = \"wg0\"").is_err());
        assert!(Config::parse("[privacy]\ntracking = \"maybe\"").is_err());
        assert!(Config::parse("require_vpn = \"../x\"").is_err());
    }
}
