//! Generated packages for measuring install speed: a deterministic set of package layouts of a
//! realistic shape (a program, libraries with their symbolic links, many small data and
//! documentation files, a few large ones), with contents that compress about as well as real
//! programs and text do (neither trivially nor not at all). Used by the `bench_install` example.
#![forbid(unsafe_code)]

/// xorshift64: small, deterministic, fast enough to fill hundreds of megabytes.
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `low..high` (`low` when the range is empty).
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high.saturating_sub(low)).max(1)
    }

    /// A size between `low` and `high`, spread evenly over the orders of magnitude, as file
    /// sizes are.
    pub fn log_size(&mut self, low: u64, high: u64) -> u64 {
        let (low, high) = ((low.max(1)) as f64, (high.max(2)) as f64);
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        (low * (high / low).powf(unit)) as u64
    }
}

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Words of a made-up language, in lines (documentation, data, scripts).
    Text,
    /// Machine-code-like bytes: random stretches among repeated short patterns.
    Binary,
}

/// One entry of a generated package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Dir(String),
    File {
        path: String,
        size: u64,
        content: Content,
        mode: u32,
        seed: u64,
    },
    Symlink {
        path: String,
        target: String,
    },
}

impl Item {
    pub fn path(&self) -> &str {
        match self {
            Item::Dir(path) | Item::File { path, .. } | Item::Symlink { path, .. } => path,
        }
    }
}

/// The name of generated package `index`.
pub fn name(index: usize) -> String {
    format!("bench{index:04}")
}

/// The entries of generated package `index`, sorted by path, directories included (shared
/// ones such as `usr/bin` too, as real packages list them). About 30 files and 500 kB of file
/// data on average.
pub fn layout(index: usize) -> Vec<Item> {
    let name = name(index);
    let mut random = Random::new(index as u64 + 1);
    let mut items = Vec::new();
    for dir in ["usr", "usr/bin", "usr/lib", "usr/share", "usr/share/doc"] {
        items.push(Item::Dir(dir.into()));
    }
    let file = |random: &mut Random, path: String, size: u64, content, mode| Item::File {
        path,
        size,
        content,
        mode,
        seed: random.next_u64(),
    };
    // The program, and a second name for it.
    let size = random.log_size(4 << 10, 448 << 10);
    items.push(file(
        &mut random,
        format!("usr/bin/{name}"),
        size,
        Content::Binary,
        0o755,
    ));
    items.push(Item::Symlink {
        path: format!("usr/bin/{name}-run"),
        target: name.clone(),
    });
    // Libraries: the file and its development link.
    let lib_dir = format!("usr/lib/{name}");
    items.push(Item::Dir(lib_dir.clone()));
    for lib in 0..random.range(0, 3) {
        let size = random.log_size(8 << 10, 512 << 10);
        let so = format!("lib{name}-{lib}.so.1");
        items.push(file(
            &mut random,
            format!("{lib_dir}/{so}"),
            size,
            Content::Binary,
            0o644,
        ));
        items.push(Item::Symlink {
            path: format!("{lib_dir}/lib{name}-{lib}.so"),
            target: so,
        });
    }
    // Data files in a few subdirectories, mostly small text, now and then a large blob.
    let share = format!("usr/share/{name}");
    items.push(Item::Dir(share.clone()));
    for sub in 0..random.range(1, 4) {
        let dir = format!("{share}/part{sub}");
        items.push(Item::Dir(dir.clone()));
        for data in 0..random.range(2, 24) {
            let (size, content) = if random.range(0, 20) == 0 {
                (random.log_size(32 << 10, 384 << 10), Content::Binary)
            } else {
                (random.log_size(200, 16 << 10), Content::Text)
            };
            items.push(file(
                &mut random,
                format!("{dir}/data{data}.txt"),
                size,
                content,
                0o644,
            ));
        }
    }
    // Documentation.
    let doc = format!("usr/share/doc/{name}");
    items.push(Item::Dir(doc.clone()));
    for (file_name, low, high) in [
        ("README", 500, 8 << 10),
        ("changelog", 2 << 10, 64 << 10),
        ("copyright", 1 << 10, 20 << 10),
    ] {
        let size = random.log_size(low, high);
        items.push(file(
            &mut random,
            format!("{doc}/{file_name}"),
            size,
            Content::Text,
            0o644,
        ));
    }
    items.sort_by(|a, b| a.path().cmp(b.path()));
    items
}

/// The dependencies of package `index`: a few lower-numbered packages.
pub fn depends(index: usize) -> Vec<String> {
    let mut random = Random::new(!(index as u64));
    if index == 0 {
        return Vec::new();
    }
    let mut names: Vec<String> = (0..random.range(0, 4))
        .map(|_| name(random.range(0, index as u64) as usize))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Appends `size` bytes of `content` made from `seed` to `out`.
pub fn fill(out: &mut Vec<u8>, content: Content, size: u64, seed: u64) {
    let mut random = Random::new(seed);
    let end = out.len() + usize::try_from(size).unwrap_or(usize::MAX);
    out.reserve(end - out.len());
    match content {
        Content::Text => {
            while out.len() < end {
                // A word of 1–10 letters from a skewed alphabet; sometimes a line ends.
                let value = random.next_u64();
                let letters = 1 + (value % 10) as usize;
                for shift in 0..letters {
                    let pick = (value >> (8 + shift * 5)) & 31;
                    out.push(b"etaoinshrdlucmfwypvbgkjqxz.,-_() "[pick as usize]);
                }
                out.push(if value >> 60 == 0 { b'\n' } else { b' ' });
            }
        }
        Content::Binary => {
            // Short repeated "instruction" patterns between runs of random bytes.
            let patterns: Vec<[u8; 8]> = (0..32).map(|_| random.next_u64().to_le_bytes()).collect();
            while out.len() < end {
                let value = random.next_u64();
                if value.is_multiple_of(3) {
                    out.extend_from_slice(&random.next_u64().to_le_bytes());
                    out.extend_from_slice(&random.next_u64().to_le_bytes());
                } else {
                    out.extend_from_slice(&patterns[(value >> 8) as usize % patterns.len()]);
                }
            }
        }
    }
    out.truncate(end);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_are_deterministic_sorted_and_disjoint_but_for_directories() {
        assert_eq!(layout(7), layout(7));
        let mut seen = std::collections::BTreeMap::new();
        for index in 0..50 {
            let items = layout(index);
            assert!(items.windows(2).all(|pair| pair[0].path() < pair[1].path()));
            for item in items {
                let dir = matches!(item, Item::Dir(_));
                if let Some(was_dir) = seen.insert(item.path().to_owned(), dir) {
                    assert!(was_dir && dir, "{} in two packages", item.path());
                }
            }
        }
    }

    #[test]
    fn contents_are_deterministic_and_of_the_asked_size() {
        for content in [Content::Text, Content::Binary] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            fill(&mut a, content, 10_001, 3);
            fill(&mut b, content, 10_001, 3);
            assert_eq!((a.len(), &a), (10_001, &b));
        }
    }

    #[test]
    fn dependencies_point_lower() {
        for index in 0..100 {
            for dep in depends(index) {
                assert!(dep < name(index));
            }
        }
    }
}
