//! Hardware exceptions turned into signals: SIGSEGV (si_code and si_addr), SIGBUS, SIGILL, SIGFPE, SIGTRAP; what
//! happens when the fault signal is blocked or ignored; and automatic stack growth.
//!
//! Faults that cannot be repaired (address 0, kernel addresses) are taken in a child whose handler reports the
//! siginfo through a pipe and exits, since returning would fault again.

use core::sync::atomic::{AtomicI32, AtomicUsize, Ordering::SeqCst};

use crate::child::{self, close, pipe, read_to_end};
use crate::registry::Case;
use crate::signame::{si_code_name, signal_name};
use crate::sys::{self, errno_name, nr, PAGE};
use crate::{scratch, sig};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("fault.null_read_maperr", null_read),
    Case::new("fault.kernel_address_maperr", kernel_address),
    Case::new("fault.noncanonical_address", noncanonical_address),
    Case::new("fault.ud2_sigill", ud2_sigill),
    Case::new("fault.divide_by_zero_sigfpe", divide_by_zero),
    Case::new("fault.int3_sigtrap", int3_sigtrap),
    Case::new("fault.default_segv_kills", default_segv_kills),
    Case::new("fault.blocked_segv_kills", blocked_segv_kills),
    Case::new("fault.ignored_segv_kills", ignored_segv_kills),
    Case::new("fault.sigbus_default_kills", sigbus_default_kills),
    Case::new("fault.stack_growth", stack_growth),
];

static REPORT_FD: AtomicI32 = AtomicI32::new(-1);
static EXPECTED_ADDR: AtomicUsize = AtomicUsize::new(0);

/// Writes the signal, si_code and whether si_addr was the expected address to [`REPORT_FD`], then exits.
extern "C" fn report_and_exit(sig: i32, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to SA_SIGINFO handlers.
    let (code, addr) = unsafe { ((*info).si_code, (*info).si_addr() as usize) };
    let same = i64::from(addr == EXPECTED_ADDR.load(SeqCst));
    let record: [i64; 3] = [i64::from(sig), i64::from(code), same];
    let _ = sys!(nr::WRITE, REPORT_FD.load(SeqCst), record.as_ptr(), 24);
    let _ = sys!(nr::EXIT_GROUP, 0);
}

/// In a child with [`report_and_exit`] on the fault signals, runs `touch`; describes the reported fault.
fn fault_in_child(expected_addr: usize, touch: impl FnOnce()) -> String {
    let (r, w) = pipe();
    let pid = child::spawn(|| {
        REPORT_FD.store(w, SeqCst);
        EXPECTED_ADDR.store(expected_addr, SeqCst);
        for s in [
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGILL,
            libc::SIGFPE,
            libc::SIGTRAP,
        ] {
            let _ = sig::handle(s, report_and_exit, 0, &[]);
        }
        touch();
        1
    });
    close(w);
    let Ok(pid) = pid else {
        return "fork failed".to_string();
    };
    let data = read_to_end(r);
    close(r);
    let status = child::wait_text(pid);
    if data.len() != 24 {
        return format!("no signal reported; child {status}");
    }
    let field = |i: usize| i64::from_ne_bytes(data[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    let signo = field(0) as i32;
    format!(
        "{} {} addr={}",
        signal_name(signo),
        si_code_name(signo, field(1) as i32),
        if field(2) == 1 { "same" } else { "differ" }
    )
}

/// An executable page holding `code`; returns its address.
fn code_page(code: &[u8]) -> Option<usize> {
    let prot = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
    let a = sys!(
        nr::MMAP,
        0,
        PAGE,
        prot,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1i64,
        0
    )
    .ok()?;
    for (i, &b) in code.iter().enumerate() {
        // SAFETY: mapped writable.
        unsafe { sys::poke(a + i, b) };
    }
    Some(a)
}

fn null_read() -> String {
    // SAFETY: faults by design, in a child.
    fault_in_child(0, || unsafe {
        sys::peek(0);
    })
}

fn kernel_address() -> String {
    // SAFETY: faults by design, in a child.
    fault_in_child(sys::KERNEL_PTR, || unsafe { sys::poke(sys::KERNEL_PTR, 1) })
}

fn noncanonical_address() -> String {
    // A general-protection fault, not a page fault: Linux reports SI_KERNEL with si_addr 0.
    // SAFETY: faults by design, in a child.
    fault_in_child(0, || unsafe {
        sys::peek(0x8000_0000_0000_0000);
    })
}

fn ud2_sigill() -> String {
    let Some(a) = code_page(&[0x0f, 0x0b]) else {
        return "mmap failed".to_string();
    };
    // SAFETY: executes ud2 in a child.
    fault_in_child(a, || unsafe { sys::call_at(a) })
}

fn divide_by_zero() -> String {
    // xor eax,eax; cdq; idiv eax; ret -- the fault is at the idiv, 3 bytes in.
    let Some(a) = code_page(&[0x31, 0xc0, 0x99, 0xf7, 0xf8, 0xc3]) else {
        return "mmap failed".to_string();
    };
    // SAFETY: divides by zero in a child.
    fault_in_child(a + 3, || unsafe { sys::call_at(a) })
}

fn int3_sigtrap() -> String {
    // int3; ret. The trap is reported by the kernel itself (SI_KERNEL), with no address.
    let Some(a) = code_page(&[0xcc, 0xc3]) else {
        return "mmap failed".to_string();
    };
    // SAFETY: traps in a child.
    fault_in_child(0, || unsafe { sys::call_at(a) })
}

fn default_segv_kills() -> String {
    // SAFETY: faults by design, in a child.
    child::run(|| unsafe {
        sys::peek(0);
        0
    })
}

fn blocked_segv_kills() -> String {
    child::run(|| {
        let _ = sig::record_on(libc::SIGSEGV, 0);
        sig::block(&[libc::SIGSEGV]);
        // SAFETY: faults by design; a blocked fault signal is forced through with the default action.
        unsafe { sys::peek(0) };
        0
    })
}

fn ignored_segv_kills() -> String {
    child::run(|| {
        sig::disposition(libc::SIGSEGV, libc::SIG_IGN);
        // SAFETY: faults by design; an ignored fault signal still kills.
        unsafe { sys::peek(0) };
        0
    })
}

fn sigbus_default_kills() -> String {
    let p = match scratch::create("sigbus", b"short", 0o644) {
        Ok(p) => p,
        Err(e) => return format!("create {}", errno_name(e)),
    };
    let text = match scratch::open(&p, libc::O_RDONLY, 0) {
        Ok(fd) => match sys!(
            nr::MMAP,
            0,
            2 * PAGE,
            libc::PROT_READ,
            libc::MAP_PRIVATE,
            fd,
            0
        ) {
            // SAFETY: the second page is beyond EOF: SIGBUS, in a child.
            Ok(a) => child::run(|| unsafe {
                sys::peek(a + PAGE);
                0
            }),
            Err(e) => format!("mmap {}", errno_name(e)),
        },
        Err(e) => format!("open {}", errno_name(e)),
    };
    scratch::remove(&p);
    text
}

/// Uses about 64 KiB of stack per level.
#[inline(never)]
fn recurse(depth: usize) -> u64 {
    let mut frame = [0u8; 64 * 1024];
    frame[depth % 100] = depth as u8;
    let frame = std::hint::black_box(&mut frame);
    if depth == 0 {
        return u64::from(frame[0]);
    }
    recurse(depth - 1) + u64::from(frame[depth % 100])
}

fn stack_growth() -> String {
    // 4 MiB deep on the main thread: the kernel grows the stack mapping on demand (limit 8 MiB by default).
    let sum = recurse(64);
    format!("grew 4MiB checksum={sum}")
}
