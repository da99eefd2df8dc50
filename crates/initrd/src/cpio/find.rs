//! Path lookup in an archive.

use super::{CpioReader, Entry};
use crate::CpioError;

/// Finds the entry for `path`, comparing paths with leading `/` and `./` components and
/// trailing `/` removed (so `/bin/sh`, `./bin/sh` and `bin/sh` are the same, and `/`,
/// `.` and `./` all mean the root entry `.`).
///
/// When several entries have the name, the last wins, as it would when unpacking. Any
/// malformed entry in the archive is an error, even after a match. Hard links are not
/// resolved: in newc only the last entry of a hard-link group carries the data.
pub fn find<'a>(archive: &'a [u8], path: &str) -> Result<Option<Entry<'a>>, CpioError> {
    let wanted = normalize(path);
    let mut found = None;
    for entry in CpioReader::new(archive) {
        let entry = entry?;
        if normalize(entry.name) == wanted {
            found = Some(entry);
        }
    }
    Ok(found)
}

/// Strips any mix of leading `/` and `./`, a bare `.`, and trailing `/`.
fn normalize(path: &str) -> &str {
    let mut rest = path;
    loop {
        if let Some(stripped) = rest.strip_prefix('/') {
            rest = stripped;
        } else if let Some(stripped) = rest.strip_prefix("./") {
            rest = stripped;
        } else {
            break;
        }
    }
    if rest == "." {
        return "";
    }
    rest.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn normalizes_leading_and_trailing_separators() {
        assert_eq!(normalize("/bin/sh"), "bin/sh");
        assert_eq!(normalize("./bin/sh"), "bin/sh");
        assert_eq!(normalize(".//./bin/sh"), "bin/sh");
        assert_eq!(normalize("bin/"), "bin");
        assert_eq!(normalize("/"), "");
        assert_eq!(normalize("."), "");
        assert_eq!(normalize("./"), "");
        assert_eq!(normalize(""), "");
        assert_eq!(normalize(".hidden"), ".hidden");
        assert_eq!(normalize("../x"), "../x");
    }
}
