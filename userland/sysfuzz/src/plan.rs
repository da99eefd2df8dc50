//! Choosing the next call: a system call number the policy allows and six arguments shaped by its roles.

use crate::layout::Layout;
use crate::names;
use crate::policy::{self, Role, Rule, SYSCALL_COUNT};
use crate::rng::Rng;
use crate::values::{any_value, pick_bad_pointer};

/// One system call ready to issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// The system call number.
    pub number: usize,
    /// Its six arguments (unused ones are random too, as the kernel must ignore them).
    pub args: [u64; 6],
}

/// How many numbers to draw before settling for `getpid` (about 15% of numbers are denied, so this never happens
/// in practice; it only bounds the loop).
const MAX_DRAWS: usize = 64;

/// Plans the next call, writing its file names, socket address and timeout into `names_page`.
pub fn next_call(rng: &mut Rng, layout: &Layout, names_page: &mut [u8]) -> Call {
    for _ in 0..MAX_DRAWS {
        let number = rng.index(SYSCALL_COUNT);
        if let Rule::Issue(shape) = policy::rule(number) {
            let mut args = [0u64; 6];
            let mut paths = 0;
            for (arg, role) in args.iter_mut().zip(shape.roles()) {
                *arg = match *role {
                    Role::Any => any_value(rng, layout),
                    Role::Path => {
                        paths += 1;
                        names::write_path(rng, layout, names_page, paths - 1)
                    }
                    Role::BadPointer => pick_bad_pointer(rng, false),
                    Role::SockAddr => names::write_sockaddr(rng, layout, names_page),
                    Role::SockAddrLen => names::pick_sockaddr_len(rng),
                    Role::Timeout => names::write_timeout(rng, layout, names_page),
                    Role::TimeoutMillis => names::pick_timeout_millis(rng),
                    Role::OwnPid => layout.pid,
                    Role::OwnTid => layout.tid,
                    Role::Signal => names::pick_signal(rng, layout),
                    Role::SignalMask => names::write_signal_mask(rng, layout, names_page),
                    Role::SignalMaskPair => names::write_signal_mask_pair(rng, layout, names_page),
                    Role::OneOf(values) => rng.pick(values).unwrap_or(0),
                    Role::NodeMode => node_mode(rng),
                };
            }
            policy::adjust(number, &mut args, layout.pid);
            return Call { number, args };
        }
    }
    Call {
        number: basalt_linux_abi::nr::GETPID,
        args: [0; 6],
    }
}

/// Fills scratch memory with a mix the kernel will read as structures: zeros, small numbers, pointers back into
/// scratch, and random words.
pub fn fill_scratch(rng: &mut Rng, layout: &Layout, scratch: &mut [u8]) {
    for word in scratch.chunks_mut(8) {
        let value = match rng.below(8) {
            0 | 1 => 0,
            2 | 3 => rng.below(64),
            4 => layout.scratch.start + rng.below(layout.scratch.len),
            _ => rng.next_u64(),
        };
        let bytes = value.to_le_bytes();
        word.copy_from_slice(&bytes[..word.len()]);
    }
}

/// A `mknod` mode: random permissions with the type forced to a regular file, FIFO or socket (a device node could
/// give access to the machine's disks).
fn node_mode(rng: &mut Rng) -> u64 {
    const TYPES: &[u64] = &[0, 0o100000, 0o010000, 0o140000];
    rng.pick(TYPES).unwrap_or(0) | rng.below(0o10000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{Region, PAGE_SIZE};
    use crate::names::{offsets, ABSTRACT_PREFIX, AF_UNIX};
    use crate::policy::IOCTL_COMMANDS;
    use crate::values::is_bad_pointer;
    use basalt_linux_abi::nr;

    fn layout() -> Layout {
        Layout {
            scratch: Region {
                start: 0x7f00_0000_0000,
                len: 16 * PAGE_SIZE,
            },
            names: Region {
                start: 0x7f00_1000_0000,
                len: PAGE_SIZE,
            },
            pid: 4242,
            tid: 4242,
        }
    }

    /// The model of a harmless file name: what the kernel reads at `pointer` is relative and never climbs.
    fn harmless_name(layout: &Layout, page: &[u8], pointer: u64) -> bool {
        if is_bad_pointer(pointer) {
            return true;
        }
        if !layout.names.contains(pointer) {
            return false;
        }
        let rest = &page[(pointer - layout.names.start) as usize..];
        let name = match rest.iter().position(|&byte| byte == 0) {
            Some(nul) => &rest[..nul],
            None => rest, // runs into the guard page: EFAULT
        };
        !name.starts_with(b"/") && name.split(|&byte| byte == b'/').all(|part| part != b"..")
    }

    /// The model of a harmless socket address: bad pointer, a non-AF_UNIX family, our abstract prefix, or a
    /// harmless relative name.
    fn harmless_sockaddr(layout: &Layout, page: &[u8], pointer: u64) -> bool {
        if is_bad_pointer(pointer) {
            return true;
        }
        if !layout.names.contains(pointer) {
            return false;
        }
        let offset = (pointer - layout.names.start) as usize;
        let family = u16::from_le_bytes([page[offset], page[offset + 1]]);
        if family != AF_UNIX {
            return family == 0 || family == 0xffff;
        }
        if page[offset + 2] == 0 {
            return page[offset + 3..].starts_with(ABSTRACT_PREFIX);
        }
        harmless_name(layout, page, pointer + 2)
    }

    /// The model of a wait mask: unreadable, or readable without the heartbeat signal (SIGALRM) in it.
    fn mask_keeps_heartbeat(layout: &Layout, page: &[u8], pointer: u64) -> bool {
        if !layout.names.contains(pointer) {
            return is_bad_pointer(pointer);
        }
        let offset = (pointer - layout.names.start) as usize;
        let mask = u64::from_le_bytes(page[offset..offset + 8].try_into().unwrap());
        mask & (1 << (libc::SIGALRM - 1)) == 0
    }

    /// The same for a `{ mask pointer, size }` pair.
    fn pair_keeps_heartbeat(layout: &Layout, page: &[u8], pointer: u64) -> bool {
        if !layout.names.contains(pointer) {
            return is_bad_pointer(pointer);
        }
        let offset = (pointer - layout.names.start) as usize;
        let mask = u64::from_le_bytes(page[offset..offset + 8].try_into().unwrap());
        mask_keeps_heartbeat(layout, page, mask)
    }

    /// Checks one planned call against rules restated from the man pages, independently of `policy`.
    fn check_harmless(call: &Call, layout: &Layout, page: &[u8]) {
        let a = call.args;
        let low = |value: u64| value as u32 as i32;
        assert!(call.number < SYSCALL_COUNT);
        assert!(
            matches!(policy::rule(call.number), Rule::Issue(_)),
            "{call:?}"
        );
        match call.number {
            nr::KILL | nr::RT_SIGQUEUEINFO | nr::PROCESS_VM_READV | nr::PROCESS_VM_WRITEV => {
                assert_eq!(a[0], layout.pid)
            }
            nr::TKILL => assert_eq!(a[0], layout.tid),
            nr::TGKILL | nr::RT_TGSIGQUEUEINFO => {
                assert_eq!([a[0], a[1]], [layout.pid, layout.tid])
            }
            nr::SOCKET | nr::SOCKETPAIR => assert!([0, 1, -1, 0x7fff_ffff].contains(&low(a[0]))),
            nr::IOCTL => assert!(IOCTL_COMMANDS.contains(&a[1])),
            nr::FCNTL if low(a[1]) == libc::F_SETOWN => assert_eq!(a[2], layout.pid),
            nr::FCNTL => assert_ne!(low(a[1]), 15), // F_SETOWN_EX
            nr::PRCTL if low(a[0]) == libc::PR_SET_DUMPABLE => assert_eq!(a[1], 0),
            nr::PRCTL => assert_ne!(low(a[0]), 62),
            nr::MADVISE => assert!(![100, 101].contains(&low(a[2]))),
            nr::SETPRIORITY => assert!(a[1] == 0 && low(a[2]) >= 0),
            nr::SCHED_SETSCHEDULER => {
                assert_eq!(a[0], 0);
                assert!(![1, 2, 6].contains(&(low(a[1]) & !0x4000_0000)));
            }
            nr::PRLIMIT64 => assert_eq!([a[0], a[2]], [0, 0]),
            nr::MKNOD => {
                assert!(a[2] == 0 && [0, 0o100000, 0o010000, 0o140000].contains(&(a[1] & 0o170000)))
            }
            nr::MKNODAT => {
                assert!(a[3] == 0 && [0, 0o100000, 0o010000, 0o140000].contains(&(a[2] & 0o170000)))
            }
            nr::EXECVE => assert!(is_bad_pointer(a[0]) && a[0] != 0),
            nr::EXECVEAT => assert!(is_bad_pointer(a[1]) && a[1] != 0),
            nr::BIND | nr::CONNECT => assert!(harmless_sockaddr(layout, page, a[1])),
            nr::SENDTO => assert!(harmless_sockaddr(layout, page, a[4])),
            nr::OPEN | nr::CHMOD | nr::CHDIR | nr::UNLINK | nr::TRUNCATE | nr::CREAT => {
                assert!(harmless_name(layout, page, a[0]))
            }
            nr::RENAME | nr::LINK | nr::SYMLINK => {
                assert!(harmless_name(layout, page, a[0]) && harmless_name(layout, page, a[1]))
            }
            nr::OPENAT | nr::UNLINKAT | nr::FCHMODAT | nr::MKDIRAT | nr::STATX | nr::OPENAT2 => {
                assert!(harmless_name(layout, page, a[1]))
            }
            nr::RENAMEAT | nr::RENAMEAT2 | nr::LINKAT => {
                assert!(harmless_name(layout, page, a[1]) && harmless_name(layout, page, a[3]))
            }
            nr::RT_SIGSUSPEND => assert!(mask_keeps_heartbeat(layout, page, a[0])),
            nr::PPOLL => assert!(mask_keeps_heartbeat(layout, page, a[3])),
            nr::EPOLL_PWAIT | nr::EPOLL_PWAIT2 => assert!(mask_keeps_heartbeat(layout, page, a[4])),
            nr::PSELECT6 | nr::IO_PGETEVENTS => assert!(pair_keeps_heartbeat(layout, page, a[5])),
            nr::FALLOCATE => {
                let (offset, length) = (a[2] as i64, a[3] as i64);
                assert!(offset < 0 || length <= 0 || offset + length <= 1 << 17);
            }
            nr::SYMLINKAT => {
                assert!(harmless_name(layout, page, a[0]) && harmless_name(layout, page, a[2]))
            }
            _ => {}
        }
    }

    #[test]
    fn randomized_calls_obey_the_safety_model() {
        let layout = layout();
        let mut page = vec![0u8; PAGE_SIZE as usize];
        let mut rng = Rng::new(0x5eed);
        let mut issued = [0u32; SYSCALL_COUNT];
        for _ in 0..300_000 {
            let call = next_call(&mut rng, &layout, &mut page);
            check_harmless(&call, &layout, &page);
            issued[call.number] += 1;
        }
        // Every allowed number is drawn, and no denied one.
        for (number, &count) in issued.iter().enumerate() {
            match policy::rule(number) {
                Rule::Issue(_) => assert!(count > 0, "{number} never drawn"),
                Rule::Deny(_) => assert_eq!(count, 0, "{number} denied but drawn"),
            }
        }
    }

    #[test]
    fn a_seed_reproduces_the_sequence() {
        let layout = layout();
        let run = |seed| {
            let mut page = vec![0u8; PAGE_SIZE as usize];
            let mut rng = Rng::new(seed);
            (0..1000)
                .map(|_| next_call(&mut rng, &layout, &mut page))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
    }

    #[test]
    fn pinned_values_show_up_with_their_variety() {
        let layout = layout();
        let mut page = vec![0u8; PAGE_SIZE as usize];
        let mut rng = Rng::new(77);
        let mut saw_timespec = false;
        let mut saw_null_timeout = false;
        for _ in 0..200_000 {
            let call = next_call(&mut rng, &layout, &mut page);
            if call.number == nr::NANOSLEEP {
                saw_timespec |= call.args[0] == layout.names.start + offsets::TIMESPEC as u64;
                saw_null_timeout |= call.args[0] == 0;
            }
        }
        assert!(saw_timespec && saw_null_timeout);
    }

    #[test]
    fn scratch_fill_is_deterministic_and_varied() {
        let layout = layout();
        let mut first = vec![0u8; 4096 + 3];
        let mut second = vec![0u8; 4096 + 3];
        fill_scratch(&mut Rng::new(9), &layout, &mut first);
        fill_scratch(&mut Rng::new(9), &layout, &mut second);
        assert_eq!(first, second);
        let words: Vec<u64> = first
            .chunks_exact(8)
            .map(|word| u64::from_le_bytes(word.try_into().unwrap()))
            .collect();
        assert!(words.contains(&0));
        assert!(words.iter().any(|&word| layout.scratch.contains(word)));
        assert!(words
            .iter()
            .any(|&word| word > 1 << 48 && !layout.scratch.contains(word)));
    }

    #[test]
    fn node_modes_never_make_devices() {
        let mut rng = Rng::new(8);
        for _ in 0..1000 {
            let mode = node_mode(&mut rng);
            assert!([0, 0o100000, 0o010000, 0o140000].contains(&(mode & 0o170000)));
            assert!(mode < 0o200000);
        }
    }
}
