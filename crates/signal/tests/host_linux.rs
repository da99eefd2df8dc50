//! The running Linux kernel (and glibc's headers via the libc crate) as the
//! oracle: layouts, constants, and the behaviour of rt_sigaction,
//! rt_sigprocmask, sigaltstack, setitimer, wait statuses and real signal frames.
//! This test crate talks to the host through libc, so it needs `unsafe`; the
//! library itself forbids it.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use std::mem::{offset_of, size_of, zeroed};
use std::ptr::{addr_of, addr_of_mut};

use basalt_signal::*;

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap()
}

/// A raw system call's result as Linux returns it: value or -errno.
fn raw(result: libc::c_long) -> i64 {
    if result < 0 {
        -i64::from(errno())
    } else {
        result
    }
}

#[test]
fn layouts_and_constants_match_glibc() {
    assert_eq!(size_of::<libc::siginfo_t>(), SIGINFO_SIZE);
    assert_eq!(size_of::<libc::stack_t>(), STACK_T_SIZE);
    assert_eq!(offset_of!(libc::stack_t, ss_flags), 8);
    assert_eq!(offset_of!(libc::stack_t, ss_size), 16);
    assert_eq!(
        offset_of!(libc::ucontext_t, uc_flags),
        offsets::UC_FLAGS - offsets::UCONTEXT
    );
    assert_eq!(
        offset_of!(libc::ucontext_t, uc_link),
        offsets::UC_LINK - offsets::UCONTEXT
    );
    assert_eq!(
        offset_of!(libc::ucontext_t, uc_stack),
        offsets::UC_STACK - offsets::UCONTEXT
    );
    assert_eq!(
        offset_of!(libc::ucontext_t, uc_mcontext),
        offsets::UC_MCONTEXT - offsets::UCONTEXT
    );
    assert_eq!(
        offset_of!(libc::ucontext_t, uc_sigmask),
        offsets::UC_SIGMASK - offsets::UCONTEXT
    );
    assert_eq!(size_of::<libc::itimerval>(), ITIMERVAL_SIZE);
    assert_eq!(offset_of!(libc::itimerval, it_value), 16);
    assert_eq!(size_of::<libc::timeval>(), TIMEVAL_SIZE);
    // glibc's gregs[] indices are the sigcontext layout in 8-byte words.
    let order = [
        libc::REG_R8,
        libc::REG_R9,
        libc::REG_R10,
        libc::REG_R11,
        libc::REG_R12,
        libc::REG_R13,
        libc::REG_R14,
        libc::REG_R15,
        libc::REG_RDI,
        libc::REG_RSI,
        libc::REG_RBP,
        libc::REG_RBX,
        libc::REG_RDX,
        libc::REG_RAX,
        libc::REG_RCX,
        libc::REG_RSP,
        libc::REG_RIP,
        libc::REG_EFL,
    ];
    assert_eq!(order, core::array::from_fn(|i| i as i32));
    assert_eq!(libc::REG_CSGSFS as usize * 8, offsets::SC_CS);
    assert_eq!(libc::REG_ERR as usize * 8, offsets::SC_ERR);
    assert_eq!(libc::REG_TRAPNO as usize * 8, offsets::SC_TRAPNO);
    assert_eq!(libc::REG_OLDMASK as usize * 8, offsets::SC_OLDMASK);
    assert_eq!(libc::REG_CR2 as usize * 8, offsets::SC_CR2);
    assert_eq!(offset_of!(libc::mcontext_t, fpregs), offsets::SC_FPSTATE);
    assert_eq!(size_of::<libc::mcontext_t>(), 256);

    let sa = [
        (libc::SA_NOCLDSTOP, flags::SA_NOCLDSTOP),
        (libc::SA_NOCLDWAIT, flags::SA_NOCLDWAIT),
        (libc::SA_SIGINFO, flags::SA_SIGINFO),
        (libc::SA_ONSTACK, flags::SA_ONSTACK),
        (libc::SA_RESTART, flags::SA_RESTART),
        (libc::SA_NODEFER, flags::SA_NODEFER),
        (libc::SA_RESETHAND, flags::SA_RESETHAND),
    ];
    for (theirs, ours) in sa {
        assert_eq!(theirs as u32 as u64, ours);
    }
    assert_eq!(
        (libc::SS_ONSTACK, libc::SS_DISABLE),
        (SS_ONSTACK, SS_DISABLE)
    );
    assert_eq!(
        (libc::SIG_BLOCK, libc::SIG_UNBLOCK, libc::SIG_SETMASK),
        (SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK)
    );
    assert_eq!(
        (libc::ITIMER_REAL, libc::ITIMER_VIRTUAL, libc::ITIMER_PROF),
        (ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF)
    );
    assert_eq!(
        [
            libc::CLD_EXITED,
            libc::CLD_KILLED,
            libc::CLD_DUMPED,
            libc::CLD_TRAPPED,
            libc::CLD_STOPPED,
            libc::CLD_CONTINUED
        ],
        [
            code::CLD_EXITED,
            code::CLD_KILLED,
            code::CLD_DUMPED,
            code::CLD_TRAPPED,
            code::CLD_STOPPED,
            code::CLD_CONTINUED
        ]
    );
    let numbers = [
        libc::SIGHUP,
        libc::SIGINT,
        libc::SIGQUIT,
        libc::SIGILL,
        libc::SIGTRAP,
        libc::SIGABRT,
        libc::SIGBUS,
        libc::SIGFPE,
        libc::SIGKILL,
        libc::SIGUSR1,
        libc::SIGSEGV,
        libc::SIGUSR2,
        libc::SIGPIPE,
        libc::SIGALRM,
        libc::SIGTERM,
        libc::SIGSTKFLT,
        libc::SIGCHLD,
        libc::SIGCONT,
        libc::SIGSTOP,
        libc::SIGTSTP,
        libc::SIGTTIN,
        libc::SIGTTOU,
        libc::SIGURG,
        libc::SIGXCPU,
        libc::SIGXFSZ,
        libc::SIGVTALRM,
        libc::SIGPROF,
        libc::SIGWINCH,
        libc::SIGIO,
        libc::SIGPWR,
        libc::SIGSYS,
    ];
    assert_eq!(numbers, core::array::from_fn(|i| i as i32 + 1));
    assert_eq!(libc::SIGRTMIN(), SIGRTMIN_LIBC.number() as i32);
    assert_eq!(libc::SIGRTMAX(), SIGRTMAX.number() as i32);
}

/// Reads our encodings through glibc's siginfo accessors.
#[test]
fn siginfo_fields_read_back_through_glibc() {
    let view = |info: &SigInfo| -> libc::siginfo_t {
        let bytes = info.to_user_bytes();
        // SAFETY: siginfo_t is 128 bytes of plain data.
        unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast()) }
    };
    let child = view(&SigInfo::child(code::CLD_EXITED, 4321, 1000, 42, 7, 9));
    // SAFETY: the accessors read the union as the code says.
    unsafe {
        assert_eq!((child.si_signo, child.si_code), (17, code::CLD_EXITED));
        assert_eq!(
            (child.si_pid(), child.si_uid(), child.si_status()),
            (4321, 1000, 42)
        );
        assert_eq!((child.si_utime(), child.si_stime()), (7, 9));
    }
    let queued = view(&SigInfo::queue(SIGRTMIN, 11, 12, 0xabcdef));
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            (
                queued.si_pid(),
                queued.si_uid(),
                queued.si_value().sival_ptr as u64
            ),
            (11, 12, 0xabcdef)
        );
    }
    let fault = view(&SigInfo::fault(SIGSEGV, code::SEGV_MAPERR, 0x1234_5678));
    // SAFETY: as above.
    unsafe {
        assert_eq!((fault.si_code, fault.si_addr() as u64), (1, 0x1234_5678));
    }
}

fn rt_sigaction_raw(sig: i32, new: Option<&[u8; 32]>, old: &mut [u8; 32], size: usize) -> i64 {
    let new_ptr = new.map_or(std::ptr::null(), |bytes| bytes.as_ptr());
    // SAFETY: pointers to 32-byte buffers or null; the signal is never raised
    // while a fake handler is installed.
    raw(unsafe { libc::syscall(libc::SYS_rt_sigaction, sig, new_ptr, old.as_mut_ptr(), size) })
}

#[test]
fn rt_sigaction_matches_kernel() {
    const SIG: i32 = 45; // a real-time signal nothing in this process uses
    let mut rng = XorShift(0x5eed_0001);
    let mut ours = SigHandlers::new();
    let mut old = [0u8; 32];
    for _ in 0..300 {
        let any = rng.next() | 2;
        let handler = rng.pick(&[0u64, 1, 0x40_1000, any]);
        let action = SigAction {
            handler: Handler::from_raw(handler),
            flags: rng.next() & rng.next(),
            restorer: rng.next(),
            mask: SigSet(rng.next()),
        };
        let bytes = action.to_user_bytes();
        let sig = rng.pick(&[SIG, SIG, SIG, 0, 65, 9, 19, -1]);
        let size = rng.pick(&[8usize, 8, 8, 4, 16]);
        let kernel = rt_sigaction_raw(sig, Some(&bytes), &mut old, size);
        let model = ours.rt_sigaction(sig as u32 as u64, Some(action), size as u64);
        match model {
            Ok(change) => {
                assert_eq!(kernel, 0);
                assert_eq!(SigAction::from_user_bytes(&old), change.old);
            }
            Err(err) => assert_eq!(kernel, -i64::from(err.errno().0), "{err}"),
        }
        let mut now = [0u8; 32];
        assert_eq!(rt_sigaction_raw(SIG, None, &mut now, 8), 0);
        assert_eq!(
            SigAction::from_user_bytes(&now),
            *ours.get(Signal::new(SIG as u32).unwrap())
        );
    }
    rt_sigaction_raw(SIG, Some(&SigAction::DEFAULT.to_user_bytes()), &mut old, 8);
    // Reading SIGKILL's action is allowed.
    assert_eq!(rt_sigaction_raw(9, None, &mut old, 8), 0);
}

#[test]
fn rt_sigprocmask_matches_kernel() {
    // SAFETY: 8-byte buffers; only this test thread's mask changes.
    let call = |how: u64, set: Option<u64>, size: usize| -> (i64, u64) {
        let set_ptr = set.as_ref().map_or(std::ptr::null(), |s| s as *const u64);
        let mut old = 0u64;
        let r = raw(unsafe {
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                how,
                set_ptr,
                &mut old as *mut u64,
                size,
            )
        });
        (r, old)
    };
    let saved = call(0, None, 8).1;
    let mut rng = XorShift(0x5eed_0002);
    let mut model = SigSet(saved);
    for _ in 0..2000 {
        // Never block the signals a test failure would need (SEGV etc. are forced anyway).
        let set = rng.next() & rng.next() & !(SigSet::SYNCHRONOUS.0);
        let how = rng.pick(&[0u64, 1, 2, 3, 0xffff_ffff, 1 << 32]);
        let has_set = !rng.next().is_multiple_of(5);
        let size = rng.pick(&[8usize, 8, 8, 8, 0, 16]);
        let (kernel, old) = call(how, has_set.then_some(set), size);
        match rt_sigprocmask(model, how, has_set.then_some(SigSet(set)), size as u64) {
            Ok(new) => {
                assert_eq!((kernel, old), (0, model.0));
                model = new;
            }
            Err(err) => assert_eq!(kernel, -i64::from(err.errno().0), "{err}"),
        }
    }
    assert_eq!(call(2, Some(saved), 8).1, model.0);
}

#[test]
fn sigaltstack_matches_kernel() {
    let buffer = vec![0u8; 1 << 17];
    let base = buffer.as_ptr() as u64;
    let here = addr_of!(buffer) as u64; // somewhere on this thread's stack
    let mut rng = XorShift(0x5eed_0003);
    // Rust's std gives each thread an alternate stack of its own: start from it.
    let mut initial = [0u8; STACK_T_SIZE];
    // SAFETY: 24-byte buffer.
    unsafe {
        libc::syscall(
            libc::SYS_sigaltstack,
            std::ptr::null::<u8>(),
            initial.as_mut_ptr(),
        )
    };
    let initial = StackT::from_user_bytes(&initial);
    let mut ours = AltStack {
        sp: initial.sp,
        size: initial.size,
        flags: initial.flags,
    };
    for _ in 0..500 {
        let new = StackT {
            sp: rng.pick(&[base, 0, base + 64]),
            flags: rng.pick(&[
                0,
                SS_ONSTACK,
                SS_DISABLE,
                3,
                4,
                SS_AUTODISARM,
                SS_AUTODISARM | SS_DISABLE,
                1 << 30,
            ]),
            size: rng.pick(&[0u64, 1, 2047, 2048, 4096, 1 << 16]),
        };
        let mut old = [0u8; STACK_T_SIZE];
        let bytes = new.to_user_bytes();
        let with_new = !rng.next().is_multiple_of(4);
        let new_ptr = if with_new {
            bytes.as_ptr()
        } else {
            std::ptr::null()
        };
        // SAFETY: 24-byte buffers; no signal handler runs on this stack.
        let kernel =
            raw(unsafe { libc::syscall(libc::SYS_sigaltstack, new_ptr, old.as_mut_ptr()) });
        match ours.sigaltstack(with_new.then_some(new), here) {
            Ok(previous) => {
                assert_eq!(kernel, 0, "{new:?}");
                assert_eq!(StackT::from_user_bytes(&old), previous);
            }
            Err(err) => assert_eq!(kernel, -i64::from(err.errno().0), "{new:?} {err}"),
        }
    }
    // SAFETY: as above.
    unsafe {
        libc::syscall(
            libc::SYS_sigaltstack,
            initial.to_user_bytes().as_ptr(),
            std::ptr::null_mut::<u8>(),
        )
    };
}

#[test]
fn setitimer_validation_matches_kernel() {
    // SAFETY: ignoring SIGALRM makes any expiry harmless; nothing else uses it.
    unsafe { libc::signal(libc::SIGALRM, libc::SIG_IGN) };
    let mut rng = XorShift(0x5eed_0004);
    for _ in 0..300 {
        let mut tv = || Timeval {
            sec: rng.pick(&[-1i64, 0, 0, 1, 100_000, i64::MAX]),
            usec: rng.pick(&[-1i64, 0, 1, 999_999, 1_000_000]),
        };
        let val = ITimerVal {
            interval: tv(),
            value: tv(),
        };
        let bytes = val.to_user_bytes();
        let mut old = [0u8; ITIMERVAL_SIZE];
        // SAFETY: 32-byte buffers.
        let kernel =
            raw(unsafe { libc::syscall(libc::SYS_setitimer, 0, bytes.as_ptr(), old.as_mut_ptr()) });
        match val.to_itimer() {
            Ok(timer) => {
                assert_eq!(kernel, 0, "{val:?}");
                let mut now = [0u8; ITIMERVAL_SIZE];
                // SAFETY: as above.
                unsafe { libc::syscall(libc::SYS_getitimer, 0, now.as_mut_ptr()) };
                let now = ITimerVal::from_user_bytes(&now);
                let mut model = RealTimer::DISARMED;
                model.set(0, timer);
                if timer.value_ns >= 1_000_000_000 {
                    // Still armed: the interval reads back as set (0 when disarmed).
                    assert_eq!(
                        now.interval,
                        model.get(0).to_itimerval().interval,
                        "{val:?}"
                    );
                } else if timer.value_ns == 0 {
                    assert_eq!(now, ITimerVal::default());
                }
            }
            Err(err) => assert_eq!(kernel, -i64::from(err.errno().0), "{val:?}"),
        }
    }
    // SAFETY: disarm.
    unsafe {
        libc::syscall(
            libc::SYS_setitimer,
            0,
            [0u8; 32].as_ptr(),
            std::ptr::null_mut::<u8>(),
        )
    };
    assert_eq!(check_which(5).unwrap_err().errno().0 as i32, {
        // SAFETY: invalid which, null pointers.
        unsafe {
            libc::syscall(
                libc::SYS_setitimer,
                5,
                std::ptr::null::<u8>(),
                std::ptr::null_mut::<u8>(),
            )
        };
        errno()
    });
}

fn fork_child(body: fn() -> !) -> libc::pid_t {
    // SAFETY: the child only calls async-signal-safe functions and _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        body();
    }
    pid
}

fn wait_status(pid: libc::pid_t, options: i32) -> i32 {
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, options) }, pid);
    status
}

#[test]
fn wait_statuses_match_kernel() {
    fn exit42() -> ! {
        // SAFETY: ends the child.
        unsafe { libc::_exit(42) }
    }
    fn sleeper() -> ! {
        loop {
            // SAFETY: waits for a signal.
            unsafe { libc::pause() };
        }
    }
    let pid = fork_child(exit42);
    assert_eq!(wait_status(pid, 0), exit_status(42));

    let pid = fork_child(exit42);
    let mut info = [0u8; SIGINFO_SIZE];
    // SAFETY: waitid into a 128-byte buffer.
    assert_eq!(
        unsafe {
            libc::waitid(
                libc::P_PID,
                pid as u32,
                info.as_mut_ptr().cast(),
                libc::WEXITED,
            )
        },
        0
    );
    // SAFETY: plain getter.
    let uid = unsafe { libc::getuid() };
    let event = ChildEvent {
        state: ChildState::Exited(42),
        pid,
        uid,
        utime_ns: 0,
        stime_ns: 0,
    };
    assert_eq!(
        info[..WAITID_INFO_BYTES],
        event.waitid_info().to_user_bytes()[..WAITID_INFO_BYTES]
    );

    let pid = fork_child(sleeper);
    // SAFETY: signals to our own child.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    assert_eq!(wait_status(pid, libc::WUNTRACED), stopped_status(SIGSTOP));
    unsafe { libc::kill(pid, libc::SIGCONT) };
    assert_eq!(wait_status(pid, libc::WCONTINUED), continued_status());
    unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(wait_status(pid, 0), signaled_status(SIGTERM, false));
}

const CAPTURE: usize = 1024;
static mut FRAME: [u8; CAPTURE] = [0; CAPTURE];
static mut UC_ADDR: u64 = 0;
static mut INFO_ADDR: u64 = 0;
static mut MASK_IN_HANDLER: u64 = 0;
static mut ALT_IN_HANDLER: [u8; STACK_T_SIZE] = [0; STACK_T_SIZE];
/// The fpstate's sw_reserved bytes, XSTATE_BV and the word after the image.
static mut FP_SW: [u8; 48] = [0; 48];
static mut FP_XSTATE_BV: u64 = 0;
static mut FP_AFTER_IMAGE: u32 = 0;

extern "C" fn capture(_sig: i32, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: runs synchronously inside raise() on the test thread; the frame
    // starts 8 bytes below the ucontext and spans at least CAPTURE bytes.
    unsafe {
        UC_ADDR = uc as u64;
        INFO_ADDR = info as u64;
        std::ptr::copy_nonoverlapping(
            (uc as *const u8).sub(8),
            addr_of_mut!(FRAME).cast::<u8>(),
            CAPTURE,
        );
        let mut mask = 0u64;
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            0,
            std::ptr::null::<u64>(),
            &mut mask as *mut u64,
            8,
        );
        MASK_IN_HANDLER = mask;
        let sc = (uc as *const u8).add(offsets::UC_MCONTEXT - offsets::UCONTEXT);
        let fp = *(sc.add(offsets::SC_FPSTATE) as *const *const u8);
        std::ptr::copy_nonoverlapping(fp.add(464), addr_of_mut!(FP_SW).cast::<u8>(), 48);
        if *(fp.add(464) as *const u32) == FP_XSTATE_MAGIC1 {
            let size = *(fp.add(480) as *const u32) as usize;
            FP_XSTATE_BV = *(fp.add(XSAVE_HEADER) as *const u64);
            FP_AFTER_IMAGE = *(fp.add(size) as *const u32);
        }
        libc::syscall(
            libc::SYS_sigaltstack,
            std::ptr::null::<u8>(),
            addr_of_mut!(ALT_IN_HANDLER).cast::<u8>(),
        );
    }
}

/// Installs `capture` for `sig` with `extra` flags and mask {SIGHUP}, raises it,
/// and returns the frame bytes, the action as the kernel stored it, and the
/// mask before.
fn raise_and_capture(sig: Signal, extra: i32) -> ([u8; CAPTURE], SigAction, SigSet) {
    // SAFETY: installing a handler for a signal only this test raises.
    unsafe {
        let mut sa: libc::sigaction = zeroed();
        sa.sa_sigaction = capture as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | extra;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaddset(&mut sa.sa_mask, libc::SIGHUP);
        assert_eq!(
            libc::sigaction(sig.number() as i32, &sa, std::ptr::null_mut()),
            0
        );
        let mut stored = [0u8; 32];
        assert_eq!(
            rt_sigaction_raw(sig.number() as i32, None, &mut stored, 8),
            0
        );
        let mut before = 0u64;
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            0,
            std::ptr::null::<u64>(),
            &mut before as *mut u64,
            8,
        );
        libc::raise(sig.number() as i32);
        libc::signal(sig.number() as i32, libc::SIG_DFL);
        (
            *addr_of!(FRAME),
            SigAction::from_user_bytes(&stored),
            SigSet(before),
        )
    }
}

/// The host's fpstate is what `FpuFormat` describes: with XSAVE, UC_FP_XSTATE,
/// `_fpx_sw_bytes`, XSTATE_BV with x87/SSE, FP_XSTATE_MAGIC2 after the image,
/// and the frame exactly where `build_rt_sigframe` puts it for that size.
fn check_fpstate_against_model(back: &SigReturn, frame_addr: u64) {
    // SAFETY: written by the handler that has returned.
    let (sw, xstate_bv, after) = unsafe { (*addr_of!(FP_SW), FP_XSTATE_BV, FP_AFTER_IMAGE) };
    let word = |at: usize| u32::from_le_bytes(sw[at..at + 4].try_into().unwrap());
    // CPUID.1:ECX.OSXSAVE: the kernel enabled XSAVE.
    let xsave = std::arch::x86_64::__cpuid(1).ecx & (1 << 27) != 0;
    assert_eq!(back.uc_flags & UC_FP_XSTATE != 0, xsave);
    assert_eq!(
        word(0),
        FP_XSTATE_MAGIC1,
        "magic1 (written even without XSAVE)"
    );
    let size = word(16) as usize;
    assert_eq!(
        word(4) as usize,
        size + FP_XSTATE_MAGIC2_SIZE,
        "extended_size"
    );
    let features = u64::from_le_bytes(sw[8..16].try_into().unwrap());
    let format = if xsave {
        assert_eq!(after, FP_XSTATE_MAGIC2);
        assert_eq!(xstate_bv & XFEATURE_MASK_FPSSE, XFEATURE_MASK_FPSSE);
        assert_eq!(xstate_bv & !features, 0);
        FpuFormat::Xsave { size, features }
    } else {
        FpuFormat::Fxsave
    };
    let model = build_rt_sigframe(
        &back.regs,
        &SigInfo::kernel(SIGUSR1),
        SigSet::EMPTY,
        &AltStack::NONE,
        &SigAction {
            handler: Handler::User(1),
            flags: flags::SA_RESTORER,
            restorer: 1,
            mask: SigSet::EMPTY,
        },
        FpuImage {
            format,
            bytes: &vec![0u8; size],
        },
        TrapState::default(),
    )
    .unwrap();
    assert_eq!(model.frame_addr, frame_addr, "frame placed as Linux does");
    assert_eq!(Some(model.fpstate_addr), back.fpstate_addr);
}

#[test]
fn real_signal_frames_match_layout() {
    // One test for both cases: the capture buffers are shared statics.
    // SAFETY: block SIGUSR2 on this thread so the saved mask is non-trivial.
    unsafe {
        let mut set: libc::sigset_t = zeroed();
        libc::sigaddset(&mut set, libc::SIGUSR2);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
    let (bytes, action, before) = raise_and_capture(SIGUSR1, 0);
    // SAFETY: written by the handler that has returned.
    let (uc, info, mask_in) = unsafe { (UC_ADDR, INFO_ADDR, MASK_IN_HANDLER) };
    let frame_addr = uc - offsets::UCONTEXT as u64;
    assert_eq!(info - frame_addr, offsets::SIGINFO as u64);
    assert_eq!((frame_addr + 8) % 16, 0, "rsp + 8 aligned at handler entry");
    assert_eq!(
        u64::from_le_bytes(bytes[0..8].try_into().unwrap()),
        action.restorer,
        "pretcode"
    );
    assert!(action.has(flags::SA_RESTORER));
    let sc = offsets::UC_MCONTEXT;
    assert_eq!(
        u16::from_le_bytes([bytes[sc + offsets::SC_CS], bytes[sc + offsets::SC_CS + 1]]),
        USER_CS
    );
    assert_eq!(
        u16::from_le_bytes([bytes[sc + offsets::SC_SS], bytes[sc + offsets::SC_SS + 1]]),
        USER_SS
    );
    let current = UserRegs {
        eflags: 0x202,
        ..UserRegs::default()
    };
    let back = parse_rt_sigreturn(&bytes, &current).unwrap();
    assert_eq!(back.blocked, before);
    assert_eq!(
        u64::from_le_bytes(
            bytes[sc + offsets::SC_OLDMASK..sc + offsets::SC_OLDMASK + 8]
                .try_into()
                .unwrap()
        ),
        before.0
    );
    assert_eq!(
        back.uc_flags & (UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS),
        UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS
    );
    let fp = back.fpstate_addr.unwrap();
    assert_eq!(fp % 64, 0);
    assert_eq!(
        frame_addr,
        ((fp - RT_SIGFRAME_SIZE as u64) & !15) - 8,
        "frame right below the FPU state"
    );
    assert!(
        fp + FXSAVE_SIZE as u64 <= back.regs.rsp - RED_ZONE,
        "red zone skipped"
    );
    assert_eq!(
        SigSet(mask_in),
        blocked_during_handler(before, SIGUSR1, &action)
    );
    check_fpstate_against_model(&back, frame_addr);
    // SAFETY: plain getters.
    let (pid, uid) = unsafe { (libc::getpid(), libc::getuid()) };
    let expected = SigInfo::tkill(SIGUSR1, pid, uid).to_user_bytes();
    let siginfo = &bytes[offsets::SIGINFO..offsets::SIGINFO + SIGINFO_SIZE];
    assert_eq!(siginfo[..24], expected[..24]);
    // SAFETY: unblock SIGUSR2 again (nothing is pending).
    unsafe {
        let mut set: libc::sigset_t = zeroed();
        libc::sigaddset(&mut set, libc::SIGUSR2);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
    }

    // On an alternate stack with SS_AUTODISARM.
    let mut original = [0u8; STACK_T_SIZE];
    let stack = vec![0u8; 1 << 16];
    let alt = StackT {
        sp: stack.as_ptr() as u64,
        flags: SS_AUTODISARM,
        size: stack.len() as u64,
    };
    // SAFETY: a valid stack_t for a live buffer.
    unsafe {
        libc::syscall(
            libc::SYS_sigaltstack,
            alt.to_user_bytes().as_ptr(),
            original.as_mut_ptr(),
        )
    };
    let (bytes, _, _) = raise_and_capture(SIGUSR2, libc::SA_ONSTACK | libc::SA_NODEFER);
    // SAFETY: as above.
    let (uc, alt_in) = unsafe { (UC_ADDR, *addr_of!(ALT_IN_HANDLER)) };
    let model = AltStack {
        sp: alt.sp,
        size: alt.size,
        flags: alt.flags,
    };
    assert!(model.contains(uc), "frame on the alternate stack");
    let back = parse_rt_sigreturn(&bytes, &current).unwrap();
    assert_eq!(back.altstack, model.saved());
    let mut disarmed = model;
    disarmed.disarm_on_delivery();
    assert_eq!(StackT::from_user_bytes(&alt_in), disarmed.query(uc));
    let mut after = [0u8; STACK_T_SIZE];
    // SAFETY: read back, then give the thread its own alternate stack back.
    unsafe {
        libc::syscall(
            libc::SYS_sigaltstack,
            std::ptr::null::<u8>(),
            after.as_mut_ptr(),
        );
        libc::syscall(
            libc::SYS_sigaltstack,
            original.as_ptr(),
            std::ptr::null_mut::<u8>(),
        );
    }
    assert_eq!(
        StackT::from_user_bytes(&after),
        model.query(0),
        "rt_sigreturn restored it"
    );
}
