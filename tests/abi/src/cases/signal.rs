//! Signal dispositions and masks: rt_sigaction, rt_sigprocmask, rt_sigpending, delivery order and queueing,
//! handler masks and flags, and the siginfo a handler receives.

use core::sync::atomic::Ordering::SeqCst;

use crate::child::{self, close, pipe, read_byte};
use crate::registry::Case;
use crate::sig::{self, hits, mask_of};
use crate::signame::{si_code_name, signal_name};
use crate::sys::{self, eq, errno_name, nr, outcome, yes, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("signal.action_roundtrip", action_roundtrip),
    Case::new("signal.action_default_query", action_default_query),
    Case::new("signal.sigkill_set_einval", sigkill_set),
    Case::new("signal.sigstop_set_einval", sigstop_set),
    Case::new("signal.sigkill_query_ok", sigkill_query),
    Case::new("signal.signal_zero_einval", signal_zero),
    Case::new("signal.signal_65_einval", signal_65),
    Case::new("signal.action_bad_size_einval", action_bad_size),
    Case::new("signal.action_efault", action_efault),
    Case::new("signal.procmask_sequence", procmask_sequence),
    Case::new("signal.procmask_kill_stop_unblockable", procmask_kill_stop),
    Case::new("signal.procmask_bad_how_einval", procmask_bad_how),
    Case::new("signal.procmask_bad_size_einval", procmask_bad_size),
    Case::new("signal.procmask_efault", procmask_efault),
    Case::new("signal.pending_then_delivered", pending_then_delivered),
    Case::new("signal.standard_not_queued", standard_not_queued),
    Case::new("signal.realtime_queued", realtime_queued),
    Case::new("signal.delivery_order", delivery_order),
    Case::new("signal.handler_mask", handler_mask),
    Case::new("signal.nodefer", nodefer),
    Case::new("signal.resethand", resethand),
    Case::new("signal.ignore_discards_pending", ignore_discards_pending),
    Case::new(
        "signal.blocked_ignored_stays_pending",
        blocked_ignored_stays_pending,
    ),
    Case::new("signal.siginfo_kill", siginfo_kill),
    Case::new("signal.siginfo_tgkill", siginfo_tgkill),
    Case::new("signal.sigqueueinfo_value", sigqueueinfo_value),
    Case::new(
        "signal.sigqueueinfo_spoof_other_eperm",
        sigqueueinfo_spoof_other,
    ),
    Case::new("signal.tgsigqueueinfo_value", tgsigqueueinfo_value),
    Case::new(
        "signal.tgsigqueueinfo_bad_tid_einval",
        tgsigqueueinfo_bad_tid,
    ),
    Case::new("signal.sigqueueinfo_efault", sigqueueinfo_efault),
];

/// The kernel's `struct sigaction` on x86_64.
#[repr(C)]
#[derive(Default, Clone, Copy)]
struct KernelSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

/// The x86_64 flag saying `restorer` holds the code that calls rt_sigreturn (musl always sets it).
const SA_RESTORER: u64 = 0x0400_0000;

fn query(sig: i32) -> Result<KernelSigaction, sys::Errno> {
    let mut old = KernelSigaction::default();
    sys!(
        nr::RT_SIGACTION,
        sig,
        0,
        &mut old as *mut KernelSigaction,
        8
    )?;
    Ok(old)
}

/// Names of the signals in a kernel mask.
fn names(mask: u64) -> String {
    let list: Vec<String> = (1..=64)
        .filter(|s| mask & (1u64 << (s - 1)) != 0)
        .map(signal_name)
        .collect();
    if list.is_empty() {
        "{}".to_string()
    } else {
        format!("{{{}}}", list.join(","))
    }
}

fn flag_names(flags: u64) -> String {
    let known = [
        (libc::SA_SIGINFO, "SIGINFO"),
        (libc::SA_RESTART, "RESTART"),
        (libc::SA_NODEFER, "NODEFER"),
        (libc::SA_RESETHAND, "RESETHAND"),
        (libc::SA_ONSTACK, "ONSTACK"),
        (libc::SA_NOCLDSTOP, "NOCLDSTOP"),
        (libc::SA_NOCLDWAIT, "NOCLDWAIT"),
    ];
    let list: Vec<&str> = known
        .iter()
        .filter(|(f, _)| flags & (*f as u64) != 0)
        .map(|(_, n)| *n)
        .collect();
    list.join("|")
}

fn action_roundtrip() -> String {
    if let Err(e) = sig::handle(
        libc::SIGUSR1,
        sig::record,
        libc::SA_RESTART | libc::SA_NODEFER,
        &[libc::SIGUSR2],
    ) {
        return errno_name(e);
    }
    match query(libc::SIGUSR1) {
        Ok(a) => format!(
            "handler={} flags={} restorer set={} mask={}",
            eq(a.handler, sig::record as *const () as usize),
            flag_names(a.flags),
            yes(a.flags & SA_RESTORER != 0 && a.restorer != 0),
            names(a.mask)
        ),
        Err(e) => errno_name(e),
    }
}

fn action_default_query() -> String {
    match query(libc::SIGUSR2) {
        Ok(a) => format!(
            "handler={} flags={:#x} mask={}",
            a.handler,
            a.flags,
            names(a.mask)
        ),
        Err(e) => errno_name(e),
    }
}

fn set_raw(sig: i32, handler: usize) -> String {
    let act = KernelSigaction {
        handler,
        ..KernelSigaction::default()
    };
    outcome(sys!(
        nr::RT_SIGACTION,
        sig,
        &act as *const KernelSigaction,
        0,
        8
    ))
}

fn sigkill_set() -> String {
    set_raw(libc::SIGKILL, libc::SIG_IGN)
}

fn sigstop_set() -> String {
    set_raw(libc::SIGSTOP, libc::SIG_IGN)
}

fn sigkill_query() -> String {
    match query(libc::SIGKILL) {
        Ok(a) => format!("ok handler={}", a.handler),
        Err(e) => errno_name(e),
    }
}

fn signal_zero() -> String {
    outcome(query(0).map(|_| 0))
}

fn signal_65() -> String {
    outcome(query(65).map(|_| 0))
}

fn action_bad_size() -> String {
    let mut old = KernelSigaction::default();
    outcome(sys!(
        nr::RT_SIGACTION,
        libc::SIGUSR1,
        0,
        &mut old as *mut KernelSigaction,
        4
    ))
}

fn action_efault() -> String {
    outcome(sys!(nr::RT_SIGACTION, libc::SIGUSR1, BAD_PTR, 0, 8))
}

fn procmask_sequence() -> String {
    let usr1 = mask_of(&[libc::SIGUSR1]);
    let usr2 = mask_of(&[libc::SIGUSR2]);
    let steps = [
        (libc::SIG_BLOCK, usr1),
        (libc::SIG_BLOCK, usr2),
        (libc::SIG_UNBLOCK, usr1),
        (libc::SIG_SETMASK, mask_of(&[libc::SIGHUP])),
    ];
    let mut parts = Vec::new();
    for (how, set) in steps {
        match sig::procmask(how, set) {
            Ok(old) => parts.push(names(old)),
            Err(e) => parts.push(errno_name(e)),
        }
    }
    format!(
        "old masks {} final {}",
        parts.join(" "),
        names(sig::current_mask())
    )
}

fn procmask_kill_stop() -> String {
    let _ = sig::procmask(
        libc::SIG_SETMASK,
        mask_of(&[libc::SIGKILL, libc::SIGSTOP, libc::SIGUSR1]),
    );
    names(sig::current_mask())
}

fn procmask_bad_how() -> String {
    outcome(sig::procmask(3, 0).map(|_| 0))
}

fn procmask_bad_size() -> String {
    let set = 0u64;
    outcome(sys!(
        nr::RT_SIGPROCMASK,
        libc::SIG_BLOCK,
        &set as *const u64,
        0,
        4
    ))
}

fn procmask_efault() -> String {
    outcome(sys!(nr::RT_SIGPROCMASK, libc::SIG_BLOCK, BAD_PTR, 0, 8))
}

fn pending_then_delivered() -> String {
    let _ = sig::record_on(libc::SIGUSR1, 0);
    sig::block(&[libc::SIGUSR1]);
    let _ = sig::raise(libc::SIGUSR1);
    let pending = names(sig::pending());
    let before = hits(libc::SIGUSR1);
    sig::unblock(&[libc::SIGUSR1]);
    format!(
        "pending={pending} handled before unblock={before} after={} pending now={}",
        hits(libc::SIGUSR1),
        names(sig::pending())
    )
}

fn standard_not_queued() -> String {
    let _ = sig::record_on(libc::SIGUSR1, 0);
    sig::block(&[libc::SIGUSR1]);
    for _ in 0..3 {
        let _ = sig::raise(libc::SIGUSR1);
    }
    sig::unblock(&[libc::SIGUSR1]);
    format!("sent 3 delivered {}", hits(libc::SIGUSR1))
}

/// A real-time signal that musl does not use internally.
const RT: i32 = 40;

fn realtime_queued() -> String {
    let _ = sig::record_on(RT, 0);
    sig::block(&[RT]);
    for _ in 0..3 {
        let _ = sig::raise(RT);
    }
    sig::unblock(&[RT]);
    format!("sent 3 delivered {}", hits(RT))
}

fn delivery_order() -> String {
    let sigs = [RT, 35, libc::SIGUSR2, libc::SIGUSR1, libc::SIGHUP];
    for &s in &sigs {
        let _ = sig::record_on(s, 0);
    }
    sig::block(&sigs);
    for &s in &sigs {
        let _ = sig::raise(s);
    }
    // The kernel takes the pending signals lowest number first, and since the handlers block nothing else it sets
    // up a frame for each before returning to user space: each frame lands on top of the previous one, so the
    // handlers run in the reverse order, highest number first.
    sig::unblock(&sigs);
    sig::order().join(",")
}

fn handler_mask() -> String {
    let _ = sig::handle(libc::SIGUSR1, sig::record, 0, &[libc::SIGUSR2]);
    let _ = sig::raise(libc::SIGUSR1);
    format!(
        "in handler {} after {}",
        names(sig::LAST_MASK.load(SeqCst) as u64),
        names(sig::current_mask())
    )
}

fn nodefer() -> String {
    let _ = sig::handle(libc::SIGUSR1, sig::record, libc::SA_NODEFER, &[]);
    let _ = sig::raise(libc::SIGUSR1);
    format!("in handler {}", names(sig::LAST_MASK.load(SeqCst) as u64))
}

fn resethand() -> String {
    let _ = sig::handle(libc::SIGUSR1, sig::record, libc::SA_RESETHAND, &[]);
    let _ = sig::raise(libc::SIGUSR1);
    let after = query(libc::SIGUSR1).map(|a| a.handler);
    format!(
        "handled={} handler after={} mask in handler={}",
        hits(libc::SIGUSR1),
        sys::value(after),
        names(sig::LAST_MASK.load(SeqCst) as u64)
    )
}

fn ignore_discards_pending() -> String {
    sig::block(&[libc::SIGUSR1]);
    let _ = sig::raise(libc::SIGUSR1);
    let before = names(sig::pending());
    sig::disposition(libc::SIGUSR1, libc::SIG_IGN);
    format!("pending={before} after SIG_IGN={}", names(sig::pending()))
}

fn blocked_ignored_stays_pending() -> String {
    sig::disposition(libc::SIGUSR1, libc::SIG_IGN);
    sig::block(&[libc::SIGUSR1]);
    let _ = sig::raise(libc::SIGUSR1);
    let blocked = names(sig::pending());
    sig::unblock(&[libc::SIGUSR1]);
    let _ = sig::raise(libc::SIGUSR1);
    format!(
        "blocked: pending={blocked} unblocked: pending={}",
        names(sig::pending())
    )
}

fn siginfo_kill() -> String {
    let _ = sig::record_on(libc::SIGUSR1, 0);
    let _ = sys!(nr::KILL, sys::getpid(), libc::SIGUSR1);
    format!(
        "code={} pid={}",
        si_code_name(libc::SIGUSR1, sig::LAST_CODE.load(SeqCst)),
        eq(sig::LAST_PID.load(SeqCst) as usize, sys::getpid())
    )
}

fn siginfo_tgkill() -> String {
    let _ = sig::record_on(libc::SIGUSR1, 0);
    let _ = sig::raise(libc::SIGUSR1);
    format!(
        "code={} pid={}",
        si_code_name(libc::SIGUSR1, sig::LAST_CODE.load(SeqCst)),
        eq(sig::LAST_PID.load(SeqCst) as usize, sys::getpid())
    )
}

/// A siginfo for rt_sigqueueinfo: signo, errno, code, then pid, uid and the value.
fn queue_info(sig: i32, code: i32, value: i32) -> [i32; 32] {
    let mut info = [0i32; 32];
    info[0] = sig;
    info[2] = code;
    info[4] = sys::getpid() as i32;
    info[6] = value;
    info
}

fn sigqueueinfo_value() -> String {
    let _ = sig::record_on(RT, 0);
    let info = queue_info(RT, -1, 1234);
    let r = outcome(sys!(nr::RT_SIGQUEUEINFO, sys::getpid(), RT, info.as_ptr()));
    format!(
        "{r} delivered={} code={} value={}",
        hits(RT),
        si_code_name(RT, sig::LAST_CODE.load(SeqCst)),
        sig::LAST_VALUE.load(SeqCst)
    )
}

fn tgsigqueueinfo_value() -> String {
    let _ = sig::record_on(RT, 0);
    let info = queue_info(RT, -1, 4321);
    let r = outcome(sys!(
        nr::RT_TGSIGQUEUEINFO,
        sys::getpid(),
        sys::gettid(),
        RT,
        info.as_ptr()
    ));
    format!(
        "{r} delivered={} code={} value={}",
        hits(RT),
        si_code_name(RT, sig::LAST_CODE.load(SeqCst)),
        sig::LAST_VALUE.load(SeqCst)
    )
}

fn tgsigqueueinfo_bad_tid() -> String {
    let info = queue_info(RT, -1, 1);
    outcome(sys!(
        nr::RT_TGSIGQUEUEINFO,
        sys::getpid(),
        0,
        RT,
        info.as_ptr()
    ))
}

fn sigqueueinfo_efault() -> String {
    outcome(sys!(nr::RT_SIGQUEUEINFO, sys::getpid(), RT, BAD_PTR))
}

fn sigqueueinfo_spoof_other() -> String {
    let (r, w) = pipe();
    let pid = child::spawn(|| {
        close(w);
        let _ = read_byte(r);
        0
    });
    close(r);
    let Ok(pid) = pid else {
        return "fork failed".to_string();
    };
    // si_code >= 0 claims to come from the kernel or kill(); only allowed when signalling oneself.
    let info = queue_info(libc::SIGUSR1, 0, 1);
    let spoof = outcome(sys!(nr::RT_SIGQUEUEINFO, pid, libc::SIGUSR1, info.as_ptr()));
    let info = queue_info(0, -1, 1);
    let queue = outcome(sys!(nr::RT_SIGQUEUEINFO, pid, 0, info.as_ptr()));
    close(w);
    child::wait_text(pid);
    format!("SI_USER to other={spoof} SI_QUEUE sig 0={queue}")
}
