//! prctl: the process name, the parent-death signal, dumpable, no_new_privs, and the refusals.

use crate::child;
use crate::registry::Case;
use crate::sys::{errno_name, nr, outcome, value, BAD_PTR};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("prctl.name_roundtrip", name_roundtrip),
    Case::new("prctl.name_truncated", name_truncated),
    Case::new("prctl.name_in_proc_comm", name_in_proc_comm),
    Case::new("prctl.name_efault", name_efault),
    Case::new("prctl.pdeathsig", pdeathsig),
    Case::new("prctl.pdeathsig_bad_einval", pdeathsig_bad),
    Case::new("prctl.pdeathsig_not_inherited", pdeathsig_not_inherited),
    Case::new("prctl.pdeathsig_delivered", pdeathsig_delivered),
    Case::new("prctl.dumpable", dumpable),
    Case::new("prctl.no_new_privs", no_new_privs),
    Case::new("prctl.unknown_option_einval", unknown_option),
];

const PR_SET_PDEATHSIG: i32 = 1;
const PR_GET_PDEATHSIG: i32 = 2;
const PR_GET_DUMPABLE: i32 = 3;
const PR_SET_DUMPABLE: i32 = 4;
const PR_SET_NAME: i32 = 15;
const PR_GET_NAME: i32 = 16;
const PR_SET_NO_NEW_PRIVS: i32 = 38;
const PR_GET_NO_NEW_PRIVS: i32 = 39;

fn get_name() -> String {
    let mut buf = [0xffu8; 16];
    match sys!(nr::PRCTL, PR_GET_NAME, buf.as_mut_ptr()) {
        Ok(_) => {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(16);
            String::from_utf8_lossy(&buf[..end]).into_owned()
        }
        Err(e) => errno_name(e),
    }
}

fn name_roundtrip() -> String {
    let set = outcome(sys!(nr::PRCTL, PR_SET_NAME, c"renamed".as_ptr()));
    format!("{set} now={}", get_name())
}

fn name_truncated() -> String {
    let _ = sys!(
        nr::PRCTL,
        PR_SET_NAME,
        c"a-very-long-name-over-sixteen".as_ptr()
    );
    let name = get_name();
    format!("{name} ({} bytes)", name.len())
}

fn name_in_proc_comm() -> String {
    let _ = sys!(nr::PRCTL, PR_SET_NAME, c"commcheck".as_ptr());
    match std::fs::read_to_string("/proc/self/comm") {
        Ok(text) => text.trim_end().to_string(),
        Err(_) => "no /proc".to_string(),
    }
}

fn name_efault() -> String {
    outcome(sys!(nr::PRCTL, PR_SET_NAME, BAD_PTR))
}

fn get_pdeathsig() -> String {
    let mut sig = -1i32;
    match sys!(nr::PRCTL, PR_GET_PDEATHSIG, &mut sig as *mut i32) {
        Ok(_) => sig.to_string(),
        Err(e) => errno_name(e),
    }
}

fn pdeathsig() -> String {
    let before = get_pdeathsig();
    let set = outcome(sys!(nr::PRCTL, PR_SET_PDEATHSIG, libc::SIGUSR1));
    let after = get_pdeathsig();
    let efault = outcome(sys!(nr::PRCTL, PR_GET_PDEATHSIG, BAD_PTR));
    format!("before={before} set={set} after={after} get_efault={efault}")
}

fn pdeathsig_bad() -> String {
    let big = outcome(sys!(nr::PRCTL, PR_SET_PDEATHSIG, 65));
    let negative = outcome(sys!(nr::PRCTL, PR_SET_PDEATHSIG, -1i64));
    format!("65={big} -1={negative}")
}

fn pdeathsig_not_inherited() -> String {
    let _ = sys!(nr::PRCTL, PR_SET_PDEATHSIG, libc::SIGUSR1);
    child::run(|| {
        let mut sig = -1i32;
        let _ = sys!(nr::PRCTL, PR_GET_PDEATHSIG, &mut sig as *mut i32);
        sig
    })
}

/// A grandchild asks for SIGTERM when its parent dies, then waits for ever; the parent exits. The grandchild's
/// end of a pipe closes only when the signal kills it (without the signal the case times out).
fn pdeathsig_delivered() -> String {
    let (r, w) = child::pipe();
    let middle = child::run(move || {
        match child::spawn(move || {
            child::close(r);
            let _ = sys!(nr::PRCTL, PR_SET_PDEATHSIG, libc::SIGTERM);
            // Tell the middle process it may exit now, then wait to be killed.
            let _ = child::write_all(w, b"x");
            loop {
                // SAFETY: pause only waits for a signal.
                unsafe { libc::pause() };
            }
        }) {
            Ok(_) => i32::from(child::read_byte(r).is_err()),
            Err(_) => 2,
        }
    });
    child::close(w);
    let rest = child::read_to_end(r);
    child::close(r);
    format!(
        "middle {middle}; grandchild's pipe closed after {} bytes",
        rest.len()
    )
}

fn dumpable() -> String {
    let before = value(sys!(nr::PRCTL, PR_GET_DUMPABLE));
    let set0 = outcome(sys!(nr::PRCTL, PR_SET_DUMPABLE, 0));
    let after = value(sys!(nr::PRCTL, PR_GET_DUMPABLE));
    let bad = outcome(sys!(nr::PRCTL, PR_SET_DUMPABLE, 2));
    format!("before={before} set0={set0} after={after} set2={bad}")
}

fn no_new_privs() -> String {
    let before = value(sys!(nr::PRCTL, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    let bad = outcome(sys!(nr::PRCTL, PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
    let set = outcome(sys!(nr::PRCTL, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    let after = value(sys!(nr::PRCTL, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    let inherited =
        child::run(|| sys!(nr::PRCTL, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0).map_or(-1, |v| v as i32));
    format!("before={before} set0={bad} set1={set} after={after} child: {inherited}")
}

fn unknown_option() -> String {
    outcome(sys!(nr::PRCTL, 0x7fff_0000))
}
