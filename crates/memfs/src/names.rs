//! Names and paths: length limits, splitting into components, and how the last component is classified.

use basalt_linux_abi::Errno;

/// Longest name of one directory entry, in bytes (`NAME_MAX`).
pub const NAME_MAX: usize = 255;
/// Size of the buffer a path must fit in, its terminating NUL included (`PATH_MAX`): paths and symlink targets
/// are at most 4095 bytes.
pub const PATH_MAX: usize = 4096;

/// What the last component of a path is, as Linux's `last_type` tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LastComponent<'p> {
    /// The path is only slashes: it names the root itself.
    Root,
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// An ordinary name (not yet checked against [`NAME_MAX`]: that happens at lookup, as in Linux).
    Name(&'p [u8]),
}

/// Classifies one component (which contains no `/`).
pub(crate) fn classify(component: &[u8]) -> LastComponent<'_> {
    match component {
        b"." => LastComponent::Dot,
        b".." => LastComponent::DotDot,
        name => LastComponent::Name(name),
    }
}

/// Checks a name passed to a by-name operation: `ENOENT` if empty (like an empty path), `EINVAL` if it holds a
/// `/` or NUL (not a single entry name).
pub(crate) fn entry_name(name: &[u8]) -> Result<LastComponent<'_>, Errno> {
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name.iter().any(|&byte| byte == b'/' || byte == 0) {
        return Err(Errno::EINVAL);
    }
    Ok(classify(name))
}

/// `ENAMETOOLONG` for a component longer than [`NAME_MAX`].
pub(crate) fn check_name_length(name: &[u8]) -> Result<(), Errno> {
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

/// What `getname()` checks on a path from user space: `ENOENT` if empty, `ENAMETOOLONG` if it does not fit in
/// [`PATH_MAX`] with its NUL.
pub(crate) fn check_path(path: &[u8]) -> Result<(), Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

/// `path` without its leading slashes.
pub(crate) fn skip_slashes(path: &[u8]) -> &[u8] {
    let start = path
        .iter()
        .position(|&byte| byte != b'/')
        .unwrap_or(path.len());
    &path[start..]
}

/// Splits off the first component: `(component, rest)` where `rest` is empty or starts with `/`.
pub(crate) fn split_component(path: &[u8]) -> (&[u8], &[u8]) {
    let end = path
        .iter()
        .position(|&byte| byte == b'/')
        .unwrap_or(path.len());
    path.split_at(end)
}

/// Splits a non-empty path into the part leading to its last component, the last component, and whether
/// slashes follow it: `a/b/c/` → (`a/b/`, `c`, true). A path of only slashes is [`LastComponent::Root`].
pub(crate) fn split_last(path: &[u8]) -> (&[u8], LastComponent<'_>, bool) {
    let end = path
        .iter()
        .rposition(|&byte| byte != b'/')
        .map_or(0, |index| index + 1);
    let trimmed = &path[..end];
    let trailing_slash = end < path.len();
    if trimmed.is_empty() {
        return (path, LastComponent::Root, false);
    }
    let start = trimmed
        .iter()
        .rposition(|&byte| byte == b'/')
        .map_or(0, |index| index + 1);
    (
        &trimmed[..start],
        classify(&trimmed[start..]),
        trailing_slash,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_last_components() {
        assert_eq!(
            split_last(b"a"),
            (&b""[..], LastComponent::Name(b"a"), false)
        );
        assert_eq!(
            split_last(b"a/b/c/"),
            (&b"a/b/"[..], LastComponent::Name(b"c"), true)
        );
        assert_eq!(
            split_last(b"/a//b//"),
            (&b"/a//"[..], LastComponent::Name(b"b"), true)
        );
        assert_eq!(
            split_last(b"/x"),
            (&b"/"[..], LastComponent::Name(b"x"), false)
        );
        assert_eq!(
            split_last(b"///"),
            (&b"///"[..], LastComponent::Root, false)
        );
        assert_eq!(
            split_last(b"a/.."),
            (&b"a/"[..], LastComponent::DotDot, false)
        );
        assert_eq!(split_last(b"./"), (&b""[..], LastComponent::Dot, true));
    }

    #[test]
    fn splits_components_and_slashes() {
        assert_eq!(split_component(b"ab/cd"), (&b"ab"[..], &b"/cd"[..]));
        assert_eq!(split_component(b"ab"), (&b"ab"[..], &b""[..]));
        assert_eq!(skip_slashes(b"//a/"), b"a/");
        assert_eq!(skip_slashes(b"//"), b"");
    }

    #[test]
    fn checks_names_and_paths() {
        assert_eq!(entry_name(b""), Err(Errno::ENOENT));
        assert_eq!(entry_name(b"a/b"), Err(Errno::EINVAL));
        assert_eq!(entry_name(b"a\0"), Err(Errno::EINVAL));
        assert_eq!(entry_name(b".."), Ok(LastComponent::DotDot));
        assert_eq!(check_name_length(&[b'x'; 255]), Ok(()));
        assert_eq!(check_name_length(&[b'x'; 256]), Err(Errno::ENAMETOOLONG));
        assert_eq!(check_path(b""), Err(Errno::ENOENT));
        assert_eq!(check_path(&[b'x'; 4095]), Ok(()));
        assert_eq!(check_path(&[b'x'; 4096]), Err(Errno::ENAMETOOLONG));
    }
}
