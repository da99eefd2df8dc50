//! `struct sockaddr_un` (family, then up to 108 bytes of `sun_path`) as Linux parses and reports it.

use crate::args::AF_UNIX;
use alloc::vec::Vec;
use basalt_linux_abi::Errno;

/// Offset of `sun_path` (the size of `sa_family_t`): the length of an unnamed address.
pub const PATH_OFFSET: usize = 2;
/// `sizeof(struct sockaddr_un)`.
pub const SOCKADDR_UN_LEN: usize = 110;
/// `sizeof(struct sockaddr_storage)`: longer user addresses are EINVAL before they are copied.
pub const SOCKADDR_STORAGE_LEN: usize = 128;

/// A socket name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Name {
    /// A filesystem path (no NUL).
    Path(Vec<u8>),
    /// An abstract name: the `sun_path` bytes after the leading NUL, exactly as long as the address said.
    Abstract(Vec<u8>),
}

/// What bind(2) asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindTarget {
    /// An address of just the family: pick an abstract name (autobind).
    Auto,
    Name(Name),
}

/// `unix_validate_addr` + `unix_mkname_bsd`: a name to connect or send to. `raw` is what the user passed
/// (already limited to [`SOCKADDR_STORAGE_LEN`]).
pub fn parse(raw: &[u8]) -> Result<Name, Errno> {
    if raw.len() <= PATH_OFFSET || raw.len() > SOCKADDR_UN_LEN {
        return Err(Errno::EINVAL);
    }
    if family(raw) != AF_UNIX {
        return Err(Errno::EINVAL);
    }
    let path = &raw[PATH_OFFSET..];
    if path[0] == 0 {
        return Ok(Name::Abstract(path[1..].to_vec()));
    }
    let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
    Ok(Name::Path(path[..end].to_vec()))
}

/// bind(2)'s address: just the family means autobind (`unix_bind`), else as [`parse`].
pub fn parse_bind(raw: &[u8]) -> Result<BindTarget, Errno> {
    if raw.len() == PATH_OFFSET && family(raw) == AF_UNIX {
        return Ok(BindTarget::Auto);
    }
    parse(raw).map(BindTarget::Name)
}

/// The family field of a user address (AF_UNSPEC when too short to hold one).
pub fn family(raw: &[u8]) -> u16 {
    match raw {
        [a, b, ..] => u16::from_le_bytes([*a, *b]),
        _ => 0,
    }
}

impl Name {
    /// The address getsockname/getpeername/accept/recvfrom report: a path with its NUL, an abstract name as
    /// long as it was bound.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(SOCKADDR_UN_LEN);
        out.extend_from_slice(&AF_UNIX.to_le_bytes());
        match self {
            Name::Path(p) => {
                out.extend_from_slice(p);
                out.push(0);
            }
            Name::Abstract(a) => {
                out.push(0);
                out.extend_from_slice(a);
            }
        }
        out
    }

    /// The autobind name number `n`: a NUL and five lowercase hex digits (`unix_autobind`).
    pub fn autobind(n: u32) -> Name {
        let mut digits = Vec::with_capacity(5);
        for shift in (0..5).rev() {
            let d = ((n >> (shift * 4)) & 0xf) as u8;
            digits.push(if d < 10 { b'0' + d } else { b'a' + d - 10 });
        }
        Name::Abstract(digits)
    }
}

/// The address of an unnamed socket: the family alone.
pub fn unnamed() -> Vec<u8> {
    AF_UNIX.to_le_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn addr(path: &[u8]) -> Vec<u8> {
        let mut v = vec![1, 0];
        v.extend_from_slice(path);
        v
    }

    #[test]
    fn lengths_and_family() {
        assert_eq!(parse(&[1, 0]), Err(Errno::EINVAL));
        assert_eq!(parse(&[2, 0, b'a']), Err(Errno::EINVAL));
        assert_eq!(parse(&[1]), Err(Errno::EINVAL));
        assert_eq!(parse(&[1u8; 111]), Err(Errno::EINVAL));
        assert_eq!(parse_bind(&[1, 0]), Ok(BindTarget::Auto));
        assert_eq!(parse_bind(&[2, 0]), Err(Errno::EINVAL));
    }

    #[test]
    fn paths_end_at_nul_or_length() {
        assert_eq!(parse(&addr(b"ab\0cd")), Ok(Name::Path(b"ab".to_vec())));
        assert_eq!(parse(&addr(b"abc")), Ok(Name::Path(b"abc".to_vec())));
        let name = Name::Path(b"abc".to_vec());
        assert_eq!(name.encode(), addr(b"abc\0"));
    }

    #[test]
    fn abstract_names_keep_every_byte() {
        let n = parse(&addr(b"\0x\0y")).unwrap();
        assert_eq!(n, Name::Abstract(b"x\0y".to_vec()));
        assert_eq!(n.encode(), addr(b"\0x\0y"));
    }

    #[test]
    fn autobind_shape() {
        assert_eq!(Name::autobind(0xabc).encode(), addr(b"\x0000abc"));
        assert_eq!(Name::autobind(0xfffff).encode().len(), 8);
    }
}
