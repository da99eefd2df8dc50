//! Waiting for signals and alternate signal stacks: rt_sigsuspend, rt_sigtimedwait, sigaltstack.

use core::sync::atomic::{AtomicI32, AtomicUsize, Ordering::SeqCst};

use crate::child;
use crate::registry::Case;
use crate::sig::{self, hits, mask_of};
use crate::signame::{si_code_name, signal_name};
use crate::sys::{self, eq, errno_name, nr, outcome, yes, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new(
        "sigsuspend.handler_then_eintr",
        sigsuspend_handler_then_eintr,
    ),
    Case::new("sigsuspend.bad_size_einval", sigsuspend_bad_size),
    Case::new("sigtimedwait.takes_pending", sigtimedwait_takes_pending),
    Case::new("sigtimedwait.timeout_eagain", sigtimedwait_timeout),
    Case::new(
        "sigtimedwait.zero_timeout_eagain",
        sigtimedwait_zero_timeout,
    ),
    Case::new("sigtimedwait.bad_nsec_einval", sigtimedwait_bad_nsec),
    Case::new("sigtimedwait.bad_size_einval", sigtimedwait_bad_size),
    Case::new("sigtimedwait.from_child", sigtimedwait_from_child),
    Case::new("sigtimedwait.queued_value", sigtimedwait_queued_value),
    Case::new("altstack.query_default", altstack_query_default),
    Case::new("altstack.too_small_enomem", altstack_too_small),
    Case::new("altstack.bad_flags_einval", altstack_bad_flags),
    Case::new("altstack.roundtrip", altstack_roundtrip),
    Case::new("altstack.handler_runs_on_it", altstack_handler_runs_on_it),
    Case::new(
        "altstack.change_while_on_it_eperm",
        altstack_change_while_on_it,
    ),
    Case::new("altstack.disable", altstack_disable),
    Case::new("altstack.efault", altstack_efault),
];

fn sigtimedwait(
    set: u64,
    info: &mut libc::siginfo_t,
    timeout: Option<&[i64; 2]>,
) -> Result<usize, sys::Errno> {
    let t = timeout.map_or(0, |t| t.as_ptr() as usize);
    sys!(
        nr::RT_SIGTIMEDWAIT,
        &set as *const u64,
        info as *mut libc::siginfo_t,
        t,
        8
    )
}

fn info() -> libc::siginfo_t {
    // SAFETY: plain data.
    unsafe { core::mem::zeroed() }
}

fn sigsuspend_handler_then_eintr() -> String {
    let _ = sig::record_on(libc::SIGUSR1, 0);
    sig::block(&[libc::SIGUSR1]);
    let _ = sig::raise(libc::SIGUSR1);
    let empty = 0u64;
    let r = outcome(sys!(nr::RT_SIGSUSPEND, &empty as *const u64, 8));
    let restored = sig::current_mask() == mask_of(&[libc::SIGUSR1]);
    format!(
        "{r} handled={} mask restored={}",
        hits(libc::SIGUSR1),
        yes(restored)
    )
}

fn sigsuspend_bad_size() -> String {
    let empty = 0u64;
    outcome(sys!(nr::RT_SIGSUSPEND, &empty as *const u64, 4))
}

fn sigtimedwait_takes_pending() -> String {
    let _ = sig::record_on(libc::SIGUSR1, 0);
    sig::block(&[libc::SIGUSR1]);
    let _ = sig::raise(libc::SIGUSR1);
    let mut i = info();
    let r = sigtimedwait(mask_of(&[libc::SIGUSR1]), &mut i, None);
    let got = r.map(|s| signal_name(s as i32)).unwrap_or_else(errno_name);
    format!(
        "returned {got} si_signo={} code={} still pending={} handler ran={}",
        signal_name(i.si_signo),
        si_code_name(i.si_signo, i.si_code),
        yes(sig::pending() != 0),
        hits(libc::SIGUSR1)
    )
}

fn sigtimedwait_timeout() -> String {
    sig::block(&[libc::SIGUSR2]);
    let mut i = info();
    outcome(sigtimedwait(
        mask_of(&[libc::SIGUSR2]),
        &mut i,
        Some(&[0, 10_000_000]),
    ))
}

fn sigtimedwait_zero_timeout() -> String {
    sig::block(&[libc::SIGUSR2]);
    let mut i = info();
    outcome(sigtimedwait(
        mask_of(&[libc::SIGUSR2]),
        &mut i,
        Some(&[0, 0]),
    ))
}

fn sigtimedwait_bad_nsec() -> String {
    let mut i = info();
    outcome(sigtimedwait(
        mask_of(&[libc::SIGUSR2]),
        &mut i,
        Some(&[0, 1_000_000_000]),
    ))
}

fn sigtimedwait_bad_size() -> String {
    let set = mask_of(&[libc::SIGUSR2]);
    let mut i = info();
    outcome(sys!(
        nr::RT_SIGTIMEDWAIT,
        &set as *const u64,
        &mut i as *mut libc::siginfo_t,
        0,
        4
    ))
}

fn sigtimedwait_from_child() -> String {
    sig::block(&[libc::SIGUSR1]);
    let parent = sys::getpid();
    let pid = child::spawn(|| {
        let _ = sys!(nr::KILL, parent, libc::SIGUSR1);
        0
    });
    let Ok(pid) = pid else {
        return "fork failed".to_string();
    };
    let mut i = info();
    let r = sigtimedwait(mask_of(&[libc::SIGUSR1]), &mut i, None);
    child::wait_text(pid);
    // SAFETY: the kernel filled the kill() fields.
    let from = unsafe { i.si_pid() };
    format!(
        "returned {} code={} si_pid=child {}",
        r.map(|s| signal_name(s as i32)).unwrap_or_else(errno_name),
        si_code_name(i.si_signo, i.si_code),
        eq(from, pid)
    )
}

fn sigtimedwait_queued_value() -> String {
    const RT: i32 = 40;
    sig::block(&[RT]);
    let mut q = [0i32; 32];
    q[0] = RT;
    q[2] = -1; // SI_QUEUE
    q[4] = sys::getpid() as i32;
    q[6] = 77;
    let sent = outcome(sys!(nr::RT_SIGQUEUEINFO, sys::getpid(), RT, q.as_ptr()));
    let mut i = info();
    let r = sigtimedwait(mask_of(&[RT]), &mut i, None);
    // SAFETY: the kernel copied the queued siginfo.
    let value = unsafe { i.si_value().sival_ptr as usize as i32 };
    format!(
        "queued={sent} returned {} code={} value={value}",
        r.map(|s| signal_name(s as i32)).unwrap_or_else(errno_name),
        si_code_name(RT, i.si_code)
    )
}

/// `stack_t`: sp, flags, size.
#[repr(C)]
#[derive(Clone, Copy)]
struct StackT {
    sp: usize,
    flags: i32,
    size: usize,
}

const EMPTY_STACK: StackT = StackT {
    sp: 0,
    flags: 0,
    size: 0,
};

fn altstack(new: Option<&StackT>, old: Option<&mut StackT>) -> Result<usize, sys::Errno> {
    let n = new.map_or(0, |s| s as *const StackT as usize);
    let o = old.map_or(0, |s| s as *mut StackT as usize);
    sys!(nr::SIGALTSTACK, n, o)
}

fn flag_text(flags: i32) -> &'static str {
    match flags {
        0 => "0",
        libc::SS_ONSTACK => "SS_ONSTACK",
        libc::SS_DISABLE => "SS_DISABLE",
        _ => "other",
    }
}

/// Stack memory that outlives the case.
fn stack_memory(size: usize) -> usize {
    Box::leak(vec![0u8; size].into_boxed_slice()).as_mut_ptr() as usize
}

/// The runner's main thread inherits the alternate stack Rust's runtime installs. Its size follows the
/// CPU's signal-frame size (max(SIGSTKSZ, AT_MINSIGSTKSZ)), which differs between machines, so the
/// case reports whether the kernel hands back exactly that size rather than the number itself.
fn altstack_query_default() -> String {
    let mut old = EMPTY_STACK;
    let r = outcome(altstack(None, Some(&mut old)));
    // SAFETY: getauxval only reads the process's auxiliary vector.
    let auxv_min = unsafe { libc::getauxval(libc::AT_MINSIGSTKSZ) } as usize;
    let runtime_size = libc::SIGSTKSZ.max(auxv_min);
    let size = if old.size == runtime_size {
        "runtime".to_string()
    } else {
        old.size.to_string()
    };
    format!("{r} flags={} size={size}", flag_text(old.flags))
}

fn altstack_too_small() -> String {
    let s = StackT {
        sp: stack_memory(1024),
        flags: 0,
        size: 1024,
    };
    outcome(altstack(Some(&s), None))
}

fn altstack_bad_flags() -> String {
    let s = StackT {
        sp: stack_memory(65536),
        flags: 0x10,
        size: 65536,
    };
    outcome(altstack(Some(&s), None))
}

fn altstack_roundtrip() -> String {
    let sp = stack_memory(65536);
    let s = StackT {
        sp,
        flags: 0,
        size: 65536,
    };
    let set = outcome(altstack(Some(&s), None));
    let mut old = EMPTY_STACK;
    let get = outcome(altstack(None, Some(&mut old)));
    format!(
        "set={set} get={get} sp={} size={} flags={}",
        eq(old.sp, sp),
        old.size,
        flag_text(old.flags)
    )
}

static ALT_LOCAL: AtomicUsize = AtomicUsize::new(0);
static ALT_FLAGS: AtomicI32 = AtomicI32::new(-1);
static ALT_CHANGE: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_altstack(_sig: i32, _info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    let local = 0u8;
    ALT_LOCAL.store(&local as *const u8 as usize, SeqCst);
    let mut cur = EMPTY_STACK;
    let _ = altstack(None, Some(&mut cur));
    ALT_FLAGS.store(cur.flags, SeqCst);
    // Changing the alternate stack while running on it is refused.
    let other = StackT {
        sp: cur.sp,
        flags: 0,
        size: cur.size,
    };
    ALT_CHANGE.store(
        altstack(Some(&other), None).map_or_else(|e| i32::from(e.0), |_| 0),
        SeqCst,
    );
}

/// Runs [`on_altstack`] for SIGUSR1 on a fresh alternate stack; returns (stack base, size).
fn run_on_altstack() -> (usize, usize) {
    let size = 65536;
    let sp = stack_memory(size);
    let _ = altstack(Some(&StackT { sp, flags: 0, size }), None);
    let _ = sig::handle(libc::SIGUSR1, on_altstack, libc::SA_ONSTACK, &[]);
    let _ = sig::raise(libc::SIGUSR1);
    (sp, size)
}

fn altstack_handler_runs_on_it() -> String {
    let (sp, size) = run_on_altstack();
    let local = ALT_LOCAL.load(SeqCst);
    let mut after = EMPTY_STACK;
    let _ = altstack(None, Some(&mut after));
    format!(
        "local inside alt stack={} flags in handler={} flags after={}",
        yes(local >= sp && local < sp + size),
        flag_text(ALT_FLAGS.load(SeqCst)),
        flag_text(after.flags)
    )
}

fn altstack_change_while_on_it() -> String {
    run_on_altstack();
    let e = ALT_CHANGE.load(SeqCst);
    if e == 0 {
        "ok".to_string()
    } else {
        errno_name(sys::Errno(e as u16))
    }
}

fn altstack_disable() -> String {
    let sp = stack_memory(65536);
    let _ = altstack(
        Some(&StackT {
            sp,
            flags: 0,
            size: 65536,
        }),
        None,
    );
    let off = outcome(altstack(
        Some(&StackT {
            sp: 0,
            flags: libc::SS_DISABLE,
            size: 0,
        }),
        None,
    ));
    let mut old = EMPTY_STACK;
    let _ = altstack(None, Some(&mut old));
    format!("disable={off} flags now={}", flag_text(old.flags))
}

fn altstack_efault() -> String {
    outcome(sys!(nr::SIGALTSTACK, BAD_PTR, 0))
}
