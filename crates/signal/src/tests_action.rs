//! Signals, sets and actions.

use crate::*;
use basalt_linux_abi::Errno;
use std::format;
use std::vec::Vec;

fn sig(n: u32) -> Signal {
    Signal::new(n).unwrap()
}

#[test]
fn signal_numbers_and_names() {
    assert_eq!(SIGHUP.number(), 1);
    assert_eq!(SIGKILL.number(), 9);
    assert_eq!(SIGCHLD.number(), 17);
    assert_eq!(SIGSYS.number(), 31);
    assert_eq!(SIGINT.name(), "SIGINT");
    assert_eq!(SIGSTKFLT.name(), "SIGSTKFLT");
    assert_eq!(SIGSYS.name(), "SIGSYS");
    assert_eq!(SIGRTMIN.number(), 32);
    assert_eq!(SIGRTMIN.name(), "SIGRTMIN");
    assert_eq!(SIGRTMIN_LIBC.name(), "SIGRTMIN+2");
    assert_eq!(sig(48).name(), "SIGRTMIN+16");
    assert_eq!(sig(49).name(), "SIGRTMAX-15");
    assert_eq!(sig(63).name(), "SIGRTMAX-1");
    assert_eq!(SIGRTMAX.name(), "SIGRTMAX");
    assert_eq!(SIGIOT, SIGABRT);
    assert_eq!(SIGPOLL, SIGIO);
    assert_eq!(format!("{SIGSEGV}"), "SIGSEGV");
    assert_eq!(format!("{SIGSEGV:?}"), "SIGSEGV(11)");
    assert_eq!(Signal::all().count(), 64);
    let names: Vec<_> = Signal::all().map(Signal::name).collect();
    for (i, name) in names.iter().enumerate() {
        assert!(!names[i + 1..].contains(name), "duplicate name {name}");
    }
}

#[test]
fn signal_validation() {
    assert_eq!(Signal::new(0), None);
    assert_eq!(Signal::new(65), None);
    assert_eq!(Signal::from_syscall_arg(2), Ok(SIGINT));
    assert_eq!(Signal::from_syscall_arg(64), Ok(SIGRTMAX));
    // Linux reads an int: the upper half of the register does not count.
    assert_eq!(Signal::from_syscall_arg(0x1_0000_0002), Ok(SIGINT));
    assert_eq!(
        Signal::from_syscall_arg(0),
        Err(SignalError::InvalidSignal(0))
    );
    assert_eq!(
        Signal::from_syscall_arg(65),
        Err(SignalError::InvalidSignal(65))
    );
    assert_eq!(
        Signal::from_syscall_arg(u64::MAX),
        Err(SignalError::InvalidSignal(-1))
    );
    assert_eq!(SignalError::InvalidSignal(0).errno(), Errno::EINVAL);
    assert_eq!(
        format!("{}", SignalError::InvalidSignal(99)),
        "invalid signal number 99"
    );
}

#[test]
fn default_actions_follow_linux_table() {
    use DefaultAction::*;
    let core = [3, 4, 5, 6, 7, 8, 11, 24, 25, 31];
    let stop = [19, 20, 21, 22];
    let ignore = [17, 23, 28];
    for s in Signal::all() {
        let n = s.number();
        let expected = if core.contains(&n) {
            CoreDump
        } else if stop.contains(&n) {
            Stop
        } else if n == 18 {
            Continue
        } else if ignore.contains(&n) {
            Ignore
        } else {
            Terminate
        };
        assert_eq!(s.default_action(), expected, "{s:?}");
        assert_eq!(s.is_stop(), stop.contains(&n));
        assert_eq!(s.is_realtime(), n >= 32);
        assert_eq!(s.is_kernel_only(), n == 9 || n == 19);
        assert_eq!(s.default_is_ignore(), ignore.contains(&n) || n == 18);
    }
    let sync: Vec<u32> = Signal::all()
        .filter(|s| s.is_synchronous())
        .map(Signal::number)
        .collect();
    assert_eq!(sync, [4, 5, 7, 8, 11, 31]);
    assert_eq!(SigSet::SYNCHRONOUS, sync.iter().map(|n| sig(*n)).collect());
}

#[test]
fn sigset_operations() {
    let mut set = SigSet::EMPTY;
    assert!(set.is_empty());
    set.insert(SIGINT);
    set.insert(SIGRTMAX);
    assert_eq!(set.0, (1 << 1) | (1 << 63));
    assert!(set.contains(SIGINT) && !set.contains(SIGHUP));
    assert_eq!(set.lowest(), Some(SIGINT));
    assert_eq!(set.len(), 2);
    assert_eq!(set.iter().collect::<Vec<_>>(), [SIGINT, SIGRTMAX]);
    set.remove(SIGINT);
    assert_eq!(set.lowest(), Some(SIGRTMAX));
    assert_eq!(SigSet::EMPTY.lowest(), None);
    assert_eq!(SigSet::FULL.blockable().0, 0xffff_ffff_fffb_feff);
    assert_eq!(SigSet::UNBLOCKABLE.0, (1 << 8) | (1 << 18));
    let a = SigSet(0b1100);
    let b = SigSet(0b1010);
    assert_eq!((a | b).0, 0b1110);
    assert_eq!((a & b).0, 0b1000);
    assert_eq!((a - b).0, 0b0100);
    assert_eq!((!a).0, !0b1100);
    assert_eq!(
        SigSet::from_user_bytes(SigSet(0x0102).to_user_bytes()),
        SigSet(0x0102)
    );
    assert_eq!(SigSet(0x0102).to_user_bytes(), [2, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        format!("{:?}", SigSet::only(SIGINT) | SigSet::only(SIGTERM)),
        "SigSet{SIGINT,SIGTERM}"
    );
    assert_eq!(format!("{:?}", SigSet::FULL), "SigSet(FULL)");
}

fn user_action(handler: u64, sa_flags: u64, mask: SigSet) -> SigAction {
    SigAction {
        handler: Handler::User(handler),
        flags: sa_flags | flags::SA_RESTORER,
        restorer: 0x4000,
        mask,
    }
}

#[test]
fn kernel_sigaction_layout() {
    let action = SigAction {
        handler: Handler::User(0x1122_3344_5566_7788),
        flags: 0x0400_0004,
        restorer: 0xaabb,
        mask: SigSet(0x8000_0000_0000_0001),
    };
    let bytes = action.to_user_bytes();
    assert_eq!(&bytes[0..8], &0x1122_3344_5566_7788u64.to_le_bytes());
    assert_eq!(&bytes[8..16], &0x0400_0004u64.to_le_bytes());
    assert_eq!(&bytes[16..24], &0xaabbu64.to_le_bytes());
    assert_eq!(&bytes[24..32], &0x8000_0000_0000_0001u64.to_le_bytes());
    assert_eq!(SigAction::from_user_bytes(&bytes), action);
    assert_eq!(SigAction::from_user_bytes(&[0; 32]), SigAction::DEFAULT);
    assert_eq!(Handler::from_raw(1), Handler::Ignore);
    assert_eq!(Handler::from_raw(u64::MAX), Handler::User(u64::MAX));
    assert_eq!(Handler::Ignore.to_raw(), 1);
}

#[test]
fn rt_sigaction_rules() {
    let mut table = SigHandlers::new();
    let act = user_action(0x1000, flags::SA_SIGINFO, SigSet::FULL);
    assert_eq!(
        table.rt_sigaction(10, Some(act), 16),
        Err(SignalError::BadSigsetSize(16))
    );
    assert_eq!(
        table.rt_sigaction(10, None, 4),
        Err(SignalError::BadSigsetSize(4))
    );
    assert_eq!(
        table.rt_sigaction(0, None, 8),
        Err(SignalError::InvalidSignal(0))
    );
    assert_eq!(
        table.rt_sigaction(65, Some(act), 8),
        Err(SignalError::InvalidSignal(65))
    );
    for uncatchable in [SIGKILL, SIGSTOP] {
        let n = uncatchable.number() as u64;
        assert_eq!(
            table.rt_sigaction(n, Some(act), 8),
            Err(SignalError::Uncatchable(uncatchable))
        );
        assert_eq!(
            table.rt_sigaction(n, Some(SigAction::DEFAULT), 8),
            Err(SignalError::Uncatchable(uncatchable))
        );
        assert_eq!(
            table.rt_sigaction(n, None, 8).unwrap().old,
            SigAction::DEFAULT
        );
    }
    assert_eq!(SignalError::Uncatchable(SIGKILL).errno(), Errno::EINVAL);

    let change = table.rt_sigaction(10, Some(act), 8).unwrap();
    assert_eq!(change.old, SigAction::DEFAULT);
    assert!(change.discard.is_empty());
    let stored = *table.get(SIGUSR1);
    assert_eq!(
        stored.mask,
        SigSet::FULL.blockable(),
        "KILL and STOP leave the mask"
    );
    assert_eq!(table.rt_sigaction(10, None, 8).unwrap().old, stored);

    // Unknown flag bits are dropped silently (host: all-ones reads back 0xdc000807).
    let all = SigAction {
        flags: u64::MAX,
        ..act
    };
    table.set(SIGUSR2, Some(all)).unwrap();
    assert_eq!(table.get(SIGUSR2).flags, 0xdc00_0807);
    assert_eq!(flags::KNOWN, 0xdc00_0807);
}

#[test]
fn ignoring_discards_pending() {
    let mut table = SigHandlers::new();
    let ignore = SigAction {
        handler: Handler::Ignore,
        ..SigAction::DEFAULT
    };
    assert_eq!(
        table.set(SIGUSR1, Some(ignore)).unwrap().discard,
        SigSet::only(SIGUSR1)
    );
    assert!(table.is_ignored(SIGUSR1));
    // SIG_DFL of an ignore-by-default signal is "ignored" too (sig_handler_ignored).
    for s in [SIGCHLD, SIGURG, SIGWINCH, SIGCONT] {
        assert_eq!(
            table.set(s, Some(SigAction::DEFAULT)).unwrap().discard,
            SigSet::only(s)
        );
    }
    assert!(table
        .set(SIGTERM, Some(SigAction::DEFAULT))
        .unwrap()
        .discard
        .is_empty());
    assert!(table
        .set(SIGCHLD, Some(user_action(0x10, 0, SigSet::EMPTY)))
        .unwrap()
        .discard
        .is_empty());
}

#[test]
fn generation_time_ignore() {
    let mut table = SigHandlers::new();
    table
        .set(
            SIGUSR1,
            Some(SigAction {
                handler: Handler::Ignore,
                ..SigAction::DEFAULT
            }),
        )
        .unwrap();
    assert!(table.discards_at_generation(SIGUSR1, SigSet::EMPTY, false));
    assert!(
        !table.discards_at_generation(SIGUSR1, SigSet::only(SIGUSR1), false),
        "blocked stays"
    );
    assert!(table.discards_at_generation(SIGCHLD, SigSet::EMPTY, false));
    assert!(!table.discards_at_generation(SIGTERM, SigSet::EMPTY, false));
    // init drops what it has no handler for, even SIGKILL.
    assert!(table.discards_at_generation(SIGTERM, SigSet::EMPTY, true));
    assert!(table.discards_at_generation(SIGKILL, SigSet::EMPTY, true));
    table
        .set(SIGTERM, Some(user_action(0x10, 0, SigSet::EMPTY)))
        .unwrap();
    assert!(!table.discards_at_generation(SIGTERM, SigSet::EMPTY, true));
}

#[test]
fn delivery_dispositions_and_resethand() {
    let mut table = SigHandlers::new();
    assert_eq!(
        table.take_for_delivery(SIGTERM),
        Disposition::Terminate { core_dump: false }
    );
    assert_eq!(
        table.take_for_delivery(SIGSEGV),
        Disposition::Terminate { core_dump: true }
    );
    assert_eq!(table.take_for_delivery(SIGTSTP), Disposition::Stop);
    assert_eq!(table.take_for_delivery(SIGCONT), Disposition::Ignore);
    assert_eq!(table.take_for_delivery(SIGCHLD), Disposition::Ignore);
    assert_eq!(
        table.take_for_delivery(SIGRTMAX),
        Disposition::Terminate { core_dump: false }
    );
    let once = user_action(
        0x2000,
        flags::SA_RESETHAND | flags::SA_SIGINFO,
        SigSet::EMPTY,
    );
    table.set(SIGUSR1, Some(once)).unwrap();
    assert_eq!(table.take_for_delivery(SIGUSR1), Disposition::Handle(once));
    // Only the handler is reset; the flags stay (host: 0x84000004 after delivery).
    assert_eq!(table.get(SIGUSR1).handler, Handler::Default);
    assert_eq!(table.get(SIGUSR1).flags, once.flags);
    assert_eq!(
        table.take_for_delivery(SIGUSR1),
        Disposition::Terminate { core_dump: false }
    );
    table
        .set(
            SIGUSR2,
            Some(SigAction {
                handler: Handler::Ignore,
                ..SigAction::DEFAULT
            }),
        )
        .unwrap();
    assert_eq!(table.take_for_delivery(SIGUSR2), Disposition::Ignore);
}

#[test]
fn mask_during_handler() {
    let action = user_action(0x10, 0, SigSet::only(SIGTERM) | SigSet::UNBLOCKABLE);
    let blocked = blocked_during_handler(SigSet::only(SIGHUP), SIGUSR1, &action);
    assert_eq!(
        blocked,
        SigSet::only(SIGHUP) | SigSet::only(SIGTERM) | SigSet::only(SIGUSR1)
    );
    let nodefer = user_action(0x10, flags::SA_NODEFER, SigSet::EMPTY);
    assert_eq!(
        blocked_during_handler(SigSet::EMPTY, SIGUSR1, &nodefer),
        SigSet::EMPTY
    );
    // SA_RESETHAND does not imply SA_NODEFER (checked on the host).
    let reset = user_action(0x10, flags::SA_RESETHAND, SigSet::EMPTY);
    assert_eq!(
        blocked_during_handler(SigSet::EMPTY, SIGUSR1, &reset),
        SigSet::only(SIGUSR1)
    );
}

#[test]
fn exec_resets_caught_keeps_ignored() {
    let mut table = SigHandlers::new();
    table
        .set(
            SIGINT,
            Some(SigAction {
                handler: Handler::Ignore,
                flags: flags::SA_RESTART,
                restorer: 5,
                mask: SigSet(4),
            }),
        )
        .unwrap();
    table
        .set(
            SIGTERM,
            Some(user_action(0x10, flags::SA_SIGINFO, SigSet(8))),
        )
        .unwrap();
    let before = table.clone();
    table.reset_for_exec();
    assert_eq!(
        *table.get(SIGINT),
        SigAction {
            handler: Handler::Ignore,
            ..SigAction::DEFAULT
        }
    );
    assert_eq!(*table.get(SIGTERM), SigAction::DEFAULT);
    assert_eq!(*table.get(SIGHUP), SigAction::DEFAULT);
    assert_ne!(before, table);
}

#[test]
fn child_exit_policy() {
    let mut table = SigHandlers::new();
    assert_eq!(
        table.child_exit_policy(),
        ChildExitPolicy {
            autoreap: false,
            send_sigchld: true
        }
    );
    assert!(table.notify_on_child_stop());
    table
        .set(
            SIGCHLD,
            Some(SigAction {
                handler: Handler::Ignore,
                ..SigAction::DEFAULT
            }),
        )
        .unwrap();
    assert_eq!(
        table.child_exit_policy(),
        ChildExitPolicy {
            autoreap: true,
            send_sigchld: false
        }
    );
    table
        .set(
            SIGCHLD,
            Some(user_action(
                0x10,
                flags::SA_NOCLDWAIT | flags::SA_NOCLDSTOP,
                SigSet::EMPTY,
            )),
        )
        .unwrap();
    assert_eq!(
        table.child_exit_policy(),
        ChildExitPolicy {
            autoreap: true,
            send_sigchld: true
        }
    );
    assert!(!table.notify_on_child_stop());
}
