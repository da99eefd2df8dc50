//! socket(2) and socketpair(2) arguments, checked in Linux's order (`__sys_socket`, `__sock_create`,
//! `unix_create`).

use basalt_linux_abi::Errno;

pub const AF_UNSPEC: u16 = 0;
pub const AF_UNIX: u16 = 1;
/// Linux's NPROTO (AF_MAX): families at or above it do not exist.
pub const NPROTO: i32 = 46;
pub const SOCK_STREAM: i32 = 1;
pub const SOCK_DGRAM: i32 = 2;
pub const SOCK_RAW: i32 = 3;
pub const SOCK_SEQPACKET: i32 = 5;
/// Types at or above SOCK_MAX are EINVAL.
pub const SOCK_MAX: i32 = 11;
pub const SOCK_TYPE_MASK: i32 = 0xf;
pub const SOCK_NONBLOCK: i32 = 0o4000;
pub const SOCK_CLOEXEC: i32 = 0o2000000;

/// The three AF_UNIX socket types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockType {
    Stream,
    Dgram,
    SeqPacket,
}

impl SockType {
    /// The SOCK_* number (SO_TYPE).
    pub const fn number(self) -> i32 {
        match self {
            SockType::Stream => SOCK_STREAM,
            SockType::Dgram => SOCK_DGRAM,
            SockType::SeqPacket => SOCK_SEQPACKET,
        }
    }

    /// Connection-oriented (stream and seqpacket).
    pub const fn connected_kind(self) -> bool {
        !matches!(self, SockType::Dgram)
    }
}

/// What a valid socket(2) call asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketArgs {
    pub ty: SockType,
    pub nonblock: bool,
    pub cloexec: bool,
}

/// Checks socket(2)/socketpair(2) arguments: flags (EINVAL), family (EAFNOSUPPORT: only AF_UNIX exists here),
/// type range (EINVAL), protocol (EPROTONOSUPPORT), then the type AF_UNIX supports (ESOCKTNOSUPPORT; SOCK_RAW
/// becomes SOCK_DGRAM as in `unix_create`).
pub fn check_socket_args(domain: i32, type_flags: i32, protocol: i32) -> Result<SocketArgs, Errno> {
    let flags = type_flags & !SOCK_TYPE_MASK;
    if flags & !(SOCK_CLOEXEC | SOCK_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let ty = type_flags & SOCK_TYPE_MASK;
    if !(0..NPROTO).contains(&domain) || domain != i32::from(AF_UNIX) {
        return Err(Errno::EAFNOSUPPORT);
    }
    if ty >= SOCK_MAX {
        return Err(Errno::EINVAL);
    }
    if protocol != 0 && protocol != i32::from(AF_UNIX) {
        return Err(Errno::EPROTONOSUPPORT);
    }
    let ty = match ty {
        SOCK_STREAM => SockType::Stream,
        SOCK_DGRAM | SOCK_RAW => SockType::Dgram,
        SOCK_SEQPACKET => SockType::SeqPacket,
        _ => return Err(Errno::ESOCKTNOSUPPORT),
    };
    Ok(SocketArgs {
        ty,
        nonblock: flags & SOCK_NONBLOCK != 0,
        cloexec: flags & SOCK_CLOEXEC != 0,
    })
}

/// accept4(2) flags: only SOCK_NONBLOCK and SOCK_CLOEXEC.
pub fn check_accept_flags(flags: i32) -> Result<(bool, bool), Errno> {
    if flags & !(SOCK_CLOEXEC | SOCK_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok((flags & SOCK_NONBLOCK != 0, flags & SOCK_CLOEXEC != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_order_of_checks() {
        assert_eq!(check_socket_args(1, 0x40, 0), Err(Errno::EINVAL));
        assert_eq!(
            check_socket_args(2, SOCK_STREAM, 0),
            Err(Errno::EAFNOSUPPORT)
        );
        assert_eq!(
            check_socket_args(-1, SOCK_STREAM, 0),
            Err(Errno::EAFNOSUPPORT)
        );
        assert_eq!(check_socket_args(1, 12, 0), Err(Errno::EINVAL));
        assert_eq!(
            check_socket_args(1, SOCK_STREAM, 7),
            Err(Errno::EPROTONOSUPPORT)
        );
        assert_eq!(check_socket_args(1, 4, 0), Err(Errno::ESOCKTNOSUPPORT));
        assert_eq!(check_socket_args(1, 0, 0), Err(Errno::ESOCKTNOSUPPORT));
        let a = check_socket_args(1, SOCK_RAW | SOCK_CLOEXEC, 1).unwrap();
        assert_eq!(a.ty, SockType::Dgram);
        assert!(a.cloexec && !a.nonblock);
    }

    #[test]
    fn accept_flags() {
        assert_eq!(check_accept_flags(1), Err(Errno::EINVAL));
        assert_eq!(check_accept_flags(SOCK_NONBLOCK), Ok((true, false)));
    }
}
