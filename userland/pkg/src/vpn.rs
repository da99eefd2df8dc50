//! `require_vpn`: network downloads only while a named interface is up on this machine.
//!
//! An interface is up when `/sys/class/net/NAME/flags` has IFF_UP and its `operstate` is `up`
//! or `unknown` (what Linux reports for interfaces without carrier detection: `lo`, WireGuard
//! and other tunnels). Like `ip link`, this reads the machine pkg runs on, not `--root`.
#![forbid(unsafe_code)]

use std::path::Path;

/// IFF_UP from `<linux/if.h>`.
const IFF_UP: u64 = 0x1;

/// Why network downloads are not allowed now.
#[derive(Debug, thiserror::Error)]
#[error("network download refused: pkg.toml says require_vpn = \"{interface}\", and {reason}")]
pub struct VpnDown {
    pub interface: String,
    pub reason: String,
}

/// Checks that `interface` is up, reading the machine's `/sys/class/net`.
pub fn check(interface: &str) -> Result<(), VpnDown> {
    check_in(Path::new("/sys/class/net"), interface)
}

/// [`check`] against another sysfs `class/net` directory.
pub fn check_in(class_net: &Path, interface: &str) -> Result<(), VpnDown> {
    let down = |reason: String| VpnDown {
        interface: interface.to_owned(),
        reason,
    };
    let dir = class_net.join(interface);
    if interface.is_empty() || interface.contains('/') || !dir.exists() {
        return Err(down(format!("there is no interface {interface}")));
    }
    let read = |file: &str| {
        std::fs::read_to_string(dir.join(file))
            .map(|text| text.trim().to_owned())
            .map_err(|error| down(format!("cannot read {}: {error}", dir.join(file).display())))
    };
    let flags_text = read("flags")?;
    let flags = u64::from_str_radix(flags_text.trim_start_matches("0x"), 16)
        .map_err(|_| down(format!("its flags `{flags_text}` are unreadable")))?;
    if flags & IFF_UP == 0 {
        return Err(down(format!("interface {interface} is down")));
    }
    let operstate = read("operstate")?;
    if operstate != "up" && operstate != "unknown" {
        return Err(down(format!(
            "interface {interface} is not running (operstate {operstate})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interface(dir: &Path, name: &str, flags: &str, operstate: &str) {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        std::fs::write(dir.join(name).join("flags"), format!("{flags}\n")).unwrap();
        std::fs::write(dir.join(name).join("operstate"), format!("{operstate}\n")).unwrap();
    }

    #[test]
    fn up_down_and_missing_interfaces() {
        let dir = tempfile::tempdir().unwrap();
        interface(dir.path(), "wg0", "0x1091", "unknown");
        interface(dir.path(), "eth0", "0x1003", "up");
        interface(dir.path(), "wg1", "0x1090", "unknown");
        interface(dir.path(), "eth1", "0x1003", "down");
        assert!(check_in(dir.path(), "wg0").is_ok());
        assert!(check_in(dir.path(), "eth0").is_ok());
        let down = check_in(dir.path(), "wg1").unwrap_err().to_string();
        assert!(down.contains("wg1 is down"), "{down}");
        let no_carrier = check_in(dir.path(), "eth1").unwrap_err().to_string();
        assert!(no_carrier.contains("operstate down"), "{no_carrier}");
        let missing = check_in(dir.path(), "tun9").unwrap_err().to_string();
        assert!(missing.contains("no interface tun9"), "{missing}");
        assert!(missing.contains("require_vpn = \"tun9\""), "{missing}");
    }
}
