//! Extended FPU state: XCR0, AVX registers kept per thread across context switches and signal handlers, the XSAVE
//! signal frame (UC_FP_XSTATE, `_fpx_sw_bytes`, FP_XSTATE_MAGIC2), what rt_sigreturn accepts, and AT_MINSIGSTKSZ.
//!
//! The YMM registers are loaded and stored around one system call inside a single `asm!` block, so nothing but the
//! kernel can change them in between. Every value printed is a relation to what CPUID reports, not a size or an XCR0
//! value, since those depend on the CPU.

use core::arch::asm;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::SeqCst};

use crate::registry::Case;
use crate::sys::{self, nr, yes};
use crate::{child, sig};

/// The cases of this group.
pub const CASES: &[Case] = &[
    Case::new("fpu.xcr0_user_components", xcr0_user_components),
    Case::new("fpu.at_minsigstksz", at_minsigstksz),
    Case::new("fpu.ymm_preserved_across_yield", ymm_across_yield),
    Case::new("fpu.ymm_across_signal_handler", ymm_across_handler),
    Case::new("fpu.sigreturn_uses_frame_ymm", sigreturn_uses_frame_ymm),
    Case::new(
        "fpu.sigreturn_without_magic_legacy_only",
        sigreturn_legacy_only,
    ),
    Case::new("fpu.sigreturn_bad_xstate_sigsegv", sigreturn_bad_xstate),
];

const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
const UC_FP_XSTATE: u64 = 1;
/// x87, SSE, AVX, AVX-512 (3 components), PKRU: what Linux enables without an arch_prctl request.
const USER_NON_AMX: u64 = 0x2e7;
/// Offsets in the ucontext: `uc_mcontext.fpregs`; in the fpstate: XMM registers, sw_reserved, XSAVE header.
const UC_FPSTATE: usize = 40 + 184;
const FX_XMM: usize = 160;
const FX_SW: usize = 464;
const XSTATE_BV: usize = 512;

type Ymm = [[u8; 32]; 16];

fn osxsave() -> bool {
    core::arch::x86_64::__cpuid(1).ecx & (1 << 27) != 0
}

fn avx() -> bool {
    std::is_x86_feature_detected!("avx")
}

fn xgetbv0() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: only called when CPUID says the OS enabled XSAVE (XGETBV is then available at CPL 3).
    unsafe {
        asm!("xgetbv", in("ecx") 0u32, out("eax") lo, out("edx") hi, options(nomem, nostack))
    };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Distinct bytes for each (seed, register, byte), never zero, so upper halves are always in use.
fn pattern(seed: u8) -> Ymm {
    core::array::from_fn(|r| {
        core::array::from_fn(|b| ((usize::from(seed) * 37 + r * 32 + b) % 251 + 1) as u8)
    })
}

/// Loads ymm0..15 from `load`, makes system call `nr` with three arguments, stores ymm0..15 to `store`.
///
/// # Safety
/// The CPU and the kernel must support AVX; the system call must be harmless for the caller.
#[target_feature(enable = "avx")]
unsafe fn ymm_around_syscall(load: &Ymm, store: &mut Ymm, nr: usize, args: [usize; 3]) -> isize {
    let ret: isize;
    // SAFETY: per the contract; every clobbered register is declared.
    unsafe {
        asm!(
            "vmovdqu ymm0, [{l}]", "vmovdqu ymm1, [{l} + 32]", "vmovdqu ymm2, [{l} + 64]",
            "vmovdqu ymm3, [{l} + 96]", "vmovdqu ymm4, [{l} + 128]", "vmovdqu ymm5, [{l} + 160]",
            "vmovdqu ymm6, [{l} + 192]", "vmovdqu ymm7, [{l} + 224]", "vmovdqu ymm8, [{l} + 256]",
            "vmovdqu ymm9, [{l} + 288]", "vmovdqu ymm10, [{l} + 320]", "vmovdqu ymm11, [{l} + 352]",
            "vmovdqu ymm12, [{l} + 384]", "vmovdqu ymm13, [{l} + 416]", "vmovdqu ymm14, [{l} + 448]",
            "vmovdqu ymm15, [{l} + 480]",
            "syscall",
            "vmovdqu [{s}], ymm0", "vmovdqu [{s} + 32], ymm1", "vmovdqu [{s} + 64], ymm2",
            "vmovdqu [{s} + 96], ymm3", "vmovdqu [{s} + 128], ymm4", "vmovdqu [{s} + 160], ymm5",
            "vmovdqu [{s} + 192], ymm6", "vmovdqu [{s} + 224], ymm7", "vmovdqu [{s} + 256], ymm8",
            "vmovdqu [{s} + 288], ymm9", "vmovdqu [{s} + 320], ymm10", "vmovdqu [{s} + 352], ymm11",
            "vmovdqu [{s} + 384], ymm12", "vmovdqu [{s} + 416], ymm13", "vmovdqu [{s} + 448], ymm14",
            "vmovdqu [{s} + 480], ymm15",
            l = in(reg) load.as_ptr(),
            s = in(reg) store.as_mut_ptr(),
            inlateout("rax") nr => ret,
            in("rdi") args[0], in("rsi") args[1], in("rdx") args[2],
            out("rcx") _, out("r11") _,
            out("ymm0") _, out("ymm1") _, out("ymm2") _, out("ymm3") _,
            out("ymm4") _, out("ymm5") _, out("ymm6") _, out("ymm7") _,
            out("ymm8") _, out("ymm9") _, out("ymm10") _, out("ymm11") _,
            out("ymm12") _, out("ymm13") _, out("ymm14") _, out("ymm15") _,
            options(nostack)
        );
    }
    ret
}

/// Stores the current ymm0..15 (what a signal handler starts with).
///
/// # Safety
/// The CPU and the kernel must support AVX.
#[target_feature(enable = "avx")]
unsafe fn store_ymm(store: &mut Ymm) {
    // SAFETY: only writes `store`.
    unsafe {
        asm!(
            "vmovdqu [{s}], ymm0", "vmovdqu [{s} + 32], ymm1", "vmovdqu [{s} + 64], ymm2",
            "vmovdqu [{s} + 96], ymm3", "vmovdqu [{s} + 128], ymm4", "vmovdqu [{s} + 160], ymm5",
            "vmovdqu [{s} + 192], ymm6", "vmovdqu [{s} + 224], ymm7", "vmovdqu [{s} + 256], ymm8",
            "vmovdqu [{s} + 288], ymm9", "vmovdqu [{s} + 320], ymm10", "vmovdqu [{s} + 352], ymm11",
            "vmovdqu [{s} + 384], ymm12", "vmovdqu [{s} + 416], ymm13", "vmovdqu [{s} + 448], ymm14",
            "vmovdqu [{s} + 480], ymm15",
            s = in(reg) store.as_mut_ptr(),
            options(nostack)
        );
    }
}

fn xcr0_user_components() -> String {
    if !osxsave() {
        return "OSXSAVE=no".to_string();
    }
    let l = core::arch::x86_64::__cpuid_count(0xd, 0);
    let supported = (u64::from(l.edx) << 32) | u64::from(l.eax);
    let xcr0 = xgetbv0();
    format!(
        "OSXSAVE=yes XCR0 has every non-AMX user component CPUID offers={} AVX usable={}",
        yes(xcr0 & USER_NON_AMX == supported & USER_NON_AMX),
        yes(avx())
    )
}

fn at_minsigstksz() -> String {
    // Linux: sizeof(struct sigframe_ia32) + 15 + fpstate (XSAVE size + FP_XSTATE_MAGIC2, or 512) + fsave header
    // (112) + 63 for aligning the fpstate, rounded up to 16.
    let fpstate = if osxsave() {
        u64::from(core::arch::x86_64::__cpuid_count(0xd, 0).ebx) + 4
    } else {
        512
    };
    let expected = (736 + 15 + fpstate + 112 + 63).next_multiple_of(16);
    // SAFETY: getauxval only reads the auxiliary vector.
    let got = unsafe { libc::getauxval(51) };
    format!(
        "AT_MINSIGSTKSZ is Linux's frame size for CPUID's XSAVE size: {}",
        yes(got == expected)
    )
}

/// Runs `rounds` sched_yields with ymm loaded from `pattern(seed)`; counts rounds where a register changed.
fn yield_rounds(seed: u8, rounds: u32) -> u32 {
    let load = pattern(seed);
    let mut bad = 0;
    for _ in 0..rounds {
        let mut out = [[0u8; 32]; 16];
        // SAFETY: AVX was checked; sched_yield has no arguments.
        unsafe { ymm_around_syscall(&load, &mut out, nr::SCHED_YIELD, [0; 3]) };
        if out != load {
            bad += 1;
        }
    }
    bad
}

fn ymm_across_yield() -> String {
    if !avx() {
        return "no AVX".to_string();
    }
    // One CPU for all four threads (where the kernel honours affinity), so each yield switches to another.
    let one_cpu = [1u64; 16];
    let _ = sys!(nr::SCHED_SETAFFINITY, 0, 8, one_cpu.as_ptr());
    let threads: Vec<_> = (1..4u8)
        .map(|seed| std::thread::spawn(move || yield_rounds(seed, 300)))
        .collect();
    let mut bad = yield_rounds(0, 300);
    for t in threads {
        bad += t.join().unwrap_or(1);
    }
    format!(
        "ymm preserved across sched_yield with other threads clobbering ymm: {}",
        yes(bad == 0)
    )
}

/// What the handler saw, and what it should do to the frame.
static SAW_XSTATE: AtomicBool = AtomicBool::new(false);
static SAW_MAGIC1: AtomicBool = AtomicBool::new(false);
static SAW_MAGIC2: AtomicBool = AtomicBool::new(false);
static SAW_SIZES: AtomicBool = AtomicBool::new(false);
static SAW_AVX_BITS: AtomicBool = AtomicBool::new(false);
static FRAME_YMM_MATCH: AtomicBool = AtomicBool::new(false);
static STARTED_CLEAN: AtomicBool = AtomicBool::new(false);
/// Frame edit the handler makes: one of the `EDIT_*` values.
static EDIT: AtomicU32 = AtomicU32::new(EDIT_NONE);
/// The pattern seed the interrupted code loaded (to compare the frame with).
static INTERRUPTED_SEED: AtomicU64 = AtomicU64::new(0);
const EDIT_NONE: u32 = 0;
const EDIT_YMM3: u32 = 1;
const EDIT_DROP_MAGIC: u32 = 2;
const EDIT_HEADER_RESERVED: u32 = 3;
const EDIT_UNKNOWN_XFEATURE: u32 = 4;
const EDIT_BAD_MXCSR: u32 = 5;

fn read_u32(p: *const u8) -> u32 {
    // SAFETY: callers pass addresses inside the live signal frame.
    unsafe { p.cast::<u32>().read_unaligned() }
}

/// Offset of the AVX state (upper halves of ymm0..15) in the standard-format XSAVE image.
fn ymm_offset() -> usize {
    core::arch::x86_64::__cpuid_count(0xd, 2).ebx as usize
}

extern "C" fn inspect_and_clobber(_sig: i32, _info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let mut first = [[0u8; 32]; 16];
    // SAFETY: cases install this handler only when AVX is usable.
    unsafe { store_ymm(&mut first) };
    STARTED_CLEAN.store(
        first.iter().all(|r| r[16..].iter().all(|&b| b == 0)),
        SeqCst,
    );
    let uc = ctx.cast::<u8>();
    // SAFETY: the kernel passes a valid ucontext; its fpregs pointer is the frame's fpstate.
    let (flags, fp) = unsafe { (*uc.cast::<u64>(), *uc.add(UC_FPSTATE).cast::<*mut u8>()) };
    SAW_XSTATE.store(flags & UC_FP_XSTATE != 0, SeqCst);
    // SAFETY: the fpstate is at least the 512-byte legacy area; with magic1 the XSAVE image and magic2 follow.
    unsafe {
        let magic1 = read_u32(fp.add(FX_SW)) == FP_XSTATE_MAGIC1;
        SAW_MAGIC1.store(magic1, SeqCst);
        if !magic1 {
            return;
        }
        let extended = read_u32(fp.add(FX_SW + 4)) as usize;
        let size = read_u32(fp.add(FX_SW + 16)) as usize;
        let xfeatures = fp.add(FX_SW + 8).cast::<u64>().read_unaligned();
        SAW_SIZES.store(extended == size + 4 && size >= ymm_offset() + 256, SeqCst);
        SAW_MAGIC2.store(read_u32(fp.add(size)) == FP_XSTATE_MAGIC2, SeqCst);
        let xstate_bv = fp.add(XSTATE_BV).cast::<u64>().read_unaligned();
        SAW_AVX_BITS.store(
            xstate_bv & 0b111 == 0b111 && xfeatures & 0b111 == 0b111,
            SeqCst,
        );
        let expected = pattern(INTERRUPTED_SEED.load(SeqCst) as u8);
        let ymm = fp.add(ymm_offset());
        FRAME_YMM_MATCH.store(
            (0..16).all(|r| {
                core::slice::from_raw_parts(ymm.add(r * 16), 16) == &expected[r][16..]
                    && core::slice::from_raw_parts(fp.add(FX_XMM + r * 16), 16)
                        == &expected[r][..16]
            }),
            SeqCst,
        );
        match EDIT.load(SeqCst) {
            EDIT_YMM3 => {
                for b in 0..16 {
                    *fp.add(FX_XMM + 3 * 16 + b) ^= 0xff;
                    *ymm.add(3 * 16 + b) ^= 0xff;
                }
            }
            EDIT_DROP_MAGIC => {
                *fp.add(FX_SW) = 0;
                *fp.add(FX_XMM + 2 * 16) ^= 0xff;
            }
            EDIT_HEADER_RESERVED => *fp.add(XSTATE_BV + 16) = 1,
            EDIT_UNKNOWN_XFEATURE => *fp.add(XSTATE_BV + 7) |= 0x40,
            EDIT_BAD_MXCSR => *fp.add(24 + 3) = 0xff,
            _ => {}
        }
    }
    // Clobber every ymm register across a system call of the handler's own.
    let mut out = [[0u8; 32]; 16];
    // SAFETY: AVX is usable; getpid is harmless.
    unsafe { ymm_around_syscall(&pattern(99), &mut out, nr::GETPID, [0; 3]) };
}

/// Loads `pattern(seed)`, sends SIGUSR1 to this thread from inside the asm block (the handler runs on the way back
/// from tgkill), and returns the registers as the interrupted code then finds them.
fn ymm_after_handler(seed: u8, edit: u32) -> Result<Ymm, String> {
    INTERRUPTED_SEED.store(u64::from(seed), SeqCst);
    EDIT.store(edit, SeqCst);
    sig::handle(libc::SIGUSR1, inspect_and_clobber, 0, &[]).map_err(sys::errno_name)?;
    let mut out = [[0u8; 32]; 16];
    let args = [sys::getpid(), sys::gettid(), libc::SIGUSR1 as usize];
    // SAFETY: AVX was checked; tgkill to this thread runs the handler, which returns normally.
    unsafe { ymm_around_syscall(&pattern(seed), &mut out, nr::TGKILL, args) };
    Ok(out)
}

fn ymm_across_handler() -> String {
    if !avx() {
        return "no AVX".to_string();
    }
    let out = match ymm_after_handler(5, EDIT_NONE) {
        Ok(out) => out,
        Err(e) => return e,
    };
    format!(
        "handler: UC_FP_XSTATE={} magic1={} sizes={} magic2={} x87/SSE/AVX in xfeatures and XSTATE_BV={} frame holds the \
         interrupted ymm={} started with zero upper halves={}; ymm after sigreturn preserved={}",
        yes(SAW_XSTATE.load(SeqCst)),
        yes(SAW_MAGIC1.load(SeqCst)),
        yes(SAW_SIZES.load(SeqCst)),
        yes(SAW_MAGIC2.load(SeqCst)),
        yes(SAW_AVX_BITS.load(SeqCst)),
        yes(FRAME_YMM_MATCH.load(SeqCst)),
        yes(STARTED_CLEAN.load(SeqCst)),
        yes(out == pattern(5))
    )
}

fn sigreturn_uses_frame_ymm() -> String {
    if !avx() {
        return "no AVX".to_string();
    }
    let out = match ymm_after_handler(6, EDIT_YMM3) {
        Ok(out) => out,
        Err(e) => return e,
    };
    let mut expected = pattern(6);
    expected[3].iter_mut().for_each(|b| *b ^= 0xff);
    format!(
        "ymm3 as edited in the frame={} others preserved={}",
        yes(out[3] == expected[3]),
        yes(out == expected)
    )
}

fn sigreturn_legacy_only() -> String {
    if !avx() {
        return "no AVX".to_string();
    }
    let out = match ymm_after_handler(7, EDIT_DROP_MAGIC) {
        Ok(out) => out,
        Err(e) => return e,
    };
    let mut xmm = pattern(7);
    xmm[2][0] ^= 0xff;
    format!(
        "xmm from the legacy area={} upper halves reset={}",
        yes((0..16).all(|r| out[r][..16] == xmm[r][..16])),
        yes(out.iter().all(|r| r[16..].iter().all(|&b| b == 0)))
    )
}

fn sigreturn_bad_xstate() -> String {
    if !avx() {
        return "no AVX".to_string();
    }
    let _ = sys!(nr::PRCTL, libc::PR_SET_DUMPABLE, 0);
    let zero = [0u64; 2];
    let _ = sys!(nr::SETRLIMIT, libc::RLIMIT_CORE, zero.as_ptr());
    let fate = |edit| {
        child::run(|| match ymm_after_handler(8, edit) {
            Ok(_) => 0,
            Err(_) => 2,
        })
    };
    format!(
        "reserved header word: {}; unknown xfeature: {}; bad MXCSR: {}",
        fate(EDIT_HEADER_RESERVED),
        fate(EDIT_UNKNOWN_XFEATURE),
        fate(EDIT_BAD_MXCSR)
    )
}
