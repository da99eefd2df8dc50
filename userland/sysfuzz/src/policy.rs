//! Which system calls the workers may issue, and what shape their arguments must have.
//!
//! sysfuzz runs as root, on Basalt and on Linux hosts, so "random system calls" must never mean "random damage to the
//! machine". Three rules keep a run harmless:
//!
//! 1. **Deny** whole classes of calls whose purpose is to act beyond the calling process: power and kexec, the
//!    clocks, mounts, swap, modules, host names, accounting, quotas, raw I/O ports, the kernel log, keyrings,
//!    tracing or signalling other processes through pidfds, machine-wide IPC objects that outlive the process,
//!    io_uring/BPF/perf (their work is described in memory that the checks below never see), real-time scheduling,
//!    and lifting the worker's resource limits. Also denied: calls that end the worker on purpose (`exit`), create
//!    tasks that would run this loop behind the supervisor's back (`clone`, `clone3`, `vfork`), or hang it by design
//!    (`userfaultfd`).
//! 2. **Pin** arguments that name other processes to the worker itself (`kill`, `tgkill`, `process_vm_writev`,
//!    `prlimit64`, `sched_setaffinity`...), socket families to `AF_UNIX` (no network traffic, no netlink, no vsock),
//!    `ioctl` commands to a list of harmless ones (no filesystem freeze or shutdown, no terminal injection),
//!    device-node modes to regular files, FIFOs and sockets, and `fallocate` ranges to a few KiB (with
//!    `FALLOC_FL_KEEP_SIZE` it ignores the file size limit).
//! 3. **Confine names**: every argument the kernel reads as a file name (or `AF_UNIX` address) points into a page the
//!    worker rewrites just before each call with a relative name that contains no `/` and no `.` (so it cannot
//!    climb out), chosen from fixed names or random bytes, or is a bad pointer. Workers run with their current
//!    directory inside a private directory, so every file they touch is in there. `execve` and `execveat` only ever
//!    get garbage file-name pointers.
//!
//! Behind these rules, `confine` gives every worker resource limits (address space, file size, descriptors, no
//! core dumps) and drops every capability except the file-permission ones, so a machine-wide call that slipped
//! through would still fail with EPERM.
//!
//! Calls that merely block (`pause`, `nanosleep`, reading an empty pipe, `futex` waits) are allowed: the worker's
//! 1 ms heartbeat signal interrupts them, timeouts are mostly short, and the supervisor kills a worker that stops
//! making progress.

use basalt_linux_abi::nr;

/// How many system call numbers the workers draw from (`0..SYSCALL_COUNT`).
pub const SYSCALL_COUNT: usize = 470;

/// What the worker may do with one system call number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Never issued; the text says why.
    Deny(&'static str),
    /// Issued, with each argument drawn according to its role.
    Issue(Shape),
}

/// How one argument is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// An edge-case value: 0, 1, -1, small numbers, pointers into the worker's scratch memory, kernel and
    /// non-canonical addresses, huge sizes, random bits.
    Any,
    /// A file name in the names page, or a bad pointer.
    Path,
    /// A pointer the kernel cannot read (never NULL): the file name of `execve`/`execveat`.
    BadPointer,
    /// A socket address in the names page (an `AF_UNIX` name, an abstract name, a foreign family), or a bad pointer.
    SockAddr,
    /// The length of a socket address.
    SockAddrLen,
    /// A `struct timespec` pointer: usually a short timeout, sometimes NULL (no timeout) or a bad pointer.
    Timeout,
    /// A timeout in milliseconds: short, or -1 (none).
    TimeoutMillis,
    /// The worker's own process id.
    OwnPid,
    /// The worker's own thread id.
    OwnTid,
    /// A signal number for a signal the worker sends itself: often one it survives, otherwise any value.
    Signal,
    /// A signal mask pointer that a call installs while it waits: never blocks the heartbeat signal.
    SignalMask,
    /// A pointer to a `{ mask pointer, mask size }` pair (`pselect6`, `io_pgetevents`), mask as for
    /// [`Role::SignalMask`].
    SignalMaskPair,
    /// One of these values.
    OneOf(&'static [u64]),
    /// A `mknod` mode: random permission bits with the type forced to a regular file, FIFO or socket.
    NodeMode,
}

/// The roles of a call's six arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape([Role; 6]);

impl Shape {
    /// Every argument is [`Role::Any`].
    pub const ANY: Self = Self([Role::Any; 6]);

    /// The same shape with argument `index` (0-based) given `role`; indexes past 5 are ignored.
    pub const fn with(mut self, index: usize, role: Role) -> Self {
        if index < self.0.len() {
            self.0[index] = role;
        }
        self
    }

    /// The roles, first argument first.
    pub fn roles(&self) -> &[Role; 6] {
        &self.0
    }
}

/// `AF_UNIX` most of the time, plus families that do not exist (0, huge, negative) for the error paths.
const SOCKET_FAMILIES: &[u64] = &[1, 1, 1, 1, 0, 0x7fff_ffff, 0xffff_ffff];
/// Normal policies only (and invalid numbers): real-time ones could starve the machine's other work.
const SCHEDULER_POLICIES: &[u64] = &[0, 3, 5, 0x4000_0000, 0x4000_0003, 7, u64::MAX];
/// Only ever lower the worker's priority.
const NICE_VALUES: &[u64] = &[0, 1, 10, 19, 40];
/// `PRIO_PROCESS`, plus an invalid `which`.
const PRIORITY_WHICH: &[u64] = &[0, 0xffff];
/// The calling process, as `who` or `pid` arguments spell it.
const ZERO: &[u64] = &[0];

/// Small offsets, plus negative ones (EINVAL).
const FALLOCATE_OFFSETS: &[u64] = &[0, 1, 4095, 4096, 1 << 16, u64::MAX, 1 << 63];
/// Small lengths, plus zero and negative ones (EINVAL). At most 128 KiB is ever reserved by one call.
const FALLOCATE_LENGTHS: &[u64] = &[0, 1, 4095, 4096, 1 << 16, u64::MAX, 1 << 63];

/// `ioctl` commands that only read state or change the worker's own descriptors, plus unknown numbers.
/// Random commands are not used: among 2^32 numbers are filesystem freeze and shutdown, online resize, terminal
/// input injection and network interface configuration.
pub const IOCTL_COMMANDS: &[u64] = &[
    0x541b,                // FIONREAD
    0x5421,                // FIONBIO
    0x5452,                // FIOASYNC
    0x5451,                // FIOCLEX
    0x5450,                // FIONCLEX
    0x5460,                // FIOQSIZE
    0x5401,                // TCGETS (ENOTTY: the worker has no terminal)
    0x5413,                // TIOCGWINSZ
    0x540f,                // TIOCGPGRP
    0x5411,                // TIOCOUTQ
    0x5429,                // TIOCGSID
    0x8008_6601,           // FS_IOC_GETFLAGS
    0x8008_7601,           // FS_IOC_GETVERSION
    0x801c_581f,           // FS_IOC_FSGETXATTR
    0xc020_660b,           // FS_IOC_FIEMAP
    0x0000_0002,           // FIGETBSZ
    0x0000_0001,           // FIBMAP
    0x4004_9409,           // FICLONE (into one of the worker's own files)
    0x0000_0000,           // nothing
    0xffff_ffff,           // nothing
    0x0000_ee01,           // an unassigned ioctl type
    0xffff_ffff_0000_541b, // FIONREAD with garbage above the 32 bits the kernel reads
];

const ENDS_WORKER: &str =
    "ends the worker on purpose: deaths should come from bad calls, not from the exit call";
const NEW_TASKS: &str =
    "creates a task that would run the fuzz loop outside the supervisor, possibly sharing the \
     worker's memory on a random stack (fork is allowed: its child exits at once)";
const EXECUTES_LIBRARY: &str = "maps a file as a library: exec-like and obsolete";
const POWER: &str = "reboots, halts or replaces the running kernel";
const MACHINE_STATE: &str =
    "changes machine-wide state: clocks, mounts, swap, modules, host names, accounting or quotas";
const IO_PORTS: &str = "gives the process raw access to hardware I/O ports";
const KERNEL_LOG: &str = "reads and clears the kernel log or changes the console log level";
const TERMINAL: &str = "hangs up the session's terminal";
const OTHER_PROCESSES: &str =
    "acts on other processes: tracing, pidfds, their memory or their kernel objects";
const UNCHECKED_WORK: &str =
    "runs work described in memory these checks never see (io_uring submissions, BPF \
     programs, perf events): it could open files anywhere or create network sockets";
const PERSISTENT_IPC: &str =
    "System V and POSIX IPC objects are named machine-wide and outlive the process: \
     random ids could remove other programs' objects";
const KEYRINGS: &str =
    "keyrings are shared by all of root's processes: random serials could revoke other keys";
const LIMITS: &str =
    "would lift the memory, file size and descriptor limits that keep a worker from exhausting the machine";
const REAL_TIME: &str =
    "can ask for real-time or deadline scheduling, starving the machine's other work";
const WHOLE_FILESYSTEM: &str =
    "acts on whole filesystems: flushes them, watches or blocks access to every file, \
     or opens files by handle outside the private directory";
const IMMUTABLE: &str =
    "can make files immutable, which would keep the private directory from being removed";
const HANGS: &str =
    "page faults on registered memory wait for a handler thread that the worker does not have";
const OUT_OF_RANGE: &str = "outside the range of system call numbers the fuzzer draws from";

/// The rule for system call `number`.
pub fn rule(number: usize) -> Rule {
    use Role::*;
    let any = Shape::ANY;
    let issue = Rule::Issue;
    match number {
        nr::EXIT | nr::EXIT_GROUP => Rule::Deny(ENDS_WORKER),
        nr::CLONE | nr::CLONE3 | nr::VFORK => Rule::Deny(NEW_TASKS),
        nr::USELIB => Rule::Deny(EXECUTES_LIBRARY),
        nr::REBOOT | nr::KEXEC_LOAD | nr::KEXEC_FILE_LOAD => Rule::Deny(POWER),
        nr::SETTIMEOFDAY
        | nr::CLOCK_SETTIME
        | nr::ADJTIMEX
        | nr::CLOCK_ADJTIME
        | nr::MOUNT
        | nr::UMOUNT2
        | nr::PIVOT_ROOT
        | nr::CHROOT
        | nr::OPEN_TREE
        | nr::MOVE_MOUNT
        | nr::FSOPEN
        | nr::FSCONFIG
        | nr::FSMOUNT
        | nr::FSPICK
        | nr::MOUNT_SETATTR
        | nr::OPEN_TREE_ATTR
        | nr::SWAPON
        | nr::SWAPOFF
        | nr::CREATE_MODULE
        | nr::INIT_MODULE
        | nr::FINIT_MODULE
        | nr::DELETE_MODULE
        | nr::GET_KERNEL_SYMS
        | nr::QUERY_MODULE
        | nr::SETHOSTNAME
        | nr::SETDOMAINNAME
        | nr::ACCT
        | nr::QUOTACTL
        | nr::QUOTACTL_FD
        | nr::_SYSCTL
        | nr::NFSSERVCTL => Rule::Deny(MACHINE_STATE),
        nr::IOPL | nr::IOPERM => Rule::Deny(IO_PORTS),
        nr::SYSLOG => Rule::Deny(KERNEL_LOG),
        nr::VHANGUP => Rule::Deny(TERMINAL),
        nr::PTRACE
        | nr::PIDFD_OPEN
        | nr::PIDFD_SEND_SIGNAL
        | nr::PIDFD_GETFD
        | nr::PROCESS_MADVISE
        | nr::PROCESS_MRELEASE => Rule::Deny(OTHER_PROCESSES),
        nr::IO_URING_SETUP
        | nr::IO_URING_ENTER
        | nr::IO_URING_REGISTER
        | nr::BPF
        | nr::PERF_EVENT_OPEN => Rule::Deny(UNCHECKED_WORK),
        nr::SHMGET
        | nr::SHMAT
        | nr::SHMCTL
        | nr::SHMDT
        | nr::SEMGET
        | nr::SEMOP
        | nr::SEMCTL
        | nr::SEMTIMEDOP
        | nr::MSGGET
        | nr::MSGSND
        | nr::MSGRCV
        | nr::MSGCTL
        | nr::MQ_OPEN
        | nr::MQ_UNLINK => Rule::Deny(PERSISTENT_IPC),
        nr::ADD_KEY | nr::REQUEST_KEY | nr::KEYCTL => Rule::Deny(KEYRINGS),
        nr::SETRLIMIT => Rule::Deny(LIMITS),
        nr::SCHED_SETATTR | nr::IOPRIO_SET => Rule::Deny(REAL_TIME),
        nr::SYNC | nr::SYNCFS | nr::FANOTIFY_INIT | nr::FANOTIFY_MARK | nr::OPEN_BY_HANDLE_AT => {
            Rule::Deny(WHOLE_FILESYSTEM)
        }
        nr::FILE_SETATTR => Rule::Deny(IMMUTABLE),
        nr::USERFAULTFD => Rule::Deny(HANGS),

        // Other processes pinned to the worker itself.
        nr::KILL | nr::RT_SIGQUEUEINFO => issue(any.with(0, OwnPid).with(1, Signal)),
        nr::TKILL => issue(any.with(0, OwnTid).with(1, Signal)),
        nr::TGKILL | nr::RT_TGSIGQUEUEINFO => {
            issue(any.with(0, OwnPid).with(1, OwnTid).with(2, Signal))
        }
        nr::PROCESS_VM_READV | nr::PROCESS_VM_WRITEV => issue(any.with(0, OwnPid)),
        nr::KCMP => issue(any.with(0, OwnPid).with(1, OwnPid)),
        nr::SCHED_SETAFFINITY | nr::SCHED_SETPARAM | nr::MIGRATE_PAGES | nr::MOVE_PAGES => {
            issue(any.with(0, OneOf(ZERO)))
        }
        nr::SCHED_SETSCHEDULER => {
            issue(any.with(0, OneOf(ZERO)).with(1, OneOf(SCHEDULER_POLICIES)))
        }
        nr::SETPRIORITY => issue(
            any.with(0, OneOf(PRIORITY_WHICH))
                .with(1, OneOf(ZERO))
                .with(2, OneOf(NICE_VALUES)),
        ),
        // Read the limits only: a NULL new limit.
        nr::PRLIMIT64 => issue(any.with(0, OneOf(ZERO)).with(2, OneOf(ZERO))),

        // Sockets: AF_UNIX only, addresses from the names page.
        nr::SOCKET | nr::SOCKETPAIR => issue(any.with(0, OneOf(SOCKET_FAMILIES))),
        nr::BIND | nr::CONNECT => issue(any.with(1, SockAddr).with(2, SockAddrLen)),
        nr::SENDTO => issue(any.with(4, SockAddr).with(5, SockAddrLen)),

        nr::IOCTL => issue(any.with(1, OneOf(IOCTL_COMMANDS))),
        // With FALLOC_FL_KEEP_SIZE, fallocate reserves space without the file size limit's check: a huge
        // length would fill the disk, or RAM through a memfd.
        nr::FALLOCATE => issue(
            any.with(2, OneOf(FALLOCATE_OFFSETS))
                .with(3, OneOf(FALLOCATE_LENGTHS)),
        ),
        nr::EXECVE => issue(any.with(0, BadPointer)),
        nr::EXECVEAT => issue(any.with(1, BadPointer)),

        // One file name, first argument.
        nr::OPEN
        | nr::STAT
        | nr::LSTAT
        | nr::ACCESS
        | nr::TRUNCATE
        | nr::CHDIR
        | nr::MKDIR
        | nr::RMDIR
        | nr::CREAT
        | nr::UNLINK
        | nr::READLINK
        | nr::CHMOD
        | nr::CHOWN
        | nr::LCHOWN
        | nr::UTIME
        | nr::UTIMES
        | nr::STATFS
        | nr::SETXATTR
        | nr::LSETXATTR
        | nr::GETXATTR
        | nr::LGETXATTR
        | nr::LISTXATTR
        | nr::LLISTXATTR
        | nr::REMOVEXATTR
        | nr::LREMOVEXATTR => issue(any.with(0, Path)),
        // Two file names.
        nr::RENAME | nr::LINK | nr::SYMLINK => issue(any.with(0, Path).with(1, Path)),
        nr::MKNOD => issue(any.with(0, Path).with(1, NodeMode).with(2, OneOf(ZERO))),
        // A directory descriptor, then a file name.
        nr::OPENAT
        | nr::MKDIRAT
        | nr::FCHOWNAT
        | nr::FUTIMESAT
        | nr::NEWFSTATAT
        | nr::UNLINKAT
        | nr::READLINKAT
        | nr::FCHMODAT
        | nr::FCHMODAT2
        | nr::FACCESSAT
        | nr::FACCESSAT2
        | nr::UTIMENSAT
        | nr::NAME_TO_HANDLE_AT
        | nr::STATX
        | nr::OPENAT2
        | nr::SETXATTRAT
        | nr::GETXATTRAT
        | nr::LISTXATTRAT
        | nr::REMOVEXATTRAT
        | nr::FILE_GETATTR
        | nr::INOTIFY_ADD_WATCH => issue(any.with(1, Path)),
        nr::MKNODAT => issue(any.with(1, Path).with(2, NodeMode).with(3, OneOf(ZERO))),
        nr::RENAMEAT | nr::RENAMEAT2 | nr::LINKAT => issue(any.with(1, Path).with(3, Path)),
        nr::SYMLINKAT => issue(any.with(0, Path).with(2, Path)),

        // Short timeouts keep blocking calls from eating the run.
        nr::NANOSLEEP => issue(any.with(0, Timeout)),
        nr::CLOCK_NANOSLEEP => issue(any.with(2, Timeout)),
        // Masks installed for the duration of a wait never block the heartbeat, which ends the wait.
        nr::SELECT => issue(any.with(4, Timeout)),
        nr::PSELECT6 => issue(any.with(4, Timeout).with(5, SignalMaskPair)),
        nr::PPOLL => issue(any.with(2, Timeout).with(3, SignalMask)),
        nr::RT_SIGTIMEDWAIT => issue(any.with(2, Timeout)),
        nr::RT_SIGSUSPEND => issue(any.with(0, SignalMask)),
        nr::FUTEX => issue(any.with(3, Timeout)),
        nr::IO_GETEVENTS | nr::RECVMMSG | nr::FUTEX_WAIT => issue(any.with(4, Timeout)),
        nr::IO_PGETEVENTS => issue(any.with(4, Timeout).with(5, SignalMaskPair)),
        nr::EPOLL_PWAIT2 => issue(any.with(3, Timeout).with(4, SignalMask)),
        nr::FUTEX_WAITV => issue(any.with(3, Timeout)),
        nr::POLL => issue(any.with(2, TimeoutMillis)),
        nr::EPOLL_WAIT => issue(any.with(3, TimeoutMillis)),
        nr::EPOLL_PWAIT => issue(any.with(3, TimeoutMillis).with(4, SignalMask)),

        number if number < SYSCALL_COUNT => issue(any),
        _ => Rule::Deny(OUT_OF_RANGE),
    }
}

/// Fixes arguments whose meaning depends on another argument's value, once all six are drawn.
///
/// `fcntl(F_SETOWN)` would send `SIGIO` to any pid; `prctl` could re-enable core dumps or join another process's
/// core-scheduling group; `madvise(MADV_HWPOISON/MADV_SOFT_OFFLINE)` takes physical pages out of service for the
/// whole machine.
pub fn adjust(number: usize, args: &mut [u64; 6], own_pid: u64) {
    // The kernel reads `cmd`, `option` and `advice` as 32-bit ints.
    let low = |value: u64| value as u32;
    match number {
        nr::FCNTL => match low(args[1]) as i32 {
            libc::F_SETOWN => args[2] = own_pid,
            F_SETOWN_EX => args[1] = F_GETOWN_EX,
            _ => {}
        },
        nr::PRCTL => match low(args[0]) as i32 {
            libc::PR_SET_DUMPABLE => args[1] = 0,
            PR_SCHED_CORE => args[0] = libc::PR_GET_DUMPABLE as u64,
            _ => {}
        },
        nr::MADVISE => {
            if matches!(low(args[2]) as i32, MADV_HWPOISON | MADV_SOFT_OFFLINE) {
                args[2] = libc::MADV_NORMAL as u64;
            }
        }
        _ => {}
    }
}

/// `fcntl` command that sets the owner (a pid or process group) from a structure.
const F_SETOWN_EX: i32 = 15;
/// Its read-only counterpart.
const F_GETOWN_EX: u64 = 16;
/// `prctl(PR_SCHED_CORE, ...)`: shares core-scheduling cookies with other pids.
const PR_SCHED_CORE: i32 = 62;
/// `madvise` advice that poisons the page for the whole machine.
const MADV_HWPOISON: i32 = 100;
/// `madvise` advice that takes the page's frame out of service.
const MADV_SOFT_OFFLINE: i32 = 101;

#[cfg(test)]
mod tests {
    use super::*;
    use basalt_linux_abi::SYSCALL_NAMES;

    fn number_of(name: &str) -> usize {
        SYSCALL_NAMES
            .iter()
            .position(|candidate| *candidate == name)
            .unwrap_or_else(|| panic!("no system call named {name}"))
    }

    fn roles_of(name: &str) -> [Role; 6] {
        match rule(number_of(name)) {
            Rule::Issue(shape) => *shape.roles(),
            Rule::Deny(reason) => panic!("{name} is denied: {reason}"),
        }
    }

    #[test]
    fn machine_wide_and_fatal_calls_are_denied() {
        let denied = [
            "reboot",
            "kexec_load",
            "kexec_file_load",
            "exit",
            "exit_group",
            "vfork",
            "clone",
            "clone3",
            "mount",
            "umount2",
            "swapon",
            "swapoff",
            "chroot",
            "pivot_root",
            "settimeofday",
            "clock_settime",
            "clock_adjtime",
            "adjtimex",
            "sethostname",
            "setdomainname",
            "init_module",
            "finit_module",
            "delete_module",
            "iopl",
            "ioperm",
            "acct",
            "quotactl",
            "quotactl_fd",
            "bpf",
            "perf_event_open",
            "userfaultfd",
            "ptrace",
            "pidfd_open",
            "pidfd_send_signal",
            "pidfd_getfd",
            "process_madvise",
            "io_uring_setup",
            "io_uring_enter",
            "shmget",
            "msgget",
            "semget",
            "mq_open",
            "mq_unlink",
            "keyctl",
            "add_key",
            "setrlimit",
            "sched_setattr",
            "syslog",
            "fanotify_init",
            "open_by_handle_at",
            "fsopen",
            "fsmount",
            "move_mount",
            "open_tree",
            "mount_setattr",
            "sync",
            "syncfs",
            "vhangup",
            "uselib",
            "file_setattr",
        ];
        for name in denied {
            match rule(number_of(name)) {
                Rule::Deny(reason) => assert!(!reason.is_empty(), "{name}"),
                Rule::Issue(_) => panic!("{name} must be denied"),
            }
        }
    }

    #[test]
    fn process_targets_are_pinned_to_the_worker() {
        assert_eq!(roles_of("kill")[0], Role::OwnPid);
        assert_eq!(roles_of("tkill")[0], Role::OwnTid);
        assert_eq!(roles_of("tgkill")[..2], [Role::OwnPid, Role::OwnTid]);
        assert_eq!(roles_of("rt_sigqueueinfo")[0], Role::OwnPid);
        assert_eq!(
            roles_of("rt_tgsigqueueinfo")[..2],
            [Role::OwnPid, Role::OwnTid]
        );
        assert_eq!(roles_of("process_vm_writev")[0], Role::OwnPid);
        assert_eq!(roles_of("kcmp")[..2], [Role::OwnPid, Role::OwnPid]);
        for name in [
            "sched_setaffinity",
            "sched_setparam",
            "sched_setscheduler",
            "prlimit64",
        ] {
            assert_eq!(roles_of(name)[0], Role::OneOf(ZERO), "{name}");
        }
        assert_eq!(roles_of("prlimit64")[2], Role::OneOf(ZERO));
    }

    #[test]
    fn fallocate_reserves_little_or_fails() {
        let roles = roles_of("fallocate");
        let (Role::OneOf(offsets), Role::OneOf(lengths)) = (roles[2], roles[3]) else {
            panic!("fallocate not pinned: {roles:?}");
        };
        for &offset in offsets {
            for &length in lengths {
                let (offset, length) = (offset as i64, length as i64);
                let fails = offset < 0 || length <= 0;
                assert!(fails || offset + length <= 1 << 17, "{offset} + {length}");
            }
        }
    }

    #[test]
    fn every_file_name_argument_is_confined() {
        // (name, indexes of file-name arguments), listed from the man pages independently of `rule`.
        let path_arguments: &[(&str, &[usize])] = &[
            ("open", &[0]),
            ("stat", &[0]),
            ("lstat", &[0]),
            ("access", &[0]),
            ("truncate", &[0]),
            ("chdir", &[0]),
            ("rename", &[0, 1]),
            ("mkdir", &[0]),
            ("rmdir", &[0]),
            ("creat", &[0]),
            ("link", &[0, 1]),
            ("unlink", &[0]),
            ("symlink", &[0, 1]),
            ("readlink", &[0]),
            ("chmod", &[0]),
            ("chown", &[0]),
            ("lchown", &[0]),
            ("utime", &[0]),
            ("mknod", &[0]),
            ("statfs", &[0]),
            ("setxattr", &[0]),
            ("lsetxattr", &[0]),
            ("getxattr", &[0]),
            ("lgetxattr", &[0]),
            ("listxattr", &[0]),
            ("llistxattr", &[0]),
            ("removexattr", &[0]),
            ("lremovexattr", &[0]),
            ("utimes", &[0]),
            ("inotify_add_watch", &[1]),
            ("openat", &[1]),
            ("mkdirat", &[1]),
            ("mknodat", &[1]),
            ("fchownat", &[1]),
            ("futimesat", &[1]),
            ("newfstatat", &[1]),
            ("unlinkat", &[1]),
            ("renameat", &[1, 3]),
            ("linkat", &[1, 3]),
            ("symlinkat", &[0, 2]),
            ("readlinkat", &[1]),
            ("fchmodat", &[1]),
            ("faccessat", &[1]),
            ("utimensat", &[1]),
            ("name_to_handle_at", &[1]),
            ("renameat2", &[1, 3]),
            ("statx", &[1]),
            ("openat2", &[1]),
            ("faccessat2", &[1]),
            ("fchmodat2", &[1]),
            ("setxattrat", &[1]),
            ("getxattrat", &[1]),
            ("listxattrat", &[1]),
            ("removexattrat", &[1]),
            ("file_getattr", &[1]),
            ("execve", &[0]),
            ("execveat", &[1]),
        ];
        for (name, indexes) in path_arguments {
            let roles = roles_of(name);
            for &index in *indexes {
                assert!(
                    matches!(roles[index], Role::Path | Role::BadPointer),
                    "{name} argument {index} is {:?}",
                    roles[index]
                );
            }
        }
        assert_eq!(roles_of("execve")[0], Role::BadPointer);
        assert_eq!(roles_of("execveat")[1], Role::BadPointer);
    }

    #[test]
    fn sockets_stay_local() {
        for name in ["socket", "socketpair"] {
            let Role::OneOf(families) = roles_of(name)[0] else {
                panic!("{name} family is not pinned");
            };
            assert!(families.iter().all(|&family| family != 2
                && family != 10
                && family != 16
                && family != 17
                && family != 40));
            assert!(families.contains(&1));
        }
        assert_eq!(roles_of("bind")[1], Role::SockAddr);
        assert_eq!(roles_of("connect")[1], Role::SockAddr);
        assert_eq!(roles_of("sendto")[4], Role::SockAddr);
    }

    #[test]
    fn dangerous_ioctls_are_not_on_the_list() {
        let dangerous: &[u64] = &[
            0x5412,      // TIOCSTI
            0x540e,      // TIOCSCTTY
            0x541d,      // TIOCCONS
            0xc004_5877, // FIFREEZE
            0x8004_587d, // FS_IOC_SHUTDOWN
            0x4008_6602, // FS_IOC_SETFLAGS
            0x4008_6610, // EXT4_IOC_RESIZE_FS
            0x8914,      // SIOCSIFFLAGS
            0x8901,      // FIOSETOWN
        ];
        for command in IOCTL_COMMANDS {
            assert!(
                !dangerous.contains(&(command & 0xffff_ffff)),
                "{command:#x}"
            );
        }
    }

    #[test]
    fn real_time_scheduling_and_negative_nice_are_impossible() {
        let Role::OneOf(policies) = roles_of("sched_setscheduler")[1] else {
            panic!("policy not pinned");
        };
        // SCHED_FIFO 1, SCHED_RR 2, SCHED_DEADLINE 6, with or without SCHED_RESET_ON_FORK.
        for policy in policies {
            assert!(![1, 2, 6].contains(&(policy & !0x4000_0000 & 0xffff_ffff)));
        }
        let Role::OneOf(nice) = roles_of("setpriority")[2] else {
            panic!("nice not pinned");
        };
        assert!(nice.iter().all(|&value| (value as i32) >= 0));
    }

    #[test]
    fn unlisted_numbers_are_fuzzed_freely_and_the_range_is_closed() {
        assert_eq!(rule(nr::READ), Rule::Issue(Shape::ANY));
        assert_eq!(rule(400), Rule::Issue(Shape::ANY));
        assert_eq!(rule(SYSCALL_COUNT), Rule::Deny(OUT_OF_RANGE));
        assert_eq!(rule(usize::MAX), Rule::Deny(OUT_OF_RANGE));
        let issued = (0..SYSCALL_COUNT)
            .filter(|&number| matches!(rule(number), Rule::Issue(_)))
            .count();
        assert!(issued > 350, "only {issued} calls are issued");
    }

    #[test]
    fn shape_ignores_out_of_range_indexes() {
        assert_eq!(Shape::ANY.with(6, Role::Path), Shape::ANY);
        assert_eq!(Shape::ANY.with(5, Role::Path).roles()[5], Role::Path);
    }

    #[test]
    fn adjust_pins_owner_dumpable_and_poison() {
        let mut args = [3, libc::F_SETOWN as u64, 1, 0, 0, 0];
        adjust(nr::FCNTL, &mut args, 77);
        assert_eq!(args[2], 77);
        let mut args = [3, 0xdead_0000_0000 | F_SETOWN_EX as u64, 1, 0, 0, 0];
        adjust(nr::FCNTL, &mut args, 77);
        assert_eq!(args[1], F_GETOWN_EX);
        let mut args = [libc::PR_SET_DUMPABLE as u64, 1, 0, 0, 0, 0];
        adjust(nr::PRCTL, &mut args, 77);
        assert_eq!(args[1], 0);
        let mut args = [62, 1, 0, 0, 0, 0];
        adjust(nr::PRCTL, &mut args, 77);
        assert_eq!(args[0], libc::PR_GET_DUMPABLE as u64);
        for advice in [100u64, 101, 0x1_0000_0064] {
            let mut args = [0x1000, 0x1000, advice, 0, 0, 0];
            adjust(nr::MADVISE, &mut args, 77);
            assert_eq!(args[2], 0);
        }
        let mut args = [1, 2, 3, 4, 5, 6];
        adjust(nr::READ, &mut args, 77);
        assert_eq!(args, [1, 2, 3, 4, 5, 6]);
    }
}
