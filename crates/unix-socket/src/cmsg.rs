//! Ancillary data: `struct cmsghdr` (u64 length, i32 level, i32 type, data aligned to 8) as `__scm_send` parses
//! it from sendmsg and as `put_cmsg`/`scm_detach_fds` write it for recvmsg.

use alloc::vec::Vec;
use basalt_linux_abi::Errno;

pub const SOL_SOCKET: i32 = 1;
pub const SCM_RIGHTS: i32 = 1;
pub const SCM_CREDENTIALS: i32 = 2;
/// Most descriptors one sendmsg may pass (SCM_MAX_FD).
pub const SCM_MAX_FD: usize = 253;
/// `sizeof(struct cmsghdr)`.
pub const HDR: usize = 16;
/// `sizeof(struct ucred)`.
pub const UCRED_LEN: usize = 12;

/// CMSG_ALIGN.
pub const fn align(len: usize) -> usize {
    (len + 7) & !7
}

/// CMSG_LEN.
pub const fn cmsg_len(data: usize) -> usize {
    HDR + data
}

/// CMSG_SPACE.
pub const fn cmsg_space(data: usize) -> usize {
    HDR + align(data)
}

/// `struct ucred`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ucred {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

impl Ucred {
    /// What SO_PEERCRED reports for a socket with no peer credentials (`cred_to_ucred` without a cred).
    pub const NONE: Ucred = Ucred {
        pid: 0,
        uid: u32::MAX,
        gid: u32::MAX,
    };

    pub fn to_bytes(self) -> [u8; UCRED_LEN] {
        let mut b = [0u8; UCRED_LEN];
        b[0..4].copy_from_slice(&self.pid.to_le_bytes());
        b[4..8].copy_from_slice(&self.uid.to_le_bytes());
        b[8..12].copy_from_slice(&self.gid.to_le_bytes());
        b
    }

    pub fn from_bytes(b: &[u8]) -> Option<Ucred> {
        let word = |i: usize| b.get(i..i + 4).map(|w| [w[0], w[1], w[2], w[3]]);
        Some(Ucred {
            pid: i32::from_le_bytes(word(0)?),
            uid: u32::from_le_bytes(word(4)?),
            gid: u32::from_le_bytes(word(8)?),
        })
    }
}

/// The sender's identity, for `scm_check_creds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderIds {
    /// Thread-group id.
    pub pid: i32,
    /// Real, effective and saved uid; the same for gid.
    pub uids: [u32; 3],
    pub gids: [u32; 3],
    /// CAP_SYS_ADMIN (any pid), CAP_SETUID (any uid), CAP_SETGID (any gid): effective uid 0 here.
    pub privileged: bool,
}

/// `scm_check_creds`: an unprivileged sender may only claim its own pid and one of its own ids.
pub fn check_creds(c: &Ucred, me: &SenderIds) -> Result<(), Errno> {
    let pid_ok = c.pid == me.pid || me.privileged;
    let uid_ok = me.uids.contains(&c.uid) || me.privileged;
    let gid_ok = me.gids.contains(&c.gid) || me.privileged;
    if pid_ok && uid_ok && gid_ok {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// The ancillary data of one sendmsg.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ControlIn {
    /// Descriptors of SCM_RIGHTS messages, in order.
    pub fds: Vec<i32>,
    /// The last SCM_CREDENTIALS message.
    pub creds: Option<Ucred>,
}

/// `__scm_send`: walk the control buffer with CMSG_FIRSTHDR/CMSG_NXTHDR. A header with a length below the
/// header size or past the buffer is EINVAL; other levels are skipped; SCM_RIGHTS beyond SCM_MAX_FD, a
/// SCM_CREDENTIALS of the wrong size and unknown types are EINVAL.
pub fn parse_control(buf: &[u8]) -> Result<ControlIn, Errno> {
    let mut out = ControlIn::default();
    let mut at = 0usize;
    while buf.len().saturating_sub(at) >= HDR {
        let hdr = &buf[at..at + HDR];
        let len = u64::from_le_bytes([
            hdr[0], hdr[1], hdr[2], hdr[3], hdr[4], hdr[5], hdr[6], hdr[7],
        ]);
        let level = i32::from_le_bytes([hdr[8], hdr[9], hdr[10], hdr[11]]);
        let ty = i32::from_le_bytes([hdr[12], hdr[13], hdr[14], hdr[15]]);
        let remaining = (buf.len() - at) as u64;
        if len < HDR as u64 || len > remaining {
            return Err(Errno::EINVAL);
        }
        let len = len as usize;
        let data = &buf[at + HDR..at + len];
        if level == SOL_SOCKET {
            match ty {
                SCM_RIGHTS => {
                    let n = data.len() / 4;
                    if out.fds.len() + n > SCM_MAX_FD {
                        return Err(Errno::EINVAL);
                    }
                    out.fds.extend(
                        data.chunks_exact(4)
                            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                    );
                }
                SCM_CREDENTIALS => {
                    if len != cmsg_len(UCRED_LEN) {
                        return Err(Errno::EINVAL);
                    }
                    out.creds = Ucred::from_bytes(data);
                }
                _ => return Err(Errno::EINVAL),
            }
        }
        // CMSG_NXTHDR: the next header starts at the aligned end; one that would not fit ends the walk.
        at += align(len);
    }
    Ok(out)
}

/// The control buffer recvmsg fills: at most `capacity` bytes, and the MSG_CTRUNC verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlOut {
    pub bytes: Vec<u8>,
    capacity: usize,
    pub truncated: bool,
}

impl ControlOut {
    /// A buffer of `capacity` bytes (0 for a NULL msg_control).
    pub fn new(capacity: usize) -> Self {
        ControlOut {
            bytes: Vec::new(),
            capacity,
            truncated: false,
        }
    }

    fn remaining(&self) -> usize {
        self.capacity - self.bytes.len()
    }

    fn header(&mut self, len: usize, ty: i32) {
        self.bytes.extend_from_slice(&(len as u64).to_le_bytes());
        self.bytes.extend_from_slice(&SOL_SOCKET.to_le_bytes());
        self.bytes.extend_from_slice(&ty.to_le_bytes());
    }

    /// `put_cmsg`: no room for a header sets MSG_CTRUNC and writes nothing; too little room for the data
    /// writes what fits, with cmsg_len saying how much, and sets MSG_CTRUNC.
    pub fn put(&mut self, ty: i32, data: &[u8]) {
        if self.remaining() < HDR {
            self.truncated = true;
            return;
        }
        let mut len = cmsg_len(data.len());
        if self.remaining() < len {
            self.truncated = true;
            len = self.remaining();
        }
        self.header(len, ty);
        self.bytes.extend_from_slice(&data[..len - HDR]);
        let space = cmsg_space(data.len()).min(self.remaining() + len);
        self.pad_to(space - len);
    }

    fn pad_to(&mut self, n: usize) {
        let n = n.min(self.remaining());
        self.bytes.extend(core::iter::repeat_n(0, n));
    }

    /// How many descriptors fit (`scm_max_fds`).
    pub fn rights_room(&self) -> usize {
        self.remaining().saturating_sub(HDR) / 4
    }

    /// `scm_detach_fds`: `installed` descriptors went into the receiver's table out of `sent`.
    pub fn put_rights(&mut self, installed: &[i32], sent: usize) {
        if !installed.is_empty() {
            let len = cmsg_len(installed.len() * 4);
            self.header(len, SCM_RIGHTS);
            for fd in installed {
                self.bytes.extend_from_slice(&fd.to_le_bytes());
            }
            let space = cmsg_space(installed.len() * 4);
            self.pad_to(space - len);
        }
        if installed.len() < sent {
            self.truncated = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn cmsg(level: i32, ty: i32, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&(cmsg_len(data.len()) as u64).to_le_bytes());
        v.extend_from_slice(&level.to_le_bytes());
        v.extend_from_slice(&ty.to_le_bytes());
        v.extend_from_slice(data);
        v.resize(cmsg_space(data.len()), 0);
        v
    }

    #[test]
    fn macros() {
        assert_eq!(cmsg_len(4), 20);
        assert_eq!(cmsg_space(4), 24);
        assert_eq!(cmsg_space(12), 32);
    }

    #[test]
    fn rights_and_creds() {
        let mut buf = cmsg(SOL_SOCKET, SCM_RIGHTS, &[3, 0, 0, 0, 4, 0, 0, 0]);
        let c = Ucred {
            pid: 9,
            uid: 1,
            gid: 2,
        };
        buf.extend(cmsg(SOL_SOCKET, SCM_CREDENTIALS, &c.to_bytes()));
        buf.extend(cmsg(6, 99, &[1, 2]));
        let got = parse_control(&buf).unwrap();
        assert_eq!(got.fds, vec![3, 4]);
        assert_eq!(got.creds, Some(c));
    }

    #[test]
    fn bad_lengths() {
        let mut buf = cmsg(SOL_SOCKET, SCM_RIGHTS, &[3, 0, 0, 0]);
        buf[0] = 8;
        assert_eq!(parse_control(&buf), Err(Errno::EINVAL));
        buf[0] = 200;
        assert_eq!(parse_control(&buf), Err(Errno::EINVAL));
        let bad = cmsg(SOL_SOCKET, SCM_CREDENTIALS, &[0; 8]);
        assert_eq!(parse_control(&bad), Err(Errno::EINVAL));
        let unknown = cmsg(SOL_SOCKET, 77, &[]);
        assert_eq!(parse_control(&unknown), Err(Errno::EINVAL));
        assert_eq!(parse_control(&[0; 8]), Ok(ControlIn::default()));
    }

    #[test]
    fn too_many_fds() {
        let buf = cmsg(SOL_SOCKET, SCM_RIGHTS, &[0; 4 * 254]);
        assert_eq!(parse_control(&buf), Err(Errno::EINVAL));
    }

    #[test]
    fn creds_rules() {
        let me = SenderIds {
            pid: 5,
            uids: [1000; 3],
            gids: [1000; 3],
            privileged: false,
        };
        let ok = Ucred {
            pid: 5,
            uid: 1000,
            gid: 1000,
        };
        assert_eq!(check_creds(&ok, &me), Ok(()));
        assert_eq!(check_creds(&Ucred { pid: 6, ..ok }, &me), Err(Errno::EPERM));
        assert_eq!(check_creds(&Ucred { uid: 0, ..ok }, &me), Err(Errno::EPERM));
        let root = SenderIds {
            privileged: true,
            ..me
        };
        assert_eq!(
            check_creds(
                &Ucred {
                    pid: 1,
                    uid: 0,
                    gid: 0
                },
                &root
            ),
            Ok(())
        );
    }

    #[test]
    fn put_truncates() {
        let mut out = ControlOut::new(20);
        out.put(SCM_CREDENTIALS, &[1; 12]);
        assert!(out.truncated);
        assert_eq!(out.bytes.len(), 20);
        assert_eq!(out.bytes[0], 20);
        let mut small = ControlOut::new(8);
        small.put(SCM_CREDENTIALS, &[1; 12]);
        assert!(small.truncated && small.bytes.is_empty());
        let mut fine = ControlOut::new(64);
        fine.put(SCM_CREDENTIALS, &[1; 12]);
        assert_eq!(fine.bytes.len(), 32);
        assert_eq!(fine.rights_room(), 4);
    }

    #[test]
    fn rights_out() {
        let mut out = ControlOut::new(24);
        assert_eq!(out.rights_room(), 2);
        out.put_rights(&[7, 8], 3);
        assert!(out.truncated);
        assert_eq!(out.bytes.len(), 24);
        assert_eq!(out.bytes[0], 24);
        let mut exact = ControlOut::new(20);
        exact.put_rights(&[7], 1);
        assert!(!exact.truncated);
        assert_eq!(exact.bytes.len(), 20);
    }
}
