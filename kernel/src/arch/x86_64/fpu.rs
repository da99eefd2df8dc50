//! Per-thread user FPU state. Where the CPU has XSAVE, every user state component Linux enables is turned on in
//! XCR0 (x87, SSE, AVX, the AVX-512 opmask/ZMM components, PKRU; not AMX, which Linux grants only on request) and
//! each thread's registers are kept in a standard-format XSAVE image of the size CPUID leaf 0xD gives for that XCR0.
//! Without XSAVE, the 512-byte FXSAVE image. The boot CPU decides; the other CPUs program the same XCR0.

use alloc::boxed::Box;
use alloc::vec;
use basalt_signal::{check_xsave_image, FpuFormat, MXCSR_DEFAULT, MXCSR_MASK_DEFAULT};
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use x86_64::registers::control::{Cr4, Cr4Flags};

use super::cpu::cpuid;

/// XCR0 bits Linux gives user space by default: x87, SSE, AVX, AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM), PKRU.
const USER_FEATURES: u64 = 0b11 | 1 << 2 | AVX512 | 1 << 9;
/// The three AVX-512 components, only usable together (and with AVX).
const AVX512: u64 = 0b111 << 5;
const AVX: u64 = 1 << 2;

/// Enabled XCR0; 0 while FXSAVE is used.
static XCR0: AtomicU64 = AtomicU64::new(0);
/// Size of a thread's image: 512 (FXSAVE) or the XSAVE area size for XCR0.
static IMAGE_SIZE: AtomicUsize = AtomicUsize::new(basalt_signal::FXSAVE_SIZE);
/// MXCSR bits FXRSTOR/XRSTOR accept on this CPU.
static MXCSR_MASK: AtomicU32 = AtomicU32::new(MXCSR_MASK_DEFAULT);

/// Set up FPU state handling on the boot CPU (before any thread exists): choose XCR0 and the image size.
/// CR4.OSFXSR must already be set.
pub fn init_boot_cpu() {
    let (max_leaf, ..) = cpuid(0, 0);
    let (_, _, ecx1, _) = cpuid(1, 0);
    MXCSR_MASK.store(read_mxcsr_mask(), Ordering::Relaxed);
    if ecx1 & (1 << 26) == 0 || max_leaf < 0xd {
        log::info!("FPU: FXSAVE (no XSAVE), 512-byte state per thread");
        return;
    }
    let (eax, _, _, edx) = cpuid(0xd, 0);
    let mut xcr0 = ((u64::from(edx) << 32) | u64::from(eax)) & USER_FEATURES;
    if xcr0 & AVX512 != AVX512 || xcr0 & AVX == 0 {
        xcr0 &= !AVX512;
    }
    if xcr0 & 0b11 != 0b11 {
        log::warn!("FPU: XSAVE without x87/SSE state ({xcr0:#x}); using FXSAVE");
        return;
    }
    enable_xsave(xcr0);
    // EBX: size of the XSAVE area for the components enabled in XCR0 right now.
    let (_, size, _, _) = cpuid(0xd, 0);
    let size = (size as usize).max(basalt_signal::FXSAVE_SIZE + basalt_signal::XSAVE_HEADER_SIZE);
    IMAGE_SIZE.store(size, Ordering::Relaxed);
    XCR0.store(xcr0, Ordering::Release);
    log::info!("FPU: XSAVE, XCR0 {xcr0:#x}, {size}-byte state per thread");
}

/// Set up an application processor like the boot CPU.
pub fn init_this_cpu() {
    let xcr0 = XCR0.load(Ordering::Acquire);
    if xcr0 != 0 {
        enable_xsave(xcr0);
    }
}

fn enable_xsave(xcr0: u64) {
    // SAFETY: CPUID reports XSAVE, so CR4.OSXSAVE may be set; xcr0 only holds components CPUID.(0xd,0) reports, with
    // x87 and SSE set and AVX-512 only together with AVX, so XSETBV accepts it. The kernel itself uses no FPU/SIMD
    // registers; user state is saved and restored with the matching XSAVE/XRSTOR below.
    unsafe {
        Cr4::update(|c| *c |= Cr4Flags::OSXSAVE);
        core::arch::asm!(
            "xsetbv",
            in("ecx") 0u32,
            in("eax") xcr0 as u32,
            in("edx") (xcr0 >> 32) as u32,
            options(nomem, nostack, preserves_flags)
        );
    }
}

/// MXCSR_MASK as FXSAVE reports it (0 means the CPU predates DAZ: 0xffbf).
fn read_mxcsr_mask() -> u32 {
    let mut image = [Chunk([0; 64]); 8];
    // SAFETY: a 512-byte, 64-aligned buffer on this stack; CR4.OSFXSR is set.
    unsafe {
        core::arch::asm!("fxsave64 [{}]", in(reg) image.as_mut_ptr(), options(nostack, preserves_flags));
    }
    let b = &image[0].0;
    match u32::from_le_bytes([b[28], b[29], b[30], b[31]]) {
        0 => MXCSR_MASK_DEFAULT,
        mask => mask,
    }
}

/// The format of every thread's image, which decides the fpstate of signal frames and AT_MINSIGSTKSZ.
pub fn format() -> FpuFormat {
    match XCR0.load(Ordering::Acquire) {
        0 => FpuFormat::Fxsave,
        features => FpuFormat::Xsave {
            size: IMAGE_SIZE.load(Ordering::Relaxed),
            features,
        },
    }
}

/// MXCSR bits this CPU accepts (for checking user-supplied state).
pub fn mxcsr_mask() -> u32 {
    MXCSR_MASK.load(Ordering::Relaxed)
}

/// 64 bytes with the alignment XSAVE needs; an image is a run of them.
#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct Chunk([u8; 64]);

/// A thread's saved x87/SSE/AVX/... registers: an FXSAVE or XSAVE image (see [`format`]), heap-allocated and
/// 64-byte aligned. Its contents only come from [`FpuState::initial`], the CPU ([`FpuState::save`]) or a checked
/// image ([`FpuState::from_image`]), so restoring it never faults.
#[derive(Clone)]
pub struct FpuState(Box<[Chunk]>);

impl FpuState {
    /// The state a new program starts with: every component in its initial state (XSTATE_BV 0), FCW 0x37f,
    /// MXCSR 0x1f80.
    pub fn initial() -> Self {
        let size = IMAGE_SIZE.load(Ordering::Relaxed);
        let mut s = FpuState(vec![Chunk([0; 64]); size.div_ceil(64)].into_boxed_slice());
        let bytes = s.bytes_mut();
        bytes[0..2].copy_from_slice(&0x037fu16.to_le_bytes());
        bytes[24..28].copy_from_slice(&MXCSR_DEFAULT.to_le_bytes());
        s
    }

    /// A state holding `image` (as [`basalt_signal::read_sigreturn_fpstate`] builds it), if it has this machine's
    /// size and FXRSTOR/XRSTOR would accept it.
    pub fn from_image(image: &[u8]) -> Option<Self> {
        let format = format();
        if image.len() != format.image_size() {
            return None;
        }
        let valid = match format {
            FpuFormat::Fxsave => {
                let mxcsr = u32::from_le_bytes([image[24], image[25], image[26], image[27]]);
                mxcsr & !mxcsr_mask() == 0
            }
            FpuFormat::Xsave { features, .. } => {
                check_xsave_image(image, features, mxcsr_mask()).is_ok()
            }
        };
        if !valid {
            return None;
        }
        let mut s = Self::initial();
        s.bytes_mut()[..image.len()].copy_from_slice(image);
        Some(s)
    }

    /// The image bytes ([`format`]'s size).
    pub fn bytes(&self) -> &[u8] {
        let len = IMAGE_SIZE.load(Ordering::Relaxed).min(self.0.len() * 64);
        // SAFETY: the chunks are plain bytes laid out contiguously (repr(C), size 64 = alignment, no padding).
        unsafe { core::slice::from_raw_parts(self.0.as_ptr().cast::<u8>(), len) }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        let len = self.0.len() * 64;
        // SAFETY: as in `bytes`, through the unique borrow.
        unsafe { core::slice::from_raw_parts_mut(self.0.as_mut_ptr().cast::<u8>(), len) }
    }

    /// Save this CPU's user FPU registers.
    pub fn save(&mut self) {
        let area = self.0.as_mut_ptr();
        if XCR0.load(Ordering::Relaxed) != 0 {
            // SAFETY: the area is 64-aligned and as large as CPUID says XSAVE writes for XCR0 (RFBM = XCR0);
            // CR4.OSXSAVE is set on every CPU before threads run.
            unsafe {
                core::arch::asm!(
                    "xsave64 [{}]",
                    in(reg) area,
                    in("eax") u32::MAX,
                    in("edx") u32::MAX,
                    options(nostack, preserves_flags)
                )
            };
        } else {
            // SAFETY: the area is at least 512 bytes, 16-aligned; CR4.OSFXSR is set.
            unsafe {
                core::arch::asm!("fxsave64 [{}]", in(reg) area, options(nostack, preserves_flags))
            };
        }
    }

    /// Load this state into the CPU's user FPU registers.
    pub fn restore(&self) {
        let area = self.0.as_ptr();
        if XCR0.load(Ordering::Relaxed) != 0 {
            // SAFETY: as in `save`; the image came from XSAVE, `initial` or a checked `from_image` (XSTATE_BV within
            // XCR0, XCOMP_BV and reserved header bytes zero, valid MXCSR), so XRSTOR does not fault.
            unsafe {
                core::arch::asm!(
                    "xrstor64 [{}]",
                    in(reg) area,
                    in("eax") u32::MAX,
                    in("edx") u32::MAX,
                    options(nostack, preserves_flags)
                )
            };
        } else {
            // SAFETY: as in `save`; the image came from fxsave, `initial` or `from_image` (valid MXCSR).
            unsafe {
                core::arch::asm!("fxrstor64 [{}]", in(reg) area, options(nostack, preserves_flags))
            };
        }
    }
}
