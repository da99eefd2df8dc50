//! struct signalfd_siginfo (128 bytes) from a siginfo_t, following Linux's signalfd_copyinfo: which union fields
//! are copied depends on the siginfo layout (kill, timer, poll, fault, child, real-time queue).

const SI_TIMER: i32 = -2;
const SI_SIGIO: i32 = -5;
const SIGILL: u32 = 4;
const SIGTRAP: u32 = 5;
const SIGBUS: u32 = 7;
const SIGFPE: u32 = 8;
const SIGSEGV: u32 = 11;
const SIGCHLD: u32 = 17;
const SIGPOLL: u32 = 29;
const SIGSYS: u32 = 31;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Kill,
    Timer,
    Poll,
    Fault,
    Chld,
    Rt,
    Sys,
}

fn layout(signo: u32, code: i32) -> Layout {
    if code > 0 && code < 0x80 {
        match signo {
            SIGILL | SIGFPE | SIGSEGV | SIGBUS | SIGTRAP => Layout::Fault,
            SIGCHLD => Layout::Chld,
            SIGPOLL => Layout::Poll,
            SIGSYS => Layout::Sys,
            _ => Layout::Kill,
        }
    } else if code == SI_TIMER {
        Layout::Timer
    } else if code == SI_SIGIO {
        Layout::Poll
    } else if code < 0 {
        Layout::Rt
    } else {
        Layout::Kill
    }
}

fn u32_at(b: &[u8; 128], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8; 128], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// The signalfd record for the siginfo_t `si` (x86_64 layouts).
pub fn from_siginfo(si: &[u8; 128]) -> [u8; 128] {
    let mut out = [0u8; 128];
    let signo = u32_at(si, 0);
    let code = u32_at(si, 8) as i32;
    let put32 =
        |out: &mut [u8; 128], at: usize, v: u32| out[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let put64 =
        |out: &mut [u8; 128], at: usize, v: u64| out[at..at + 8].copy_from_slice(&v.to_le_bytes());
    put32(&mut out, 0, signo); // ssi_signo
    put32(&mut out, 4, u32_at(si, 4)); // ssi_errno
    put32(&mut out, 8, code as u32); // ssi_code
    match layout(signo, code) {
        Layout::Kill => {
            put32(&mut out, 12, u32_at(si, 16)); // ssi_pid
            put32(&mut out, 16, u32_at(si, 20)); // ssi_uid
        }
        Layout::Timer => {
            put32(&mut out, 24, u32_at(si, 16)); // ssi_tid
            put32(&mut out, 32, u32_at(si, 20)); // ssi_overrun
            put64(&mut out, 48, u64_at(si, 24)); // ssi_ptr
            put32(&mut out, 44, u32_at(si, 24)); // ssi_int
        }
        Layout::Poll => {
            put32(&mut out, 28, u64_at(si, 16) as u32); // ssi_band
            put32(&mut out, 20, u32_at(si, 24)); // ssi_fd
        }
        Layout::Fault | Layout::Sys => {
            put64(&mut out, 72, u64_at(si, 16)); // ssi_addr
        }
        Layout::Chld => {
            put32(&mut out, 12, u32_at(si, 16));
            put32(&mut out, 16, u32_at(si, 20));
            put32(&mut out, 40, u32_at(si, 24)); // ssi_status
            put64(&mut out, 56, u64_at(si, 32)); // ssi_utime
            put64(&mut out, 64, u64_at(si, 40)); // ssi_stime
        }
        Layout::Rt => {
            put32(&mut out, 12, u32_at(si, 16));
            put32(&mut out, 16, u32_at(si, 20));
            put64(&mut out, 48, u64_at(si, 24));
            put32(&mut out, 44, u32_at(si, 24));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn si(signo: u32, code: i32, words: &[(usize, u32)]) -> [u8; 128] {
        let mut b = [0u8; 128];
        b[0..4].copy_from_slice(&signo.to_le_bytes());
        b[8..12].copy_from_slice(&code.to_le_bytes());
        for &(at, v) in words {
            b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        b
    }

    #[test]
    fn kill_copies_pid_and_uid() {
        let out = from_siginfo(&si(10, 0, &[(16, 42), (20, 1000)]));
        assert_eq!(u32_at(&out, 0), 10);
        assert_eq!(u32_at(&out, 12), 42);
        assert_eq!(u32_at(&out, 16), 1000);
    }

    #[test]
    fn queued_value_is_int_and_ptr() {
        let out = from_siginfo(&si(34, -1, &[(16, 7), (20, 0), (24, 99)]));
        assert_eq!(u32_at(&out, 44), 99);
        assert_eq!(u64_at(&out, 48), 99);
        assert_eq!(u32_at(&out, 8) as i32, -1);
    }

    #[test]
    fn child_status() {
        let out = from_siginfo(&si(17, 1, &[(16, 5), (24, 3)]));
        assert_eq!(u32_at(&out, 12), 5);
        assert_eq!(u32_at(&out, 40), 3);
    }
}
