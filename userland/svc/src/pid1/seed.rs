//! Carrying entropy across boots: the saved seed is written into the pool (mixed in, not credited), and a fresh
//! one is saved for the next boot, as systemd-random-seed does.
#![forbid(unsafe_code)]

use super::log;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

pub const SEED_FILE: &str = "/var/lib/basalt/random-seed";
const SEED_BYTES: usize = 512;

/// Feeds the saved seed (if any) to /dev/urandom, then saves a new one.
pub fn carry_over(seed_file: &Path) {
    if let Ok(saved) = std::fs::read(seed_file) {
        let written = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/urandom")
            .and_then(|mut pool| pool.write_all(&saved));
        if let Err(error) = written {
            log(&format!("warning: cannot seed /dev/urandom: {error}"));
        }
    }
    save(seed_file);
}

/// Saves a fresh seed, readable by root only.
pub fn save(seed_file: &Path) {
    let mut seed = vec![0u8; SEED_BYTES];
    let result = std::fs::File::open("/dev/urandom")
        .and_then(|mut pool| pool.read_exact(&mut seed))
        .and_then(|()| {
            if let Some(dir) = seed_file.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(seed_file)?
                .write_all(&seed)
        });
    if let Err(error) = result {
        log(&format!(
            "warning: cannot save a random seed to {}: {error}",
            seed_file.display()
        ));
    }
}
