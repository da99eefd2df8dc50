//! Sending signals: kill (to processes and groups), tkill, tgkill, and which thread receives them.

use core::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use crate::child::{self, close, pipe, read_byte, wait4};
use crate::registry::Case;
use crate::sig::{self, hits};
use crate::sys::{self, eq, getpid, gettid, nr, outcome, NO_SUCH_PID};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("kill.self_sig0", kill_self_sig0),
    Case::new("kill.esrch", kill_esrch),
    Case::new("kill.signal_65_einval", kill_signal_65),
    Case::new("kill.negative_signal_einval", kill_negative_signal),
    Case::new("kill.own_group", kill_own_group),
    Case::new("kill.missing_group_esrch", kill_missing_group),
    Case::new("kill.group_of_children", kill_group_of_children),
    Case::new("kill.zombie_then_reaped", kill_zombie),
    Case::new(
        "kill.process_signal_goes_to_unblocked_thread",
        kill_to_unblocked_thread,
    ),
    Case::new("tkill.self_sig0", tkill_self_sig0),
    Case::new("tkill.esrch", tkill_esrch),
    Case::new("tkill.zero_tid_einval", tkill_zero),
    Case::new("tkill.negative_tid_einval", tkill_negative),
    Case::new("tgkill.self_sig0", tgkill_self_sig0),
    Case::new("tgkill.wrong_tgid_esrch", tgkill_wrong_tgid),
    Case::new("tgkill.zero_tgid_einval", tgkill_zero_tgid),
    Case::new("tgkill.targets_thread", tgkill_targets_thread),
];

fn kill_self_sig0() -> String {
    outcome(sys!(nr::KILL, getpid(), 0))
}

fn kill_esrch() -> String {
    outcome(sys!(nr::KILL, NO_SUCH_PID, 0))
}

fn kill_signal_65() -> String {
    outcome(sys!(nr::KILL, getpid(), 65))
}

fn kill_negative_signal() -> String {
    outcome(sys!(nr::KILL, getpid(), -1i64))
}

fn kill_own_group() -> String {
    // The case process is alone in its own process group.
    let _ = sig::record_on(libc::SIGUSR1, 0);
    let r = outcome(sys!(nr::KILL, 0, libc::SIGUSR1));
    format!("{r} handled={}", hits(libc::SIGUSR1))
}

fn kill_missing_group() -> String {
    outcome(sys!(nr::KILL, -(NO_SUCH_PID as i64), 0))
}

fn kill_group_of_children() -> String {
    let (r, w) = pipe();
    let hold = || {
        child::spawn(move || {
            close(w);
            let _ = read_byte(r);
            0
        })
        .unwrap_or(-1)
    };
    let a = hold();
    let b = hold();
    let _ = sys!(nr::SETPGID, a, a);
    let _ = sys!(nr::SETPGID, b, a);
    let k = outcome(sys!(nr::KILL, -(a as i64), libc::SIGTERM));
    close(w);
    format!(
        "{k} first {} second {}",
        child::wait_text(a),
        child::wait_text(b)
    )
}

fn kill_zombie() -> String {
    let pid = child::spawn(|| 0).unwrap_or(-1);
    // Wait for it to be a zombie without reaping it.
    // SAFETY: plain data.
    let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
    let _ = sys!(
        nr::WAITID,
        libc::P_PID,
        pid,
        &mut info as *mut libc::siginfo_t,
        libc::WEXITED | libc::WNOWAIT,
        0
    );
    let zombie = outcome(sys!(nr::KILL, pid, 0));
    let _ = wait4(pid, 0);
    let reaped = outcome(sys!(nr::KILL, pid, 0));
    format!("zombie={zombie} reaped={reaped}")
}

static WAITER_TID: AtomicUsize = AtomicUsize::new(0);

fn kill_to_unblocked_thread() -> String {
    let _ = sig::record_on(libc::SIGUSR1, 0);
    // Blocked in every thread; the second thread then waits in sigsuspend with nothing blocked, so it is the only
    // thread that can take the signal, whether it arrives before or during the wait.
    sig::block(&[libc::SIGUSR1]);
    let (r, w) = pipe();
    let t = std::thread::spawn(move || {
        WAITER_TID.store(gettid(), SeqCst);
        close(w);
        let empty = 0u64;
        let _ = sys!(nr::RT_SIGSUSPEND, &empty as *const u64, 8);
    });
    // The thread closes the (shared) write end once its tid is known: wait for that end of file.
    let _ = read_byte(r);
    let k = outcome(sys!(nr::KILL, getpid(), libc::SIGUSR1));
    let _ = t.join();
    format!(
        "{k} handled={} in the waiting thread={}",
        hits(libc::SIGUSR1),
        eq(sig::LAST_TID.load(SeqCst), WAITER_TID.load(SeqCst))
    )
}

fn tkill_self_sig0() -> String {
    outcome(sys!(nr::TKILL, gettid(), 0))
}

fn tkill_esrch() -> String {
    outcome(sys!(nr::TKILL, NO_SUCH_PID, 0))
}

fn tkill_zero() -> String {
    outcome(sys!(nr::TKILL, 0, 0))
}

fn tkill_negative() -> String {
    outcome(sys!(nr::TKILL, -1i64, 0))
}

fn tgkill_self_sig0() -> String {
    outcome(sys!(nr::TGKILL, getpid(), gettid(), 0))
}

fn tgkill_wrong_tgid() -> String {
    // Our tid exists, but not in our parent's thread group.
    let ppid = sys!(nr::GETPPID).unwrap_or(1);
    outcome(sys!(nr::TGKILL, ppid, gettid(), 0))
}

fn tgkill_zero_tgid() -> String {
    outcome(sys!(nr::TGKILL, 0, gettid(), 0))
}

fn tgkill_targets_thread() -> String {
    let _ = sig::record_on(libc::SIGUSR1, 0);
    let (r, w) = pipe();
    let (r2, w2) = pipe();
    let t = std::thread::spawn(move || {
        WAITER_TID.store(gettid(), SeqCst);
        close(w);
        // Wait until told to finish; the signal arrives (and is handled) in between.
        let _ = read_byte(r2);
    });
    let _ = read_byte(r);
    let target = WAITER_TID.load(SeqCst);
    let k = outcome(sys!(nr::TGKILL, getpid(), target, libc::SIGUSR1));
    // Give the handler a moment to be recorded: it runs before the thread's read returns or blocks again.
    while hits(libc::SIGUSR1) == 0 {
        let _ = sys!(nr::SCHED_YIELD);
    }
    close(w2);
    let _ = t.join();
    format!(
        "{k} handled={} by target thread={} main thread is not it={}",
        hits(libc::SIGUSR1),
        eq(sig::LAST_TID.load(SeqCst), target),
        sys::yes(target != gettid())
    )
}
