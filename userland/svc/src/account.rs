//! Accounts for `login`: `/etc/passwd` and `/etc/shadow` lines, and checking a password against a crypt(3)
//! hash: yescrypt (`$y$`, what Debian's `passwd` writes), SHA-512-crypt (`$6$`) and SHA-256-crypt (`$5$`).
#![forbid(unsafe_code)]

use yescrypt::PasswordVerifier;

/// One line of /etc/passwd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    pub shell: String,
}

/// The entry of `user` in the text of /etc/passwd.
pub fn find_passwd(text: &str, user: &str) -> Option<PasswdEntry> {
    text.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        let [name, _, uid, gid, _, home, shell] = fields.as_slice() else {
            return None;
        };
        if *name != user {
            return None;
        }
        Some(PasswdEntry {
            name: (*name).to_string(),
            uid: uid.parse().ok()?,
            gid: gid.parse().ok()?,
            home: if home.is_empty() { "/" } else { home }.to_string(),
            shell: if shell.is_empty() { "/bin/sh" } else { shell }.to_string(),
        })
    })
}

/// The password field of `user` in the text of /etc/shadow.
pub fn find_shadow_hash<'a>(text: &'a str, user: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == user).then_some(())?;
        fields.next()
    })
}

/// Whether `password` matches a shadow password field. An empty field means no password (as `nullok`); a field
/// that is not a supported hash (`*`, `!…`: locked) never matches.
pub fn password_matches(password: &str, field: &str) -> bool {
    if field.is_empty() {
        return true;
    }
    if field.starts_with("$6$") {
        sha_crypt::sha512_check(password, field).is_ok()
    } else if field.starts_with("$5$") {
        sha_crypt::sha256_check(password, field).is_ok()
    } else if field.starts_with("$y$") {
        yescrypt::Yescrypt::default()
            .verify_password(password.as_bytes(), field)
            .is_ok()
    } else {
        false
    }
}

/// A SHA-512-crypt hash of `password` with `salt` (at most 16 characters of `./0-9A-Za-z`) and the default 5000
/// rounds, in the `$6$salt$hash` form /etc/shadow holds.
pub fn sha512_crypt(password: &str, salt: &str) -> Result<String, String> {
    let params = sha_crypt::Sha512Params::new(sha_crypt::ROUNDS_DEFAULT)
        .map_err(|e| format!("bad rounds: {e:?}"))?;
    let hash = sha_crypt::sha512_crypt_b64(password.as_bytes(), salt.as_bytes(), &params)
        .map_err(|e| format!("cannot hash: {e:?}"))?;
    Ok(format!("$6${salt}${hash}"))
}

#[cfg(test)]
#[path = "account_tests.rs"]
mod tests;
