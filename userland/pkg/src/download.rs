//! Fetching one URL (`file://`, `http://`, `https://`, or a plain local path) into a file, or
//! one file from the first of several mirrors that serves it correctly.
//!
//! The file appears under its final name only when it is complete (and, when a SHA-256 is
//! expected, only when it matches), so a crash or a cut connection never leaves a partial file
//! that a later run could take for a good one.
#![forbid(unsafe_code)]

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use ureq::tls::{parse_pem, Certificate, PemItem, RootCerts, TlsConfig};

use crate::refused::Refused;
use crate::vpn;

/// Where a URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(PathBuf),
    Http(String),
}

/// Classifies `url`; anything other than `file://`, `http://`, `https://` or a path is refused
/// with a clear error.
pub fn locate(url: &str) -> Result<Location> {
    if let Some(path) = url.strip_prefix("file://") {
        if !path.starts_with('/') {
            bail!("`{url}`: a file:// URL needs an absolute path (file:///dir/…)");
        }
        return Ok(Location::Local(PathBuf::from(path)));
    }
    if url.starts_with("http://") || url.starts_with("https://") {
        return Ok(Location::Http(url.to_owned()));
    }
    if let Some((scheme, _)) = url.split_once("://") {
        bail!("`{url}`: unsupported URL scheme `{scheme}` (file, http and https are)");
    }
    Ok(Location::Local(PathBuf::from(url)))
}

/// How long to wait for a connection, and for each read, before giving up on a mirror.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// What a download must be.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expect<'a> {
    /// The SHA-256 the bytes must have (hex).
    pub sha256: Option<&'a str>,
    /// The exact size; a longer download is cut off and refused.
    pub size: Option<u64>,
    /// The most bytes to accept when the size is not known.
    pub limit: Option<u64>,
}

/// Downloads with one configuration: the CA to trust for https (the usual web roots when
/// none), the timeouts, and the `require_vpn` interface that must be up for network URLs.
#[derive(Clone)]
pub struct Fetcher {
    agent: ureq::Agent,
    require_vpn: Option<String>,
}

impl Default for Fetcher {
    fn default() -> Self {
        Self::new(None, None).expect("no CA file to read")
    }
}

impl Fetcher {
    /// A fetcher trusting only the CA certificates in the PEM file `ca` for https when given,
    /// and refusing http and https unless `require_vpn` names an interface that is up.
    pub fn new(ca: Option<&Path>, require_vpn: Option<String>) -> Result<Self> {
        let mut config = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_per_read(Some(READ_TIMEOUT))
            .timeout_recv_response(Some(READ_TIMEOUT))
            .user_agent(concat!("basalt-pkg/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = ca {
            let pem =
                fs::read(ca).with_context(|| format!("cannot read CA file {}", ca.display()))?;
            let certs: Vec<Certificate<'static>> = parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(PemItem::Certificate(cert)) => Some(Ok(cert)),
                    Ok(_) => None,
                    Err(error) => Some(Err(error)),
                })
                .collect::<Result<_, _>>()
                .with_context(|| format!("{}: not a PEM certificate file", ca.display()))?;
            if certs.is_empty() {
                bail!("{}: holds no PEM certificate", ca.display());
            }
            config = config.tls_config(
                TlsConfig::builder()
                    .root_certs(RootCerts::new_with_certs(&certs))
                    .build(),
            );
        }
        Ok(Self {
            agent: config.build().new_agent(),
            require_vpn,
        })
    }

    /// Opens `url` for reading; returns the reader and its length when known.
    pub fn open(&self, url: &str) -> Result<(Box<dyn Read + Send>, Option<u64>)> {
        match locate(url)? {
            Location::Local(path) => {
                let file =
                    File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
                let length = file.metadata().ok().map(|meta| meta.len());
                Ok((Box::new(file), length))
            }
            Location::Http(url) => {
                if let Some(interface) = &self.require_vpn {
                    vpn::check(interface)?;
                }
                let response = self
                    .agent
                    .get(&url)
                    .call()
                    .with_context(|| format!("cannot download {url}"))?;
                let length = response
                    .headers()
                    .get("content-length")
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.parse().ok());
                let reader = response
                    .into_body()
                    .into_with_config()
                    .limit(u64::MAX)
                    .reader();
                Ok((Box::new(reader), length))
            }
        }
    }

    /// Downloads `url` to `dest` (replacing it atomically) as `expect` says, or writes nothing
    /// and fails ([`Refused`] for bytes that are not what was expected). `progress` gets the
    /// number of bytes received so far. Returns the number of bytes written.
    pub fn fetch(
        &self,
        url: &str,
        dest: &Path,
        expect: Expect,
        mut progress: impl FnMut(u64),
    ) -> Result<u64> {
        let (mut reader, _) = self.open(url)?;
        let parent = dest
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let name = dest
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Unique per process and thread, so parallel downloads never share a partial file.
        let partial = parent.join(format!(
            ".{name}.part.{}.{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let limit = expect.size.or(expect.limit).unwrap_or(u64::MAX);
        let result = (|| -> Result<u64> {
            let mut file = File::create(&partial)
                .with_context(|| format!("cannot create {}", partial.display()))?;
            let mut hash = Sha256::new();
            let mut buffer = vec![0u8; 256 * 1024];
            let mut total = 0u64;
            loop {
                let count = match reader.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(count) => count,
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                    Err(error) => return Err(error).with_context(|| format!("reading {url}")),
                };
                total += count as u64;
                if total > limit {
                    return Err(Refused::new(
                        Path::new(url),
                        format!("larger than the expected {limit} bytes"),
                    )
                    .into());
                }
                hash.update(&buffer[..count]);
                file.write_all(&buffer[..count])
                    .with_context(|| format!("writing {}", partial.display()))?;
                progress(total);
            }
            if let Some(size) = expect.size.filter(|size| *size != total) {
                return Err(Refused::new(
                    Path::new(url),
                    format!("{total} bytes, expected {size}"),
                )
                .into());
            }
            if let Some(expected) = expect.sha256 {
                let actual = hex::encode(hash.finalize());
                if !actual.eq_ignore_ascii_case(expected) {
                    return Err(Refused::new(
                        Path::new(url),
                        format!("SHA-256 is {actual}, expected {expected}"),
                    )
                    .into());
                }
            }
            file.sync_all()?;
            fs::rename(&partial, dest)
                .with_context(|| format!("cannot create {}", dest.display()))?;
            Ok(total)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&partial);
        }
        result
    }

    /// Downloads `file` from the first of `mirrors` (base URLs) that serves it as `expect`
    /// says. `failed` hears of each mirror that did not (its URL and why) before the next is
    /// tried. Returns the URL used; when every mirror fails, the error lists them all (and is a
    /// [`Refused`] when every mirror served bad bytes).
    pub fn fetch_mirrors(
        &self,
        mirrors: &[String],
        file: &str,
        dest: &Path,
        expect: Expect,
        mut progress: impl FnMut(u64),
        mut failed: impl FnMut(&str, &anyhow::Error),
    ) -> Result<String> {
        let mut reasons = Vec::new();
        let mut all_refused = true;
        for mirror in mirrors {
            let url = join(mirror, file);
            progress(0);
            match self.fetch(&url, dest, expect, &mut progress) {
                Ok(_) => return Ok(url),
                Err(error) => {
                    failed(&url, &error);
                    all_refused &= error.downcast_ref::<Refused>().is_some();
                    reasons.push(format!("  {url}: {error:#}"));
                }
            }
        }
        let message = format!("no mirror served {file}:\n{}", reasons.join("\n"));
        if all_refused && !reasons.is_empty() {
            return Err(Refused::new(dest, message).into());
        }
        bail!(message)
    }
}

/// The URL of `file` in the directory `base` (a URL or a path).
pub fn join(base: &str, file: &str) -> String {
    format!("{}/{file}", base.trim_end_matches('/'))
}

/// Opens `url` for reading with the default configuration; returns the reader and its length
/// when known.
pub fn open(url: &str) -> Result<(Box<dyn Read + Send>, Option<u64>)> {
    Fetcher::default().open(url)
}

/// Downloads `url` to `dest` (replacing it atomically) with the default configuration; when
/// `sha256` is given the bytes must match it, or nothing is written and the download is
/// refused. `progress` gets byte counts as they arrive. Returns the number of bytes written.
pub fn fetch(
    url: &str,
    dest: &Path,
    sha256: Option<&str>,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    let mut last = 0;
    Fetcher::default().fetch(
        url,
        dest,
        Expect {
            sha256,
            ..Expect::default()
        },
        |total| {
            progress(total - last);
            last = total;
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_are_classified_and_unknown_ones_refused() {
        assert_eq!(
            locate("file:///srv/repo").unwrap(),
            Location::Local("/srv/repo".into())
        );
        assert_eq!(locate("repo/x").unwrap(), Location::Local("repo/x".into()));
        assert!(matches!(locate("https://h/x").unwrap(), Location::Http(_)));
        assert!(locate("ftp://h/x").unwrap_err().to_string().contains("ftp"));
        assert!(locate("file://relative").is_err());
    }

    #[test]
    fn a_wrong_hash_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source");
        fs::write(&source, b"hello").unwrap();
        let dest = dir.path().join("out/dest");
        let url = format!("file://{}", source.display());
        let error = fetch(&url, &dest, Some(&"0".repeat(64)), |_| {}).unwrap_err();
        assert!(error.downcast_ref::<Refused>().is_some());
        assert!(!dest.exists());
        assert_eq!(fs::read_dir(dir.path().join("out")).unwrap().count(), 0);
        let good = hex::encode(Sha256::digest(b"hello"));
        assert_eq!(fetch(&url, &dest, Some(&good), |_| {}).unwrap(), 5);
        assert_eq!(fs::read(&dest).unwrap(), b"hello");
    }

    #[test]
    fn mirrors_are_tried_in_order_until_one_serves_the_right_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (missing, bad, good) = (
            dir.path().join("missing"),
            dir.path().join("bad"),
            dir.path().join("good"),
        );
        for (mirror, contents) in [(&bad, &b"hellO"[..]), (&good, &b"hello"[..])] {
            fs::create_dir_all(mirror).unwrap();
            fs::write(mirror.join("f"), contents).unwrap();
        }
        let mirrors: Vec<String> = [&missing, &bad, &good]
            .iter()
            .map(|dir| format!("file://{}", dir.display()))
            .collect();
        let sha = hex::encode(Sha256::digest(b"hello"));
        let expect = Expect {
            sha256: Some(&sha),
            size: Some(5),
            limit: None,
        };
        let dest = dir.path().join("out/f");
        let mut failures = Vec::new();
        let used = Fetcher::default()
            .fetch_mirrors(
                &mirrors,
                "f",
                &dest,
                expect,
                |_| {},
                |url, _| failures.push(url.to_owned()),
            )
            .unwrap();
        assert_eq!(used, join(&mirrors[2], "f"));
        assert_eq!(failures, [join(&mirrors[0], "f"), join(&mirrors[1], "f")]);
        assert_eq!(fs::read(&dest).unwrap(), b"hello");

        // Only bad bytes everywhere: refused, listing every mirror; too long: cut off.
        let error = Fetcher::default()
            .fetch_mirrors(&mirrors[1..2], "f", &dest, expect, |_| {}, |_, _| {})
            .unwrap_err();
        assert!(error.downcast_ref::<Refused>().is_some(), "{error:#}");
        let long = Expect {
            size: Some(3),
            ..Expect::default()
        };
        let error = Fetcher::default()
            .fetch(&join(&mirrors[2], "f"), &dest, long, |_| {})
            .unwrap_err();
        assert!(error.to_string().contains("larger than"), "{error:#}");
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Fetcher::new(Some(&dir.path().join("none.pem")), None).is_err());
        fs::write(dir.path().join("empty.pem"), "").unwrap();
        let error = Fetcher::new(Some(&dir.path().join("empty.pem")), None)
            .err()
            .unwrap();
        assert!(
            error.to_string().contains("no PEM certificate"),
            "{error:#}"
        );
    }
}
