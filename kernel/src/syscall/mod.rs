//! System call dispatch: Linux numbers and argument registers in, `Result<usize, Errno>` out.
//! Unimplemented calls return `ENOSYS` and are logged once by name.
#![forbid(unsafe_code)]

mod attrs;
mod copy_range;
mod cred;
mod fdobj;
mod fs;
pub(crate) mod info;
mod mem;
pub(crate) mod mount;
pub(crate) mod path;
mod poll;
mod prctl;
mod proc;
mod reclock;
mod settings;
mod sigqueue;
mod socket;
mod socket_msg;
mod socket_opt;
mod sync;
mod timers;
mod user;
mod xfer;

use crate::arch::{idt::TrapFrame, power};
use crate::task::signal;
use basalt_linux_abi::{nr, reboot, syscall_name, Errno};
use core::sync::atomic::{AtomicU64, Ordering};

/// Arguments of one call, in Linux's register order.
#[derive(Clone, Copy, Debug)]
pub struct Args([u64; 6]);

impl Args {
    /// Arguments in register order (rdi, rsi, rdx, r10, r8, r9).
    pub fn new(args: [u64; 6]) -> Self {
        Args(args)
    }
    fn from_frame(f: &TrapFrame) -> Self {
        Args([f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r9])
    }
    fn get(&self, i: usize) -> u64 {
        self.0[i]
    }
}

/// Entry from the architecture's syscall path: run the call and put the result in rax.
pub fn handle(frame: &mut TrapFrame) {
    let number = frame.rax as usize;
    let args = Args::from_frame(frame);
    let result = match number {
        // Calls that need the caller's registers.
        nr::FORK => proc::fork(frame),
        nr::VFORK => proc::vfork(frame),
        nr::CLONE => proc::clone(
            frame,
            args.get(0),
            args.get(1),
            args.get(2),
            args.get(3),
            args.get(4),
        ),
        nr::CLONE3 => proc::clone3(frame, args.get(0), args.get(1)),
        nr::EXECVE => proc::execve(frame, args.get(0), args.get(1), args.get(2)),
        nr::EXECVEAT => proc::execveat(
            frame,
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3),
            args.get(4) as u32,
        ),
        nr::RT_SIGRETURN => crate::task::signal::sigreturn(frame),
        nr::SIGALTSTACK => crate::task::signal::sigaltstack(frame, args.get(0), args.get(1)),
        _ => dispatch(number, args),
    };
    frame.rax = match result {
        Ok(v) => v as u64,
        Err(e) => e.as_return() as u64,
    };
}

/// Run system call `number` (also used directly by the in-kernel tests).
pub fn dispatch(number: usize, args: Args) -> Result<usize, Errno> {
    match number {
        nr::READ => fs::read(args.get(0) as i32, args.get(1), args.get(2)),
        nr::WRITE => fs::write(args.get(0) as i32, args.get(1), args.get(2)),
        nr::READV => fs::readv(args.get(0) as i32, args.get(1), args.get(2)),
        nr::PREAD64 => fs::pread64(
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3) as i64,
        ),
        nr::PWRITE64 => fs::pwrite64(
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3) as i64,
        ),
        nr::WRITEV => fs::writev(args.get(0) as i32, args.get(1), args.get(2)),
        nr::CLOSE => fs::close(args.get(0) as i32),
        nr::DUP => fs::dup(args.get(0) as i32),
        nr::DUP2 => fs::dup3(args.get(0) as i32, args.get(1) as i32, 0, true),
        nr::DUP3 => fs::dup3(
            args.get(0) as i32,
            args.get(1) as i32,
            args.get(2) as u32,
            false,
        ),
        nr::PIPE => fs::pipe2(args.get(0), 0),
        nr::PIPE2 => fs::pipe2(args.get(0), args.get(1) as u32),
        nr::LSEEK => fs::lseek(args.get(0) as i32, args.get(1) as i64, args.get(2) as u32),
        nr::FSTAT => fs::fstat(args.get(0) as i32, args.get(1)),
        nr::FCNTL => fs::fcntl(args.get(0) as i32, args.get(1) as u32, args.get(2)),
        nr::IOCTL => fs::ioctl(args.get(0) as i32, args.get(1), args.get(2)),
        nr::GETPID => proc::with_current(|t| t.process.pid as usize),
        nr::GETTID => proc::with_current(|t| t.tid as usize),
        nr::GETPPID => proc::with_current(|t| t.process.ppid() as usize),
        nr::GETPGRP => proc::with_current(|t| t.process.pgid.load(Ordering::Relaxed) as usize),
        nr::EXIT => crate::task::process::sys_exit(args.get(0) as i32),
        nr::EXIT_GROUP => crate::task::process::sys_exit_group(args.get(0) as i32),
        nr::WAITID => proc::waitid(
            args.get(0) as u32,
            args.get(1),
            args.get(2),
            args.get(3) as u32,
            args.get(4),
        ),
        nr::WAIT4 => proc::wait4(
            args.get(0) as i32,
            args.get(1),
            args.get(2) as u32,
            args.get(3),
        ),
        nr::SET_TID_ADDRESS => proc::set_tid_address(args.get(0)),
        nr::ARCH_PRCTL => proc::arch_prctl(args.get(0), args.get(1)),
        nr::PRCTL => prctl::prctl(
            args.get(0),
            args.get(1),
            args.get(2),
            args.get(3),
            args.get(4),
        ),
        nr::SCHED_YIELD => {
            crate::task::sched::yield_now();
            Ok(0)
        }
        nr::NANOSLEEP => proc::nanosleep(args.get(0), args.get(1)),
        nr::CLOCK_NANOSLEEP => info::clock_nanosleep(
            args.get(0) as u32,
            args.get(1) as u32,
            args.get(2),
            args.get(3),
        ),
        nr::FUTEX => crate::task::futex::sys_futex(
            args.get(0),
            args.get(1) as u32,
            args.get(2) as u32,
            args.get(3),
            args.get(4),
            args.get(5) as u32,
        ),
        nr::SET_ROBUST_LIST => proc::set_robust_list(args.get(0), args.get(1)),
        nr::GET_ROBUST_LIST => proc::get_robust_list(args.get(0) as i32, args.get(1), args.get(2)),
        nr::RT_SIGACTION => {
            signal::rt_sigaction(args.get(0), args.get(1), args.get(2), args.get(3))
        }
        nr::RT_SIGPROCMASK => {
            signal::rt_sigprocmask(args.get(0), args.get(1), args.get(2), args.get(3))
        }
        nr::RT_SIGPENDING => signal::rt_sigpending(args.get(0), args.get(1)),
        nr::RT_SIGSUSPEND => signal::rt_sigsuspend(args.get(0), args.get(1)),
        nr::RT_SIGTIMEDWAIT => {
            signal::rt_sigtimedwait(args.get(0), args.get(1), args.get(2), args.get(3))
        }
        nr::PAUSE => signal::pause(),
        nr::KILL => signal::kill(args.get(0) as i32, args.get(1)),
        nr::RT_SIGQUEUEINFO => {
            sigqueue::rt_sigqueueinfo(args.get(0) as i32, args.get(1), args.get(2))
        }
        nr::RT_TGSIGQUEUEINFO => sigqueue::rt_tgsigqueueinfo(
            args.get(0) as i32,
            args.get(1) as i32,
            args.get(2),
            args.get(3),
        ),
        nr::TKILL => signal::tgkill(-1, args.get(0) as i32, args.get(1)),
        nr::TGKILL => signal::tgkill(args.get(0) as i32, args.get(1) as i32, args.get(2)),
        nr::ALARM => timers::alarm(args.get(0) as u32),
        nr::SETITIMER => timers::setitimer(args.get(0), args.get(1), args.get(2)),
        nr::GETITIMER => timers::getitimer(args.get(0), args.get(1)),
        nr::MMAP => mem::mmap(
            args.get(0),
            args.get(1),
            args.get(2),
            args.get(3),
            args.get(4) as i32,
            args.get(5),
        ),
        nr::MUNMAP => mem::munmap(args.get(0), args.get(1)),
        nr::MPROTECT => mem::mprotect(args.get(0), args.get(1), args.get(2)),
        nr::BRK => mem::brk(args.get(0)),
        nr::MREMAP => mem::mremap(
            args.get(0),
            args.get(1),
            args.get(2),
            args.get(3),
            args.get(4),
        ),
        nr::MSYNC => mem::msync(args.get(0), args.get(1), args.get(2)),
        nr::MADVISE => mem::madvise(args.get(0), args.get(1), args.get(2) as u32),
        nr::OPEN => path::openat(
            path::AT_FDCWD,
            args.get(0),
            args.get(1) as u32,
            args.get(2) as u32,
        ),
        nr::OPENAT => path::openat(
            args.get(0) as i32,
            args.get(1),
            args.get(2) as u32,
            args.get(3) as u32,
        ),
        nr::CREAT => path::openat(path::AT_FDCWD, args.get(0), 0o1101, args.get(1) as u32),
        nr::STAT => path::newfstatat(path::AT_FDCWD, args.get(0), args.get(1), 0),
        nr::LSTAT => path::newfstatat(path::AT_FDCWD, args.get(0), args.get(1), 0x100),
        nr::NEWFSTATAT => path::newfstatat(
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3) as u32,
        ),
        nr::GETDENTS64 => path::getdents64(args.get(0) as i32, args.get(1), args.get(2)),
        nr::GETCWD => path::getcwd(args.get(0), args.get(1)),
        nr::CHROOT => path::chroot(args.get(0)),
        nr::MKNOD => path::mknodat(path::AT_FDCWD, args.get(0), args.get(1) as u32, args.get(2)),
        nr::MKNODAT => path::mknodat(
            args.get(0) as i32,
            args.get(1),
            args.get(2) as u32,
            args.get(3),
        ),
        nr::MOUNT => mount::mount(
            args.get(0),
            args.get(1),
            args.get(2),
            args.get(3),
            args.get(4),
        ),
        nr::UMOUNT2 => mount::umount2(args.get(0), args.get(1) as u32),
        nr::STATFS => mount::statfs(args.get(0), args.get(1)),
        nr::FSTATFS => mount::fstatfs(args.get(0) as i32, args.get(1)),
        nr::CHDIR => path::chdir(args.get(0)),
        nr::FCHDIR => path::fchdir(args.get(0) as i32),
        nr::MKDIR => path::mkdirat(path::AT_FDCWD, args.get(0), args.get(1) as u32),
        nr::MKDIRAT => path::mkdirat(args.get(0) as i32, args.get(1), args.get(2) as u32),
        nr::UNLINK => path::unlinkat(path::AT_FDCWD, args.get(0), 0),
        nr::RMDIR => path::unlinkat(path::AT_FDCWD, args.get(0), 0x200),
        nr::UNLINKAT => path::unlinkat(args.get(0) as i32, args.get(1), args.get(2) as u32),
        nr::RENAME => path::renameat2(path::AT_FDCWD, args.get(0), path::AT_FDCWD, args.get(1), 0),
        nr::RENAMEAT => path::renameat2(
            args.get(0) as i32,
            args.get(1),
            args.get(2) as i32,
            args.get(3),
            0,
        ),
        nr::RENAMEAT2 => path::renameat2(
            args.get(0) as i32,
            args.get(1),
            args.get(2) as i32,
            args.get(3),
            args.get(4) as u32,
        ),
        nr::READLINK => path::readlinkat(path::AT_FDCWD, args.get(0), args.get(1), args.get(2)),
        nr::READLINKAT => {
            path::readlinkat(args.get(0) as i32, args.get(1), args.get(2), args.get(3))
        }
        nr::SYMLINK => path::symlinkat(args.get(0), path::AT_FDCWD, args.get(1)),
        nr::SYMLINKAT => path::symlinkat(args.get(0), args.get(1) as i32, args.get(2)),
        nr::LINK => path::linkat(path::AT_FDCWD, args.get(0), path::AT_FDCWD, args.get(1), 0),
        nr::LINKAT => path::linkat(
            args.get(0) as i32,
            args.get(1),
            args.get(2) as i32,
            args.get(3),
            args.get(4) as u32,
        ),
        nr::ACCESS => path::faccessat(path::AT_FDCWD, args.get(0), args.get(1) as u32, 0),
        nr::FACCESSAT => path::faccessat(args.get(0) as i32, args.get(1), args.get(2) as u32, 0),
        nr::FACCESSAT2 => path::faccessat(
            args.get(0) as i32,
            args.get(1),
            args.get(2) as u32,
            args.get(3) as u32,
        ),
        nr::UMASK => path::set_umask(args.get(0) as u32),
        nr::CHMOD => path::fchmodat(path::AT_FDCWD, args.get(0), args.get(1) as u32),
        nr::FCHMODAT => path::fchmodat(args.get(0) as i32, args.get(1), args.get(2) as u32),
        nr::FCHMOD => path::fchmod(args.get(0) as i32, args.get(1) as u32),
        nr::CHOWN => path::fchownat(
            path::AT_FDCWD,
            args.get(0),
            args.get(1) as u32,
            args.get(2) as u32,
            0,
        ),
        nr::LCHOWN => path::fchownat(
            path::AT_FDCWD,
            args.get(0),
            args.get(1) as u32,
            args.get(2) as u32,
            0x100,
        ),
        nr::FCHOWN => path::fchown(args.get(0) as i32, args.get(1) as u32, args.get(2) as u32),
        nr::FCHOWNAT => path::fchownat(
            args.get(0) as i32,
            args.get(1),
            args.get(2) as u32,
            args.get(3) as u32,
            args.get(4) as u32,
        ),
        nr::FTRUNCATE => path::ftruncate(args.get(0) as i32, args.get(1) as i64),
        nr::TRUNCATE => path::truncate(args.get(0), args.get(1) as i64),
        nr::EVENTFD => fdobj::eventfd2(args.get(0) as u32, 0),
        nr::EVENTFD2 => fdobj::eventfd2(args.get(0) as u32, args.get(1) as u32),
        nr::EPOLL_CREATE => fdobj::epoll_create(args.get(0) as i32),
        nr::EPOLL_CREATE1 => fdobj::epoll_create1(args.get(0) as u32),
        nr::EPOLL_CTL => fdobj::epoll_ctl(
            args.get(0) as i32,
            args.get(1) as u32,
            args.get(2) as i32,
            args.get(3),
        ),
        nr::EPOLL_WAIT => fdobj::epoll_wait(
            args.get(0) as i32,
            args.get(1),
            args.get(2) as i32,
            args.get(3) as i32,
        ),
        nr::EPOLL_PWAIT => fdobj::epoll_pwait(
            args.get(0) as i32,
            args.get(1),
            args.get(2) as i32,
            args.get(3) as i32,
            args.get(4),
            args.get(5),
        ),
        nr::EPOLL_PWAIT2 => fdobj::epoll_pwait2(
            args.get(0) as i32,
            args.get(1),
            args.get(2) as i32,
            args.get(3),
            args.get(4),
            args.get(5),
        ),
        nr::TIMERFD_CREATE => fdobj::timerfd_create(args.get(0) as u32, args.get(1) as u32),
        nr::TIMERFD_SETTIME => fdobj::timerfd_settime(
            args.get(0) as i32,
            args.get(1) as u32,
            args.get(2),
            args.get(3),
        ),
        nr::TIMERFD_GETTIME => fdobj::timerfd_gettime(args.get(0) as i32, args.get(1)),
        nr::SIGNALFD => fdobj::signalfd4(args.get(0) as i32, args.get(1), args.get(2), 0),
        nr::SIGNALFD4 => fdobj::signalfd4(
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3) as u32,
        ),
        nr::STATX => attrs::statx(
            args.get(0) as i32,
            args.get(1),
            args.get(2) as u32,
            args.get(3) as u32,
            args.get(4),
        ),
        nr::UTIMENSAT => attrs::utimensat(
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3) as u32,
        ),
        nr::FUTIMESAT => attrs::futimesat(args.get(0) as i32, args.get(1), args.get(2)),
        nr::UTIMES => attrs::futimesat(path::AT_FDCWD, args.get(0), args.get(1)),
        nr::UTIME => attrs::utime(args.get(0), args.get(1)),
        nr::PREADV => xfer::preadv(
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3) as i64,
        ),
        nr::PWRITEV => xfer::pwritev(
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3) as i64,
        ),
        nr::PREADV2 => xfer::preadv2(
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3) as i64,
            args.get(5) as u32,
        ),
        nr::PWRITEV2 => xfer::pwritev2(
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3) as i64,
            args.get(5) as u32,
        ),
        nr::SENDFILE => xfer::sendfile(
            args.get(0) as i32,
            args.get(1) as i32,
            args.get(2),
            args.get(3),
        ),
        nr::COPY_FILE_RANGE => copy_range::copy_file_range(
            args.get(0) as i32,
            args.get(1),
            args.get(2) as i32,
            args.get(3),
            args.get(4),
            args.get(5) as u32,
        ),
        nr::FALLOCATE => xfer::fallocate(
            args.get(0) as i32,
            args.get(1) as u32,
            args.get(2) as i64,
            args.get(3) as i64,
        ),
        nr::MEMFD_CREATE => fdobj::memfd_create(args.get(0), args.get(1) as u32),
        nr::FLOCK => sync::flock(args.get(0) as i32, args.get(1) as u32),
        nr::FSYNC | nr::FDATASYNC => sync::fsync(args.get(0) as i32),
        nr::SYNC => sync::sync(),
        nr::SYNCFS => sync::syncfs(args.get(0) as i32),
        nr::READAHEAD => sync::readahead(args.get(0) as i32),
        nr::CLOSE_RANGE => {
            fdobj::close_range(args.get(0) as u32, args.get(1) as u32, args.get(2) as u32)
        }
        nr::POLL => poll::sys_poll(args.get(0), args.get(1), args.get(2) as i32),
        nr::SELECT => poll::sys_select(
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3),
            args.get(4),
        ),
        nr::PSELECT6 => poll::sys_pselect6(
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3),
            args.get(4),
            args.get(5),
        ),
        nr::PPOLL => poll::sys_ppoll(
            args.get(0),
            args.get(1),
            args.get(2),
            args.get(3),
            args.get(4),
        ),
        nr::SETPGID => proc::setpgid(args.get(0) as i32, args.get(1) as i32),
        nr::GETPGID => proc::getpgid(args.get(0) as i32),
        nr::GETSID => proc::getsid(args.get(0) as i32),
        nr::SETSID => proc::setsid(),
        nr::SCHED_GETSCHEDULER => info::sched_getscheduler(args.get(0) as i32),
        nr::SCHED_GETPARAM => info::sched_getparam(args.get(0) as i32, args.get(1)),
        nr::SCHED_GET_PRIORITY_MAX => info::sched_priority_range(args.get(0) as u32, true),
        nr::SCHED_GET_PRIORITY_MIN => info::sched_priority_range(args.get(0) as u32, false),
        nr::UNAME => info::uname(args.get(0)),
        nr::SETHOSTNAME => settings::sethostname(args.get(0), args.get(1) as i32),
        nr::SETDOMAINNAME => settings::setdomainname(args.get(0), args.get(1) as i32),
        nr::CLOCK_SETTIME => settings::clock_settime(args.get(0) as i32, args.get(1)),
        nr::SETTIMEOFDAY => settings::settimeofday(args.get(0), args.get(1)),
        nr::SYSINFO => info::sysinfo(args.get(0)),
        nr::GETRANDOM => info::getrandom(args.get(0), args.get(1), args.get(2) as u32),
        nr::CLOCK_GETTIME => info::clock_gettime(args.get(0) as u32, args.get(1)),
        nr::CLOCK_GETRES => info::clock_getres(args.get(0) as u32, args.get(1)),
        nr::GETTIMEOFDAY => info::gettimeofday(args.get(0), args.get(1)),
        nr::TIME => info::time(args.get(0)),
        nr::SCHED_GETAFFINITY => {
            info::sched_getaffinity(args.get(0) as i32, args.get(1), args.get(2))
        }
        nr::SCHED_SETAFFINITY => {
            info::sched_setaffinity(args.get(0) as i32, args.get(1), args.get(2))
        }
        nr::GETCPU => info::getcpu(args.get(0), args.get(1)),
        nr::GETPRIORITY => info::getpriority(args.get(0) as i32, args.get(1) as i32),
        nr::SETPRIORITY => {
            info::setpriority(args.get(0) as i32, args.get(1) as i32, args.get(2) as i32)
        }
        nr::PRLIMIT64 => info::prlimit64(
            args.get(0) as i32,
            args.get(1) as u32,
            args.get(2),
            args.get(3),
        ),
        nr::GETRLIMIT => info::getrlimit(args.get(0) as u32, args.get(1)),
        nr::SETRLIMIT => info::setrlimit(args.get(0) as u32, args.get(1)),
        nr::GETRUSAGE => info::getrusage(args.get(0) as i32, args.get(1)),
        nr::TIMES => info::times(args.get(0)),
        nr::GETUID => cred::get_id(|c| c.uid),
        nr::GETEUID => cred::get_id(|c| c.euid),
        nr::GETGID => cred::get_id(|c| c.gid),
        nr::GETEGID => cred::get_id(|c| c.egid),
        nr::GETRESUID => cred::get_res(
            |c| [c.uid, c.euid, c.suid],
            [args.get(0), args.get(1), args.get(2)],
        ),
        nr::GETRESGID => cred::get_res(
            |c| [c.gid, c.egid, c.sgid],
            [args.get(0), args.get(1), args.get(2)],
        ),
        nr::SETUID => cred::set_ids(|c| c.setuid(args.get(0) as u32)),
        nr::SETGID => cred::set_ids(|c| c.setgid(args.get(0) as u32)),
        nr::SETREUID => cred::set_ids(|c| c.setreuid(args.get(0) as u32, args.get(1) as u32)),
        nr::SETREGID => cred::set_ids(|c| c.setregid(args.get(0) as u32, args.get(1) as u32)),
        nr::SETRESUID => cred::set_ids(|c| {
            c.setresuid(args.get(0) as u32, args.get(1) as u32, args.get(2) as u32)
        }),
        nr::SETRESGID => cred::set_ids(|c| {
            c.setresgid(args.get(0) as u32, args.get(1) as u32, args.get(2) as u32)
        }),
        nr::SETFSUID => cred::set_fs_id(|c| c.setfsuid(args.get(0) as u32)),
        nr::SETFSGID => cred::set_fs_id(|c| c.setfsgid(args.get(0) as u32)),
        nr::GETGROUPS => cred::getgroups(args.get(0) as i32, args.get(1)),
        nr::SETGROUPS => cred::setgroups(args.get(0) as i32, args.get(1)),
        nr::SOCKET => socket::socket(args.get(0) as i32, args.get(1) as i32, args.get(2) as i32),
        nr::SOCKETPAIR => socket::socketpair(
            args.get(0) as i32,
            args.get(1) as i32,
            args.get(2) as i32,
            args.get(3),
        ),
        nr::BIND => socket::bind(args.get(0) as i32, args.get(1), args.get(2)),
        nr::LISTEN => socket::listen(args.get(0) as i32, args.get(1) as i32),
        nr::ACCEPT => socket::accept4(args.get(0) as i32, args.get(1), args.get(2), 0),
        nr::ACCEPT4 => socket::accept4(
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3) as i32,
        ),
        nr::CONNECT => socket::connect(args.get(0) as i32, args.get(1), args.get(2)),
        nr::GETSOCKNAME => socket::getsockname(args.get(0) as i32, args.get(1), args.get(2)),
        nr::GETPEERNAME => socket::getpeername(args.get(0) as i32, args.get(1), args.get(2)),
        nr::SHUTDOWN => socket::shutdown(args.get(0) as i32, args.get(1) as i32),
        nr::SENDTO => socket::sendto(
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3) as u32,
            args.get(4),
            args.get(5),
        ),
        nr::RECVFROM => socket::recvfrom(
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3) as u32,
            args.get(4),
            args.get(5),
        ),
        nr::SENDMSG => socket::sendmsg(args.get(0) as i32, args.get(1), args.get(2) as u32),
        nr::RECVMSG => socket::recvmsg(args.get(0) as i32, args.get(1), args.get(2) as u32),
        nr::SENDMMSG => socket::sendmmsg(
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3) as u32,
        ),
        nr::RECVMMSG => socket::recvmmsg(
            args.get(0) as i32,
            args.get(1),
            args.get(2),
            args.get(3) as u32,
            args.get(4),
        ),
        nr::SETSOCKOPT => socket::setsockopt(
            args.get(0) as i32,
            args.get(1) as i32,
            args.get(2) as i32,
            args.get(3),
            args.get(4),
        ),
        nr::GETSOCKOPT => socket::getsockopt(
            args.get(0) as i32,
            args.get(1) as i32,
            args.get(2) as i32,
            args.get(3),
            args.get(4),
        ),
        nr::REBOOT => sys_reboot(args.get(0) as u32, args.get(1) as u32, args.get(2) as u32),
        _ => {
            not_implemented(number);
            Err(Errno::ENOSYS)
        }
    }
}

/// One bit per syscall number already reported.
static REPORTED: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];

fn not_implemented(number: usize) {
    let (word, bit) = (number / 64, number % 64);
    let first = match REPORTED.get(word) {
        Some(w) => w.fetch_or(1 << bit, Ordering::Relaxed) & (1 << bit) == 0,
        None => true,
    };
    if first {
        match syscall_name(number) {
            Some(name) => log::warn!("syscall {name} ({number}) not implemented: ENOSYS"),
            None => log::warn!("unknown syscall {number}: ENOSYS"),
        }
    }
}

fn sys_reboot(magic1: u32, magic2: u32, cmd: u32) -> Result<usize, Errno> {
    if magic1 != reboot::MAGIC1 || !reboot::MAGIC2.contains(&magic2) {
        return Err(Errno::EINVAL);
    }
    match cmd {
        reboot::CMD_CAD_ON | reboot::CMD_CAD_OFF => Ok(0),
        reboot::CMD_POWER_OFF => {
            log::info!("reboot: Power down");
            power::power_off();
            log::error!("reboot: power off failed; System halted");
            crate::arch::cpu::halt_forever()
        }
        reboot::CMD_RESTART | reboot::CMD_RESTART2 => {
            log::info!("reboot: Restarting system");
            power::reset()
        }
        reboot::CMD_HALT => {
            log::info!("reboot: System halted");
            crate::arch::cpu::halt_forever()
        }
        _ => Err(Errno::EINVAL),
    }
}
