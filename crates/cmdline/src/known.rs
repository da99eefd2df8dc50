//! The set of parameters the kernel itself consumes.

/// Parameter names the kernel handles (everything else goes to init).
const KNOWN_KEYS: &[&str] = &[
    "console",
    "rdinit",
    "init",
    "quiet",
    "loglevel",
    "root",
    "rootfstype",
    "ro",
    "rw",
    "panic",
];

/// Prefix reserved for Basalt-specific parameters, all of which count as known.
const BASALT_PREFIX: &str = "basalt.";

/// True if the kernel consumes parameter `key` (names are matched exactly).
pub fn is_known_key(key: &str) -> bool {
    key.starts_with(BASALT_PREFIX) || KNOWN_KEYS.contains(&key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_fixed_keys_and_basalt_prefix() {
        for key in KNOWN_KEYS {
            assert!(is_known_key(key));
        }
        assert!(is_known_key("basalt.debug"));
        assert!(is_known_key("basalt."));
        assert!(!is_known_key("basalt"));
        assert!(!is_known_key("Console"));
        assert!(!is_known_key("BOOT_IMAGE"));
        assert!(!is_known_key(""));
    }
}
