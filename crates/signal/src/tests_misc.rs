//! siginfo, sigaltstack, wait status, interval timers, syscall restart.

use crate::*;
use basalt_linux_abi::{nr, Errno};

fn int(bytes: &[u8], offset: usize) -> i32 {
    i32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap())
}
fn long(bytes: &[u8], offset: usize) -> u64 {
    u64::from_le_bytes(bytes[offset..offset + 8].try_into().unwrap())
}

#[test]
fn siginfo_encodings() {
    let b = SigInfo::kill(SIGTERM, 1234, 1000).to_user_bytes();
    assert_eq!((int(&b, 0), int(&b, 4), int(&b, 8)), (15, 0, code::SI_USER));
    assert_eq!((int(&b, 16), int(&b, 20)), (1234, 1000));
    assert!(b[24..].iter().all(|x| *x == 0));
    assert_eq!(int(&SigInfo::tkill(SIGTERM, 1, 2).to_user_bytes(), 8), -6);

    let b = SigInfo::fault(SIGSEGV, code::SEGV_ACCERR, 0xdead_beef_0000).to_user_bytes();
    assert_eq!(
        (int(&b, 0), int(&b, 8), long(&b, 16)),
        (11, 2, 0xdead_beef_0000)
    );

    let info = SigInfo::child(code::CLD_EXITED, 77, 5, 3, 12, 34);
    let b = info.to_user_bytes();
    assert_eq!(
        (
            int(&b, 0),
            int(&b, 8),
            int(&b, 16),
            int(&b, 20),
            int(&b, 24)
        ),
        (17, 1, 77, 5, 3)
    );
    assert_eq!((long(&b, 32), long(&b, 40)), (12, 34));
    assert_eq!(
        (
            info.pid(),
            info.uid(),
            info.status(),
            info.utime(),
            info.stime()
        ),
        (77, 5, 3, 12, 34)
    );

    let info = SigInfo::queue(SIGRTMIN, 9, 8, 0x1122_3344_5566_7788);
    let b = info.to_user_bytes();
    assert_eq!(
        (int(&b, 8), int(&b, 16), int(&b, 20), long(&b, 24)),
        (-1, 9, 8, 0x1122_3344_5566_7788)
    );

    let info = SigInfo::timer(SIGALRM, 3, 2, 0x55);
    let b = info.to_user_bytes();
    assert_eq!(
        (int(&b, 8), int(&b, 16), int(&b, 20), long(&b, 24)),
        (code::SI_TIMER, 3, 2, 0x55)
    );
    assert_eq!(
        (info.timer_id(), info.overrun(), info.value()),
        (3, 2, 0x55)
    );

    let info = SigInfo::poll(SIGIO, code::POLL_IN, 0x41, 7);
    let b = info.to_user_bytes();
    assert_eq!((long(&b, 16), int(&b, 24)), (0x41, 7));
    assert_eq!((info.band(), info.fd()), (0x41, 7));

    let info = SigInfo::seccomp(0x40_1000, 39, 0xc000_003e);
    let b = info.to_user_bytes();
    assert_eq!(
        (
            int(&b, 0),
            int(&b, 8),
            long(&b, 16),
            int(&b, 24),
            int(&b, 28) as u32
        ),
        (31, 1, 0x40_1000, 39, 0xc000_003e)
    );
    assert_eq!(
        (info.addr(), info.syscall(), info.arch()),
        (0x40_1000, 39, 0xc000_003e)
    );

    let k = SigInfo::kernel(SIGALRM);
    assert_eq!((k.code, k.pid(), k.uid()), (0x80, 0, 0));
    assert!(k.is_from_kernel());
    assert!(!SigInfo::kill(SIGINT, 1, 1).is_from_kernel());
    assert_eq!(
        (
            code::ILL_ILLOPN,
            code::FPE_INTDIV,
            code::BUS_ADRERR,
            code::SEGV_MAPERR,
            code::TRAP_BRKPT
        ),
        (2, 1, 2, 1, 1)
    );
    assert_eq!(
        (
            code::CLD_KILLED,
            code::CLD_DUMPED,
            code::CLD_STOPPED,
            code::CLD_CONTINUED
        ),
        (2, 3, 5, 6)
    );
}

#[test]
fn siginfo_from_user() {
    let mut bytes = SigInfo::queue(SIGUSR1, 5, 6, 7).to_user_bytes();
    bytes[0] = 99; // si_signo is replaced by the signal sent
    let info = SigInfo::from_user_bytes(SIGRTMIN, &bytes).unwrap();
    assert_eq!(
        (info.signo, info.code, info.pid(), info.value()),
        (SIGRTMIN, -1, 5, 7)
    );
    // Known layout: extra bytes are dropped silently.
    bytes[100] = 1;
    let info = SigInfo::from_user_bytes(SIGRTMIN, &bytes).unwrap();
    assert_eq!(info.to_user_bytes()[100], 0);
    // Unknown code: extra bytes must be zero (E2BIG), else kept round-trip.
    bytes[8..12].copy_from_slice(&(-100i32).to_le_bytes());
    assert_eq!(
        SigInfo::from_user_bytes(SIGRTMIN, &bytes),
        Err(SignalError::SiginfoTooBig)
    );
    assert_eq!(SignalError::SiginfoTooBig.errno(), Errno::E2BIG);
    bytes[100] = 0;
    assert_eq!(
        SigInfo::from_user_bytes(SIGRTMIN, &bytes)
            .unwrap()
            .to_user_bytes()[16..48],
        bytes[16..48]
    );
    // Signal-specific codes: SEGV knows up to 10, others up to NSIGPOLL (6).
    let mut with = |signo: Signal, code: i32| {
        bytes[8..12].copy_from_slice(&code.to_le_bytes());
        bytes[127] = 1;
        SigInfo::from_user_bytes(signo, &bytes).is_ok()
    };
    assert!(with(SIGSEGV, 10) && !with(SIGSEGV, 11));
    assert!(with(SIGUSR1, 6) && !with(SIGUSR1, 7));
    assert!(with(SIGUSR1, 0x80) && with(SIGUSR1, -7) && !with(SIGUSR1, -8) && with(SIGUSR1, -60));
    assert!(with(SIGCHLD, 6) && !with(SIGCHLD, 7));
}

#[test]
fn user_siginfo_code_permissions() {
    assert_eq!(check_user_code(code::SI_QUEUE, false), Ok(()));
    assert_eq!(check_user_code(code::SI_USER, false), Err(Errno::EPERM));
    assert_eq!(check_user_code(code::SI_KERNEL, false), Err(Errno::EPERM));
    assert_eq!(check_user_code(code::SI_TKILL, false), Err(Errno::EPERM));
    assert_eq!(check_user_code(code::SI_TKILL, true), Ok(()));
    assert_eq!(check_user_code(code::SI_USER, true), Ok(()));
}

#[test]
fn stack_t_layout() {
    let st = StackT {
        sp: 0x1122_3344,
        flags: SS_AUTODISARM | SS_DISABLE,
        size: 0x8000,
    };
    let b = st.to_user_bytes();
    assert_eq!(long(&b, 0), 0x1122_3344);
    assert_eq!(int(&b, 8), SS_AUTODISARM | SS_DISABLE);
    assert_eq!(long(&b, 16), 0x8000);
    assert_eq!(StackT::from_user_bytes(&b), st);
}

#[test]
fn sigaltstack_rules() {
    let mut alt = AltStack::NONE;
    let sp = 0x7fff_0000;
    // Host behaviour: a fresh process reads back SS_DISABLE, size 0.
    assert_eq!(
        alt.sigaltstack(None, sp),
        Ok(StackT {
            sp: 0,
            flags: SS_DISABLE,
            size: 0
        })
    );
    let new = StackT {
        sp: 0x10_0000,
        flags: 0,
        size: 2047,
    };
    assert_eq!(
        alt.sigaltstack(Some(new), sp),
        Err(SignalError::AltStackTooSmall(2047))
    );
    assert_eq!(SignalError::AltStackTooSmall(0).errno(), Errno::ENOMEM);
    let new = StackT {
        size: MINSIGSTKSZ,
        ..new
    };
    assert_eq!(alt.sigaltstack(Some(new), sp).unwrap().flags, SS_DISABLE);
    assert_eq!(
        alt.query(sp),
        StackT {
            sp: 0x10_0000,
            flags: 0,
            size: 2048
        }
    );
    assert_eq!(
        alt.query(0x10_0800).flags,
        SS_ONSTACK,
        "top is on the stack"
    );
    assert_eq!(alt.query(0x10_0000).flags, 0, "base is not");
    // Changing (or disabling) while on it: EPERM, even to the same value.
    assert_eq!(
        alt.sigaltstack(Some(new), 0x10_0400),
        Err(SignalError::OnAltStack)
    );
    assert_eq!(SignalError::OnAltStack.errno(), Errno::EPERM);
    assert_eq!(
        alt.sigaltstack(None, 0x10_0400).unwrap().flags,
        SS_ONSTACK,
        "reading is fine"
    );
    for bad in [3, 4, 1 << 30, SS_AUTODISARM | 3] {
        assert_eq!(
            alt.sigaltstack(Some(StackT { flags: bad, ..new }), sp),
            Err(SignalError::BadAltStackFlags(bad))
        );
    }
    // SS_ONSTACK as input means 0 but is stored as given.
    alt.sigaltstack(
        Some(StackT {
            flags: SS_ONSTACK,
            ..new
        }),
        sp,
    )
    .unwrap();
    assert_eq!(alt.saved().flags, SS_ONSTACK);
    assert_eq!(alt.query(sp).flags, 0);
    // Disabling ignores size and address.
    alt.sigaltstack(
        Some(StackT {
            sp: 0x1234,
            flags: SS_DISABLE | SS_AUTODISARM,
            size: 1,
        }),
        sp,
    )
    .unwrap();
    assert_eq!(
        alt.query(sp),
        StackT {
            sp: 0,
            flags: SS_DISABLE | SS_AUTODISARM,
            size: 0
        }
    );
    // Autodisarm: never on the stack, may be changed from it; disarmed by delivery.
    let auto = StackT {
        sp: 0x10_0000,
        flags: SS_AUTODISARM,
        size: 0x4000,
    };
    alt.sigaltstack(Some(auto), sp).unwrap();
    assert_eq!(alt.query(0x10_1000).flags, SS_AUTODISARM);
    alt.disarm_on_delivery();
    assert_eq!(alt, AltStack::RESET);
    alt.restore_from_frame(auto, 0x10_1000);
    assert_eq!(alt.saved(), auto);
    // restore while on a plain stack fails silently (EPERM ignored).
    let mut plain = AltStack {
        sp: 0x10_0000,
        size: 0x4000,
        flags: 0,
    };
    plain.restore_from_frame(StackT::default(), 0x10_1000);
    assert_eq!(plain.size, 0x4000);
    plain.disarm_on_delivery();
    assert_eq!(plain.size, 0x4000, "only SS_AUTODISARM stacks are disarmed");
}

#[test]
fn wait_status_words() {
    assert_eq!(exit_status(0), 0);
    assert_eq!(exit_status(42), 0x2a00);
    assert_eq!(exit_status(256 + 3), 0x300);
    assert_eq!(exit_status(-1), 0xff00);
    assert_eq!(signaled_status(SIGKILL, false), 9);
    assert_eq!(signaled_status(SIGSEGV, true), 0x8b);
    assert_eq!(stopped_status(SIGTSTP), 0x147f);
    assert_eq!(continued_status(), 0xffff);
    assert_eq!(ChildState::Dumped(SIGABRT).wait_status(), 0x86);
    assert_eq!(ChildState::Exited(300).si_status(), 44);
    assert_eq!(ChildState::Continued.si_status(), 18);
    assert_eq!(ChildState::Stopped(SIGSTOP).si_code(), code::CLD_STOPPED);
}

#[test]
fn child_event_infos() {
    let event = ChildEvent {
        state: ChildState::Killed(SIGTERM),
        pid: 50,
        uid: 7,
        utime_ns: 1_234_000_000,
        stime_ns: 19_999_999,
    };
    let info = event.sigchld_info();
    assert_eq!(
        (info.signo, info.code, info.pid(), info.uid(), info.status()),
        (SIGCHLD, code::CLD_KILLED, 50, 7, 15)
    );
    assert_eq!((info.utime(), info.stime()), (123, 1));
    let waitid = event.waitid_info();
    assert_eq!(
        waitid.to_user_bytes()[..WAITID_INFO_BYTES],
        info.to_user_bytes()[..WAITID_INFO_BYTES]
    );
    assert_eq!((waitid.utime(), waitid.stime()), (0, 0));
    assert_eq!(ns_to_clock_ticks(9_999_999), 0);
}

#[test]
fn timeval_validation_and_encoding() {
    let ok = |sec, usec| Timeval { sec, usec }.to_ns();
    assert_eq!(ok(1, 500_000), Ok(1_500_000_000));
    assert_eq!(ok(0, 999_999), Ok(999_999_000));
    assert_eq!(ok(0, 1_000_000), Err(SignalError::BadTimeval));
    assert_eq!(ok(0, -1), Err(SignalError::BadTimeval));
    assert_eq!(ok(-1, 0), Err(SignalError::BadTimeval));
    assert_eq!(ok(i64::MAX, 0), Ok(KTIME_MAX_NS));
    assert_eq!(ok(9_223_372_036, 0), Ok(KTIME_MAX_NS));
    assert_eq!(ok(9_223_372_035, 0), Ok(9_223_372_035_000_000_000));
    assert_eq!(SignalError::BadTimeval.errno(), Errno::EINVAL);
    assert_eq!(Timeval::from_ns(2_000_001_999), Timeval { sec: 2, usec: 1 });
    let v = ITimerVal {
        interval: Timeval { sec: 1, usec: 2 },
        value: Timeval { sec: 3, usec: 4 },
    };
    let b = v.to_user_bytes();
    assert_eq!(
        (long(&b, 0), long(&b, 8), long(&b, 16), long(&b, 24)),
        (1, 2, 3, 4)
    );
    assert_eq!(ITimerVal::from_user_bytes(&b), v);
    assert_eq!(
        v.to_itimer(),
        Ok(ITimer {
            value_ns: 3_000_004_000,
            interval_ns: 1_000_002_000
        })
    );
    let bad = ITimerVal {
        interval: Timeval { sec: 0, usec: -5 },
        ..v
    };
    assert_eq!(bad.to_itimer(), Err(SignalError::BadTimeval));
    assert_eq!(
        ITimer {
            value_ns: 1_999,
            interval_ns: 0
        }
        .to_itimerval()
        .value,
        Timeval { sec: 0, usec: 1 }
    );
    assert_eq!(check_which(0), Ok(ITIMER_REAL));
    assert_eq!(check_which(2), Ok(ITIMER_PROF));
    assert_eq!(check_which(3), Err(SignalError::BadTimerWhich(3)));
    assert_eq!(check_which(u64::MAX), Err(SignalError::BadTimerWhich(-1)));
}

#[test]
fn real_timer_behaviour() {
    const S: u64 = 1_000_000_000;
    let mut t = RealTimer::DISARMED;
    assert_eq!(t.get(0), ITimer::ZERO);
    assert_eq!(
        t.set(
            100,
            ITimer {
                value_ns: 5 * S,
                interval_ns: 2 * S
            }
        ),
        ITimer::ZERO
    );
    assert_eq!(t.deadline(), Some(100 + 5 * S));
    assert_eq!(
        t.get(100 + S),
        ITimer {
            value_ns: 4 * S,
            interval_ns: 2 * S
        }
    );
    assert_eq!(t.get(100 + 5 * S).value_ns, 1_000, "armed never reads as 0");
    assert!(!t.expire(99 + 5 * S));
    assert!(t.expire(100 + 5 * S));
    assert_eq!(
        t.get(100 + 5 * S),
        ITimer {
            value_ns: 0,
            interval_ns: 2 * S
        },
        "fired, not yet reloaded"
    );
    // Reload when SIGALRM is dequeued; missed periods are skipped.
    t.on_sigalrm_dequeued(100 + 10 * S);
    assert_eq!(t.deadline(), Some(100 + 11 * S));
    t.on_sigalrm_dequeued(100 + 10 * S);
    assert_eq!(t.deadline(), Some(100 + 11 * S), "no reload while armed");
    // Zero value disarms and drops the interval (host: interval reads 0).
    assert_eq!(
        t.set(
            100 + 10 * S,
            ITimer {
                value_ns: 0,
                interval_ns: 9 * S
            }
        )
        .value_ns,
        S
    );
    assert_eq!(t.get(0), ITimer::ZERO);
    // One-shot: no reload.
    t.set(
        0,
        ITimer {
            value_ns: S,
            interval_ns: 0,
        },
    );
    assert!(t.expire(S));
    t.on_sigalrm_dequeued(2 * S);
    assert_eq!(t.deadline(), None);
    // Saturation at KTIME_MAX.
    t.set(
        5 * S,
        ITimer {
            value_ns: KTIME_MAX_NS,
            interval_ns: 0,
        },
    );
    assert_eq!(t.deadline(), Some(KTIME_MAX_NS));
    t.set(
        0,
        ITimer {
            value_ns: 10,
            interval_ns: u64::MAX / 2,
        },
    );
    assert!(t.expire(10));
    t.on_sigalrm_dequeued(u64::MAX / 2 + 20);
    assert_eq!(t.deadline(), Some(KTIME_MAX_NS));
}

#[test]
fn alarm_rounding() {
    const S: u64 = 1_000_000_000;
    let mut t = RealTimer::DISARMED;
    assert_eq!(t.alarm(0, 0), 0);
    assert_eq!(t.alarm(0, 10), 0);
    assert_eq!(t.alarm(7 * S + 700_000_000, 3), 2, "2.3 s left rounds down");
    assert_eq!(t.alarm(8 * S, 3), 3, "2.7 s left rounds up");
    assert_eq!(
        t.alarm(11 * S - 1_000, 0),
        1,
        "1 µs left reads 1, and 0 cancels"
    );
    assert_eq!(t.deadline(), None);
    t.alarm(0, u32::MAX);
    assert_eq!(t.alarm(1, 0), u32::MAX, "4294967294.999999999 s rounds up");
}

#[test]
fn syscall_restart() {
    let with = |rax: u64, rip: u64| UserRegs {
        rax,
        rip,
        ..UserRegs::default()
    };
    let eintr = Errno::EINTR.as_return() as u64;
    let plain = SigAction {
        handler: Handler::User(1),
        ..SigAction::DEFAULT
    };
    let restart = SigAction {
        flags: flags::SA_RESTART,
        ..plain
    };
    let cases = [
        (Restart::Sys, &plain, (eintr, 100)),
        (Restart::Sys, &restart, (7, 98)),
        (Restart::NoIntr, &plain, (7, 98)),
        (Restart::NoHand, &restart, (eintr, 100)),
        (Restart::RestartBlock, &restart, (eintr, 100)),
    ];
    for (kind, action, expected) in cases {
        let mut regs = with(kind.as_return(), 100);
        restart_for_handler(&mut regs, 7, action);
        assert_eq!((regs.rax, regs.rip), expected, "{kind:?}");
    }
    for kind in [Restart::Sys, Restart::NoIntr, Restart::NoHand] {
        let mut regs = with(kind.as_return(), 100);
        restart_without_handler(&mut regs, 7);
        assert_eq!((regs.rax, regs.rip), (7, 98));
    }
    let mut regs = with(Restart::RestartBlock.as_return(), 100);
    restart_without_handler(&mut regs, 7);
    assert_eq!((regs.rax, regs.rip), (nr::RESTART_SYSCALL as u64, 98));
    // Ordinary results are left alone.
    let mut regs = with(eintr, 100);
    restart_without_handler(&mut regs, 7);
    restart_for_handler(&mut regs, 7, &restart);
    assert_eq!((regs.rax, regs.rip), (eintr, 100));
    assert_eq!(
        Restart::from_return((-516i64) as u64),
        Some(Restart::RestartBlock)
    );
    assert_eq!(Restart::from_return((-515i64) as u64), None);
}
