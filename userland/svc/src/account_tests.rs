use super::*;

/// `openssl passwd -6 -salt basaltsalt basalt`.
const OPENSSL_SHA512: &str = "$6$basaltsalt$KWBFlRXgyJ9yS5SNzYGcMdQjGehSeTHatiRUkVW.a6TwR8XKn9sA7g7IBEnILlVhiYphbBf6mEUYcOdZHeQn51";

/// From yescrypt's reference TESTS-OK, password `pleaseletmein`.
const YESCRYPT: &str = "$y$j9T$LdJMENpBABJJ3hIHjB1Bi.$HboGM6qPrsK.StKYGt6KErmUYtioHreJd98oIugoNB6";

#[test]
fn sha512_crypt_matches_openssl_and_verifies() {
    assert_eq!(
        sha512_crypt("basalt", "basaltsalt").as_deref(),
        Ok(OPENSSL_SHA512)
    );
    assert!(password_matches("basalt", OPENSSL_SHA512));
    assert!(!password_matches("basalT", OPENSSL_SHA512));
}

#[test]
fn yescrypt_hashes_verify() {
    let reference = "$y$jD5.7$LdJMENpBABJJ3hIHjB1Bi.$HboGM6qPrsK.StKYGt6KErmUYtioHreJd98oIugoNB6";
    assert!(password_matches("pleaseletmein", reference));
    assert!(!password_matches("pleaseletmeout", reference));
    // Same salt, other parameters: the hash part no longer fits.
    assert!(!password_matches("pleaseletmein", YESCRYPT));
}

#[test]
fn locked_and_empty_fields() {
    assert!(password_matches("", ""));
    assert!(password_matches("anything", ""));
    assert!(!password_matches("", "*"));
    assert!(!password_matches("basalt", &format!("!{OPENSSL_SHA512}")));
    assert!(!password_matches("x", "$1$old$md5isnotsupported"));
}

#[test]
fn passwd_and_shadow_lookup() {
    let passwd = "root:x:0:0:root:/root:/bin/sh\nbad line\nuser:x:1000:100::/home/user:\n";
    assert_eq!(
        find_passwd(passwd, "user"),
        Some(PasswdEntry {
            name: "user".into(),
            uid: 1000,
            gid: 100,
            home: "/home/user".into(),
            shell: "/bin/sh".into()
        })
    );
    assert_eq!(find_passwd(passwd, "root").map(|e| e.uid), Some(0));
    assert_eq!(find_passwd(passwd, "nobody"), None);
    assert_eq!(find_passwd("x:x:notanumber:0::/:/bin/sh", "x"), None);
    let shadow = "root:$6$a$b:20000:0:99999:7:::\nuser::20000::::::\n";
    assert_eq!(find_shadow_hash(shadow, "root"), Some("$6$a$b"));
    assert_eq!(find_shadow_hash(shadow, "user"), Some(""));
    assert_eq!(find_shadow_hash(shadow, "nobody"), None);
}
