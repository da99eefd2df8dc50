//! Signing keys: generation, key files, and the root's trusted and revoked keys.
//!
//! A public key file is TOML `name = "…"`, `public = "<64 hex digits>"`; a secret key file has
//! `secret` instead (the Ed25519 seed) and is written with mode 0600. Trusted keys live in
//! `<root>/etc/basalt/pkg/keys/trusted/NAME.pub`; revoking moves a key to `…/keys/revoked/`,
//! and a revoked key is refused even if it is trusted again by hand.
#![forbid(unsafe_code)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::version::valid_name;

/// The short, printable identity of a public key: the first 8 bytes of its SHA-256, in hex.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicFile {
    name: String,
    public: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretFile {
    name: String,
    secret: String,
}

/// A named public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub name: String,
    pub key: VerifyingKey,
}

impl PublicKey {
    pub fn id(&self) -> String {
        key_id(&self.key)
    }
}

/// A named secret key.
pub struct SecretKey {
    pub name: String,
    pub key: SigningKey,
}

fn decode_32(text: &str, file: &Path, field: &str) -> Result<[u8; 32]> {
    let bytes = hex::decode(text.trim())
        .with_context(|| format!("{}: field `{field}` is not hexadecimal", file.display()))?;
    bytes
        .try_into()
        .map_err(|_| anyhow!("{}: field `{field}` is not 32 bytes", file.display()))
}

/// Reads a public key file.
pub fn read_public(file: &Path) -> Result<PublicKey> {
    let text = fs::read_to_string(file)
        .with_context(|| format!("cannot read key file {}", file.display()))?;
    let parsed: PublicFile = toml::from_str(&text)
        .with_context(|| format!("{}: not a public key file", file.display()))?;
    let key = VerifyingKey::from_bytes(&decode_32(&parsed.public, file, "public")?).with_context(
        || {
            format!(
                "{}: field `public` is not an Ed25519 public key",
                file.display()
            )
        },
    )?;
    Ok(PublicKey {
        name: parsed.name,
        key,
    })
}

/// Reads a secret key file.
pub fn read_secret(file: &Path) -> Result<SecretKey> {
    let text = fs::read_to_string(file)
        .with_context(|| format!("cannot read key file {}", file.display()))?;
    let parsed: SecretFile = toml::from_str(&text)
        .with_context(|| format!("{}: not a secret key file", file.display()))?;
    let key = SigningKey::from_bytes(&decode_32(&parsed.secret, file, "secret")?);
    Ok(SecretKey {
        name: parsed.name,
        key,
    })
}

fn public_text(name: &str, key: &VerifyingKey) -> Result<String> {
    Ok(toml::to_string(&PublicFile {
        name: name.to_owned(),
        public: hex::encode(key.as_bytes()),
    })?)
}

/// Makes a new key pair `NAME.secret` (mode 0600) and `NAME.pub` in `dir`; refuses to overwrite.
pub fn generate(name: &str, dir: &Path) -> Result<(PathBuf, PathBuf, String)> {
    if !valid_name(name) {
        bail!("`{name}` is not a valid key name (lowercase letters, digits, + - . _)");
    }
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|error| anyhow!("no random numbers: {error}"))?;
    let key = SigningKey::from_bytes(&seed);
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let secret_path = dir.join(format!("{name}.secret"));
    let public_path = dir.join(format!("{name}.pub"));
    let secret = toml::to_string(&SecretFile {
        name: name.to_owned(),
        secret: hex::encode(seed),
    })?;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&secret_path)
        .with_context(|| format!("cannot create {}", secret_path.display()))?;
    file.write_all(secret.as_bytes())?;
    write_new(
        &public_path,
        public_text(name, &key.verifying_key())?.as_bytes(),
    )?;
    Ok((secret_path, public_path, key_id(&key.verifying_key())))
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)?;
    Ok(())
}

/// The root's key store.
pub struct KeyStore {
    trusted: PathBuf,
    revoked: PathBuf,
}

impl KeyStore {
    pub fn for_root(root: &Path) -> Self {
        let keys = root.join("etc/basalt/pkg/keys");
        Self {
            trusted: keys.join("trusted"),
            revoked: keys.join("revoked"),
        }
    }

    fn read_dir(dir: &Path) -> Result<Vec<PublicKey>> {
        let mut keys = Vec::new();
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(keys),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot read {}", dir.display()))
            }
        };
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|ext| ext == "pub") {
                keys.push(read_public(&path)?);
            }
        }
        keys.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(keys)
    }

    pub fn trusted(&self) -> Result<Vec<PublicKey>> {
        Self::read_dir(&self.trusted)
    }

    pub fn revoked(&self) -> Result<Vec<PublicKey>> {
        Self::read_dir(&self.revoked)
    }

    /// Trusts the public key in `file`; refuses a revoked key or a name already used.
    pub fn trust(&self, file: &Path) -> Result<PublicKey> {
        let key = read_public(file)?;
        if !valid_name(&key.name) {
            bail!("{}: `{}` is not a valid key name", file.display(), key.name);
        }
        if self.revoked()?.iter().any(|revoked| revoked.key == key.key) {
            bail!(
                "key {} ({}) was revoked; it cannot be trusted again",
                key.name,
                key.id()
            );
        }
        if let Some(existing) = self
            .trusted()?
            .into_iter()
            .find(|t| t.name == key.name || t.key == key.key)
        {
            if existing.key == key.key {
                return Ok(existing);
            }
            bail!(
                "a different key is already trusted as `{}` ({})",
                existing.name,
                existing.id()
            );
        }
        fs::create_dir_all(&self.trusted)
            .with_context(|| format!("cannot create {}", self.trusted.display()))?;
        write_new(
            &self.trusted.join(format!("{}.pub", key.name)),
            public_text(&key.name, &key.key)?.as_bytes(),
        )?;
        Ok(key)
    }

    /// Revokes the trusted key named `name_or_id` (its name or key id).
    pub fn revoke(&self, name_or_id: &str) -> Result<PublicKey> {
        let key = self
            .trusted()?
            .into_iter()
            .find(|key| key.name == name_or_id || key.id() == name_or_id)
            .ok_or_else(|| anyhow!("no trusted key `{name_or_id}`"))?;
        fs::create_dir_all(&self.revoked)
            .with_context(|| format!("cannot create {}", self.revoked.display()))?;
        let revoked = self.revoked.join(format!("{}-{}.pub", key.name, key.id()));
        fs::write(&revoked, public_text(&key.name, &key.key)?)?;
        fs::remove_file(self.trusted.join(format!("{}.pub", key.name)))?;
        Ok(key)
    }

    /// The trusted key equal to `key`, or why it is not acceptable.
    pub fn check(&self, key: &VerifyingKey) -> std::result::Result<PublicKey, String> {
        let id = key_id(key);
        match self.revoked() {
            Ok(revoked) if revoked.iter().any(|r| &r.key == key) => {
                return Err(format!("key {id} is revoked"))
            }
            Ok(_) => {}
            Err(error) => return Err(format!("{error:#}")),
        }
        match self.trusted() {
            Ok(trusted) => trusted
                .into_iter()
                .find(|t| &t.key == key)
                .ok_or_else(|| format!("key {id} is not trusted")),
            Err(error) => Err(format!("{error:#}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_trust_revoke() {
        let dir = tempfile::tempdir().unwrap();
        let (secret, public, id) = generate("alice", &dir.path().join("k")).unwrap();
        assert!(
            generate("alice", &dir.path().join("k")).is_err(),
            "must not overwrite"
        );
        let secret_key = read_secret(&secret).unwrap();
        assert_eq!(key_id(&secret_key.key.verifying_key()), id);
        let store = KeyStore::for_root(&dir.path().join("root"));
        assert!(store
            .check(&secret_key.key.verifying_key())
            .unwrap_err()
            .contains("not trusted"));
        store.trust(&public).unwrap();
        assert_eq!(store.trusted().unwrap().len(), 1);
        assert!(store.check(&secret_key.key.verifying_key()).is_ok());
        store.revoke(&id).unwrap();
        assert!(store.trusted().unwrap().is_empty());
        assert!(store
            .check(&secret_key.key.verifying_key())
            .unwrap_err()
            .contains("revoked"));
        assert!(store
            .trust(&public)
            .unwrap_err()
            .to_string()
            .contains("revoked"));
    }
}
