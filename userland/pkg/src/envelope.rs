//! The signed envelope shared by package files and repository indexes:
//! `magic[8] | format u32 LE | body_len u32 LE | body | public key[32] | signature[64]`.
//! The signature is Ed25519 over `magic | format | body_len | body`.
#![forbid(unsafe_code)]

use std::io::Read;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

/// The largest body accepted, so that a corrupt length cannot make us allocate without bound.
pub const MAX_BODY: u32 = 256 << 20;

/// Why an envelope was refused.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("not a {what} (bad magic)")]
    Magic { what: &'static str },
    #[error("format {0} is not supported")]
    Format(u32),
    #[error("header of {0} bytes is too large")]
    TooLarge(u32),
    #[error("truncated: {0}")]
    Truncated(std::io::Error),
    #[error("signature by key {key} does not match (the file was changed after signing)")]
    BadSignature { key: String },
    #[error("not a valid Ed25519 public key")]
    BadKey,
}

/// Writes a signed envelope around `body`.
pub fn seal(magic: &[u8; 8], format: u32, body: &[u8], key: &SigningKey) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 112);
    out.extend_from_slice(magic);
    out.extend_from_slice(&format.to_le_bytes());
    out.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(body);
    let signature = key.sign(&out);
    out.extend_from_slice(key.verifying_key().as_bytes());
    out.extend_from_slice(&signature.to_bytes());
    out
}

/// Reads an envelope from `reader`, checks the signature, and returns the body and signer.
/// The caller decides whether the signer is trusted.
pub fn open(
    reader: &mut impl Read,
    magic: &[u8; 8],
    format: u32,
    what: &'static str,
) -> Result<(Vec<u8>, VerifyingKey), EnvelopeError> {
    let (mut sealed, key) = open_sealed(reader, magic, format, what)?;
    sealed.truncate(sealed.len() - 96);
    sealed.drain(..16);
    Ok((sealed, key))
}

/// The body of a sealed envelope as returned by [`open_sealed`].
pub fn body(sealed: &[u8]) -> &[u8] {
    sealed
        .get(16..sealed.len().saturating_sub(96))
        .unwrap_or(&[])
}

/// Like [`open`], but returns the whole envelope as read (its body is [`body`]): to compare a
/// file with one already verified, byte for byte, or to hash the file it begins.
pub fn open_sealed(
    reader: &mut impl Read,
    magic: &[u8; 8],
    format: u32,
    what: &'static str,
) -> Result<(Vec<u8>, VerifyingKey), EnvelopeError> {
    let mut prefix = [0u8; 16];
    reader
        .read_exact(&mut prefix)
        .map_err(EnvelopeError::Truncated)?;
    if &prefix[..8] != magic {
        return Err(EnvelopeError::Magic { what });
    }
    let found = u32::from_le_bytes([prefix[8], prefix[9], prefix[10], prefix[11]]);
    if found != format {
        return Err(EnvelopeError::Format(found));
    }
    let len = u32::from_le_bytes([prefix[12], prefix[13], prefix[14], prefix[15]]);
    if len > MAX_BODY {
        return Err(EnvelopeError::TooLarge(len));
    }
    let signed_len = 16 + len as usize;
    let mut sealed = Vec::with_capacity(signed_len + 96);
    sealed.extend_from_slice(&prefix);
    sealed.resize(signed_len + 96, 0);
    reader
        .read_exact(&mut sealed[16..])
        .map_err(EnvelopeError::Truncated)?;
    let (signed, trailer) = sealed.split_at(signed_len);
    let mut public = [0u8; 32];
    public.copy_from_slice(&trailer[..32]);
    let mut signature = [0u8; 64];
    signature.copy_from_slice(&trailer[32..]);
    let key = VerifyingKey::from_bytes(&public).map_err(|_| EnvelopeError::BadKey)?;
    key.verify_strict(signed, &Signature::from_bytes(&signature))
        .map_err(|_| EnvelopeError::BadSignature {
            key: crate::keys::key_id(&key),
        })?;
    Ok((sealed, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flipped_byte_is_refused() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let sealed = seal(b"TESTMAGC", 1, b"hello body", &key);
        let (body, signer) = open(&mut &sealed[..], b"TESTMAGC", 1, "test").unwrap();
        assert_eq!(
            (body.as_slice(), signer),
            (&b"hello body"[..], key.verifying_key())
        );
        let (whole, _) = open_sealed(&mut &sealed[..], b"TESTMAGC", 1, "test").unwrap();
        assert_eq!(
            (whole.as_slice(), super::body(&whole)),
            (&sealed[..], &b"hello body"[..])
        );
        for at in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[at] ^= 0x01;
            assert!(
                open(&mut &bad[..], b"TESTMAGC", 1, "test").is_err(),
                "byte {at}"
            );
        }
    }
}
