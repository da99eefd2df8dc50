//! The names page: file names, socket addresses and timeouts written just before each call.
//!
//! Every file name written here is relative and contains neither `.` nor `/` — except a few fixed names that
//! only descend (`d0/f0`) or stay put (`.`) — so, with the worker's current directory inside its private
//! directory, no call can reach a file outside it. Random bytes elsewhere in the worker (the scratch buffer, which
//! system calls also write to, e.g. `getcwd`) are never handed to the kernel as a name.

use crate::layout::{Layout, PAGE_SIZE};
use crate::rng::Rng;
use crate::values::{any_value, pick_bad_pointer};

/// Offsets inside the names page.
pub mod offsets {
    /// File-name slots, one per file-name argument (at most two per call).
    pub const PATH_SLOTS: [usize; 2] = [0, 1024];
    /// Bytes available to one file name, including its NUL.
    pub const PATH_SLOT_LEN: usize = 1024;
    /// The socket address slot.
    pub const SOCKADDR: usize = 2048;
    /// Bytes in the socket address slot (more than `sockaddr_storage`).
    pub const SOCKADDR_LEN: usize = 256;
    /// The `struct timespec` slot.
    pub const TIMESPEC: usize = 2304;
    /// The signal mask slot (8 bytes).
    pub const SIGMASK: usize = 2320;
    /// The `{ mask pointer, mask size }` slot (16 bytes).
    pub const SIGMASK_PAIR: usize = 2336;
    /// Unterminated names end exactly at the page end, so the kernel runs into the guard page.
    pub const UNTERMINATED_LEN: usize = 64;
}

/// Names every worker uses, so that calls meet each other's files.
pub const FIXED_NAMES: &[&[u8]] = &[
    b"f0", b"f1", b"d0", b"d0/f0", b"d0/d1", b"s0", b"l0", b"p0", b".", b"",
];
/// The prefix of every abstract `AF_UNIX` name, so none can name another program's socket.
pub const ABSTRACT_PREFIX: &[u8] = b"sysfuzz-";
/// `AF_UNIX`.
pub const AF_UNIX: u16 = 1;
/// The longest name component Linux accepts (`NAME_MAX`).
const NAME_MAX: u64 = 255;

/// Writes a file name for path argument number `ordinal` (0 or 1) and returns the pointer to pass.
pub fn write_path(rng: &mut Rng, layout: &Layout, page: &mut [u8], ordinal: usize) -> u64 {
    let Some(&slot) = offsets::PATH_SLOTS.get(ordinal) else {
        return pick_bad_pointer(rng, true);
    };
    match rng.below(10) {
        0..=3 => {
            let name = rng.pick(FIXED_NAMES).unwrap_or(b"f0");
            write_terminated(page, slot, name);
        }
        4..=6 => {
            let mut name = [0u8; 16];
            let len = random_name(rng, &mut name);
            write_terminated(page, slot, &name[..len]);
        }
        7 => {
            // Too long for one component: ENAMETOOLONG.
            let len = (NAME_MAX as usize + 1 + rng.index(50)).min(offsets::PATH_SLOT_LEN - 1);
            let end = slot + len;
            if let Some(bytes) = page.get_mut(slot..end) {
                bytes.iter_mut().for_each(|byte| *byte = name_byte(rng));
            }
            if let Some(nul) = page.get_mut(end) {
                *nul = 0;
            }
        }
        8 => return write_unterminated(rng, layout, page),
        _ => return pick_bad_pointer(rng, true),
    }
    layout.names.start + slot as u64
}

/// Writes a socket address and returns the pointer to pass.
pub fn write_sockaddr(rng: &mut Rng, layout: &Layout, page: &mut [u8]) -> u64 {
    let slot = offsets::SOCKADDR;
    let Some(bytes) = page.get_mut(slot..slot + offsets::SOCKADDR_LEN) else {
        return pick_bad_pointer(rng, true);
    };
    bytes.fill(0);
    match rng.below(7) {
        0..=2 => {
            bytes[..2].copy_from_slice(&AF_UNIX.to_le_bytes());
            let mut name = [0u8; 16];
            let len = if rng.one_in(2) {
                // An empty name would make the address abstract without our prefix.
                let fixed = rng
                    .pick(FIXED_NAMES)
                    .filter(|name| !name.is_empty())
                    .unwrap_or(b"s0");
                name[..fixed.len()].copy_from_slice(fixed);
                fixed.len()
            } else {
                random_name(rng, &mut name)
            };
            bytes[2..2 + len].copy_from_slice(&name[..len]);
        }
        3 | 4 => {
            // Abstract: a NUL, then the name.
            bytes[..2].copy_from_slice(&AF_UNIX.to_le_bytes());
            let prefix_end = 3 + ABSTRACT_PREFIX.len();
            bytes[3..prefix_end].copy_from_slice(ABSTRACT_PREFIX);
            let mut suffix = [0u8; 16];
            let len = random_name(rng, &mut suffix);
            bytes[prefix_end..prefix_end + len].copy_from_slice(&suffix[..len]);
        }
        5 => {
            // AF_UNSPEC or a family that does not exist: the kernel must refuse it on an AF_UNIX socket.
            let family: u16 = if rng.one_in(2) { 0 } else { 0xffff };
            bytes[..2].copy_from_slice(&family.to_le_bytes());
            bytes[2..]
                .iter_mut()
                .for_each(|byte| *byte = name_byte(rng));
        }
        _ => return pick_bad_pointer(rng, true),
    }
    layout.names.start + slot as u64
}

/// A socket address length: short, exact, too long, or absurd.
pub fn pick_sockaddr_len(rng: &mut Rng) -> u64 {
    const LENGTHS: &[u64] = &[0, 1, 2, 3, 16, 110, 111, 128, 129, 4096, u64::MAX];
    rng.pick(LENGTHS).unwrap_or(110)
}

/// Writes a `struct timespec` (mostly short, sometimes invalid) and returns the pointer to pass, or NULL, or a
/// bad pointer.
pub fn write_timeout(rng: &mut Rng, layout: &Layout, page: &mut [u8]) -> u64 {
    const TIMEOUTS: &[(i64, i64)] = &[
        (0, 0),
        (0, 1_000),
        (0, 1_000_000),
        (0, 5_000_000),
        (0, 999_999_999),
        (0, 1_000_000_000),
        (-1, 0),
        (0, -1),
    ];
    match rng.below(8) {
        0..=5 => {
            let (seconds, nanoseconds) = rng.pick(TIMEOUTS).unwrap_or((0, 0));
            let slot = offsets::TIMESPEC;
            if let Some(bytes) = page.get_mut(slot..slot + 16) {
                bytes[..8].copy_from_slice(&seconds.to_le_bytes());
                bytes[8..].copy_from_slice(&nanoseconds.to_le_bytes());
            }
            layout.names.start + slot as u64
        }
        // No timeout at all: the heartbeat signal ends the wait.
        6 => 0,
        _ => pick_bad_pointer(rng, false),
    }
}

/// Signals a worker survives by default or thanks to its handler, plus invalid numbers.
const SURVIVABLE_SIGNALS: &[u64] = &[
    0,
    libc::SIGALRM as u64,
    libc::SIGCHLD as u64,
    libc::SIGURG as u64,
    libc::SIGWINCH as u64,
    libc::SIGCONT as u64,
    65,
    1000,
    u64::MAX,
];

/// A signal number to send to the worker itself: half the time one it survives, otherwise any value (most
/// signals end it, which exercises death by signal).
pub fn pick_signal(rng: &mut Rng, layout: &Layout) -> u64 {
    if rng.one_in(2) {
        rng.pick(SURVIVABLE_SIGNALS).unwrap_or(0)
    } else {
        any_value(rng, layout)
    }
}

/// Writes a random signal mask without the heartbeat signal and returns a pointer to it (or NULL, or a bad
/// pointer), so that a call waiting with this mask can still be interrupted.
pub fn write_signal_mask(rng: &mut Rng, layout: &Layout, page: &mut [u8]) -> u64 {
    match rng.below(6) {
        0..=3 => {
            let heartbeat_bit = 1u64 << (libc::SIGALRM - 1);
            let mask = rng.next_u64() & !heartbeat_bit;
            let slot = offsets::SIGMASK;
            if let Some(bytes) = page.get_mut(slot..slot + 8) {
                bytes.copy_from_slice(&mask.to_le_bytes());
            }
            layout.names.start + slot as u64
        }
        4 => 0,
        _ => pick_bad_pointer(rng, false),
    }
}

/// Writes a `{ mask pointer, mask size }` pair whose mask is as for [`write_signal_mask`], and returns a pointer to
/// it (or NULL, or a bad pointer).
pub fn write_signal_mask_pair(rng: &mut Rng, layout: &Layout, page: &mut [u8]) -> u64 {
    const SIZES: &[u64] = &[8, 8, 8, 0, 4, 16, u64::MAX];
    if rng.one_in(6) {
        return pick_bad_pointer(rng, true);
    }
    let mask = write_signal_mask(rng, layout, page);
    let size = rng.pick(SIZES).unwrap_or(8);
    let slot = offsets::SIGMASK_PAIR;
    if let Some(bytes) = page.get_mut(slot..slot + 16) {
        bytes[..8].copy_from_slice(&mask.to_le_bytes());
        bytes[8..].copy_from_slice(&size.to_le_bytes());
    }
    layout.names.start + slot as u64
}

/// A timeout in milliseconds for `poll` and `epoll_wait`.
pub fn pick_timeout_millis(rng: &mut Rng) -> u64 {
    const MILLIS: &[u64] = &[0, 0, 1, 5, u64::MAX, 0xffff_fffe];
    rng.pick(MILLIS).unwrap_or(0)
}

/// Sanitized name bytes that run into the guard page after the names page.
fn write_unterminated(rng: &mut Rng, layout: &Layout, page: &mut [u8]) -> u64 {
    let len = offsets::UNTERMINATED_LEN;
    let Some(start) = (PAGE_SIZE as usize).checked_sub(len) else {
        return pick_bad_pointer(rng, true);
    };
    let Some(bytes) = page.get_mut(start..start + len) else {
        return pick_bad_pointer(rng, true);
    };
    bytes.iter_mut().for_each(|byte| *byte = name_byte(rng));
    layout.names.start + start as u64
}

/// Fills the front of `out` with a short random name and returns its length (1..=12; never more than `out`).
fn random_name(rng: &mut Rng, out: &mut [u8; 16]) -> usize {
    if rng.one_in(2) {
        // A tiny alphabet, so that independent calls meet the same files.
        let len = 1 + rng.index(3);
        for byte in &mut out[..len] {
            *byte = b'a' + rng.below(3) as u8;
        }
        len
    } else {
        let len = 1 + rng.index(12);
        for byte in &mut out[..len] {
            *byte = name_byte(rng);
        }
        len
    }
}

/// A random byte that may appear in a confined name: not NUL, `/` or `.`.
fn name_byte(rng: &mut Rng) -> u8 {
    match rng.below(256) as u8 {
        0 | b'/' | b'.' => b'x',
        byte => byte,
    }
}

fn write_terminated(page: &mut [u8], offset: usize, name: &[u8]) {
    let end = offset + name.len();
    if let Some(bytes) = page.get_mut(offset..end) {
        bytes.copy_from_slice(name);
    }
    if let Some(nul) = page.get_mut(end) {
        *nul = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Region;
    use crate::values::is_bad_pointer;

    fn layout() -> Layout {
        Layout {
            scratch: Region {
                start: 0x10_0000,
                len: 16 * PAGE_SIZE,
            },
            names: Region {
                start: 0x20_0000,
                len: PAGE_SIZE,
            },
            pid: 5,
            tid: 5,
        }
    }

    /// The bytes the kernel would read as a string at `pointer`: up to the NUL, or to the page end (then faults).
    fn string_at<'a>(layout: &Layout, page: &'a [u8], pointer: u64) -> (&'a [u8], bool) {
        let offset = (pointer - layout.names.start) as usize;
        let rest = &page[offset..];
        match rest.iter().position(|&byte| byte == 0) {
            Some(nul) => (&rest[..nul], true),
            None => (rest, false),
        }
    }

    #[test]
    fn names_are_relative_and_never_climb() {
        let layout = layout();
        let mut page = vec![0u8; PAGE_SIZE as usize];
        let mut rng = Rng::new(11);
        let mut kinds = [0usize; 4];
        for round in 0..20_000 {
            let pointer = write_path(&mut rng, &layout, &mut page, round % 2);
            if is_bad_pointer(pointer) {
                kinds[0] += 1;
                continue;
            }
            assert!(layout.names.contains(pointer));
            let (name, terminated) = string_at(&layout, &page, pointer);
            assert!(!name.starts_with(b"/"), "{name:?}");
            assert!(name.split(|&byte| byte == b'/').all(|part| part != b".."));
            if !terminated {
                kinds[1] += 1;
            } else if name.len() > NAME_MAX as usize {
                kinds[2] += 1;
            } else {
                kinds[3] += 1;
            }
        }
        assert!(kinds.iter().all(|&count| count > 100), "{kinds:?}");
    }

    #[test]
    fn two_names_in_one_call_do_not_overlap() {
        let layout = layout();
        let mut page = vec![0u8; PAGE_SIZE as usize];
        let mut rng = Rng::new(12);
        for _ in 0..2000 {
            let first = write_path(&mut rng, &layout, &mut page, 0);
            let first_name = (!is_bad_pointer(first) && first < layout.names.start + 1024)
                .then(|| string_at(&layout, &page, first).0.to_vec());
            let _second = write_path(&mut rng, &layout, &mut page, 1);
            if let Some(name) = first_name {
                assert_eq!(string_at(&layout, &page, first).0, name.as_slice());
            }
        }
        assert!(is_bad_pointer(write_path(&mut rng, &layout, &mut page, 2)));
    }

    #[test]
    fn socket_addresses_are_local() {
        let layout = layout();
        let mut page = vec![0u8; PAGE_SIZE as usize];
        let mut rng = Rng::new(13);
        let mut saw = [false; 3];
        for _ in 0..5000 {
            let pointer = write_sockaddr(&mut rng, &layout, &mut page);
            if is_bad_pointer(pointer) {
                continue;
            }
            let offset = (pointer - layout.names.start) as usize;
            let address = &page[offset..offset + offsets::SOCKADDR_LEN];
            let family = u16::from_le_bytes([address[0], address[1]]);
            if family != AF_UNIX {
                assert!(family == 0 || family == 0xffff);
                saw[0] = true;
            } else if address[2] == 0 {
                assert!(address[3..].starts_with(ABSTRACT_PREFIX));
                saw[1] = true;
            } else {
                let name = &address[2..];
                let name = &name[..name.iter().position(|&b| b == 0).unwrap()];
                assert!(!name.starts_with(b"/"));
                assert!(name.split(|&byte| byte == b'/').all(|part| part != b".."));
                saw[2] = true;
            }
        }
        assert_eq!(saw, [true; 3]);
    }

    #[test]
    fn timeouts_are_short_null_or_bad() {
        let layout = layout();
        let mut page = vec![0u8; PAGE_SIZE as usize];
        let mut rng = Rng::new(14);
        for _ in 0..2000 {
            let pointer = write_timeout(&mut rng, &layout, &mut page);
            if pointer == 0 || is_bad_pointer(pointer) {
                continue;
            }
            assert_eq!(pointer, layout.names.start + offsets::TIMESPEC as u64);
            let seconds = i64::from_le_bytes(page[offsets::TIMESPEC..][..8].try_into().unwrap());
            assert!(seconds <= 0);
        }
        for _ in 0..100 {
            let millis = pick_timeout_millis(&mut rng) as u32 as i32;
            assert!(millis <= 5);
        }
        for _ in 0..100 {
            assert!([0, 1, 2, 3, 16, 110, 111, 128, 129, 4096, u64::MAX]
                .contains(&pick_sockaddr_len(&mut rng)));
        }
    }

    #[test]
    fn wait_masks_never_block_the_heartbeat() {
        let layout = layout();
        let mut page = vec![0u8; PAGE_SIZE as usize];
        let mut rng = Rng::new(16);
        let heartbeat_bit = 1u64 << (libc::SIGALRM - 1);
        let mask_at = |page: &[u8], pointer: u64| {
            let offset = (pointer - layout.names.start) as usize;
            u64::from_le_bytes(page[offset..offset + 8].try_into().unwrap())
        };
        let mut masks = 0;
        for _ in 0..2000 {
            let pointer = write_signal_mask(&mut rng, &layout, &mut page);
            if layout.names.contains(pointer) {
                assert_eq!(mask_at(&page, pointer) & heartbeat_bit, 0);
                masks += 1;
            } else {
                assert!(is_bad_pointer(pointer));
            }
            let pair = write_signal_mask_pair(&mut rng, &layout, &mut page);
            if layout.names.contains(pair) {
                let mask = mask_at(&page, pair);
                if layout.names.contains(mask) {
                    assert_eq!(mask_at(&page, mask) & heartbeat_bit, 0);
                }
            }
        }
        assert!(masks > 1000);
    }

    #[test]
    fn self_signals_are_often_survivable() {
        let layout = layout();
        let mut rng = Rng::new(17);
        let survivable = (0..1000)
            .filter(|_| SURVIVABLE_SIGNALS.contains(&pick_signal(&mut rng, &layout)))
            .count();
        assert!((400..900).contains(&survivable), "{survivable}");
    }

    #[test]
    fn a_short_page_is_never_written_out_of_bounds() {
        let layout = layout();
        let mut page = vec![0u8; 100];
        let mut rng = Rng::new(15);
        for round in 0..2000 {
            write_path(&mut rng, &layout, &mut page, round % 2);
            write_sockaddr(&mut rng, &layout, &mut page);
            write_timeout(&mut rng, &layout, &mut page);
            write_signal_mask(&mut rng, &layout, &mut page);
            write_signal_mask_pair(&mut rng, &layout, &mut page);
        }
    }

    #[test]
    fn fixed_names_are_confined_too() {
        for name in FIXED_NAMES {
            assert!(!name.starts_with(b"/"));
            assert!(name.split(|&byte| byte == b'/').all(|part| part != b".."));
            assert!(!name.contains(&0));
        }
    }
}
