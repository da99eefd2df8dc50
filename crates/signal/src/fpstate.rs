//! The FPU state in a signal frame as Linux x86_64 lays it out, and the checks
//! `rt_sigreturn` makes before that state may be loaded into the CPU.
//!
//! Without XSAVE the fpstate is the 512-byte FXSAVE image. With XSAVE it is the
//! whole standard-format XSAVE image (64-byte aligned), followed by
//! `FP_XSTATE_MAGIC2`:
//!
//! ```text
//! fpstate ─► legacy FXSAVE area   512   bytes 464..512 (sw_reserved): struct _fpx_sw_bytes
//!            XSAVE header          64   XSTATE_BV, XCOMP_BV (0: standard format), reserved
//!            extended components        AVX, AVX-512, PKRU at the offsets CPUID leaf 0xD gives
//!            FP_XSTATE_MAGIC2       4   at fpstate + xstate_size
//! ```
//!
//! `struct _fpx_sw_bytes` is written in both cases, as Linux does: magic1,
//! extended_size (xstate_size + 4), xfeatures, xstate_size.

use alloc::vec;
use alloc::vec::Vec;

use crate::frame::{offsets, FrameError, FXSAVE_SIZE};

/// `_fpx_sw_bytes.magic1`: the fpstate is extended (XSAVE) state.
pub const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
/// Follows the XSAVE image in a signal frame (checked by `rt_sigreturn`).
pub const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
/// Size of `FP_XSTATE_MAGIC2`.
pub const FP_XSTATE_MAGIC2_SIZE: usize = 4;
/// Offset of the XSAVE header in the image.
pub const XSAVE_HEADER: usize = FXSAVE_SIZE;
/// Size of the XSAVE header.
pub const XSAVE_HEADER_SIZE: usize = 64;
/// XSTATE_BV/XCR0 bits of the legacy x87 and SSE state.
pub const XFEATURE_MASK_FPSSE: u64 = 0b11;
/// XSTATE_BV/XCR0 bit of the AVX state (upper halves of the YMM registers).
pub const XFEATURE_MASK_YMM: u64 = 1 << 2;
/// MXCSR of the initial state (all exceptions masked, round to nearest).
pub const MXCSR_DEFAULT: u32 = 0x1f80;
/// MXCSR bits a CPU whose FXSAVE reports MXCSR_MASK 0 accepts (no DAZ).
pub const MXCSR_MASK_DEFAULT: u32 = 0xffbf;

/// `sizeof(struct sigframe_ia32)`, the largest of the four frame types, which
/// Linux (with IA32 emulation, as distributions build it) uses for
/// AT_MINSIGSTKSZ.
const MAX_FRAME_SIGINFO_UCTXT_SIZE: u64 = 736;
/// `FRAME_ALIGNMENT - 1`.
const MAX_FRAME_PADDING: u64 = 15;
/// The XSAVE image is 64-byte aligned wherever the frame starts.
const MAX_XSAVE_PADDING: u64 = 63;
/// `struct fregs_state`, the fsave header of 32-bit frames, always counted.
const FREGS_STATE_SIZE: u64 = 112;

/// XRSTOR loads MXCSR whenever it restores SSE or AVX.
const MXCSR_USERS: u64 = 0b10 | XFEATURE_MASK_YMM;

/// Offsets inside `struct _fpx_sw_bytes` (at [`offsets::FX_SW_RESERVED`]).
mod sw {
    pub const MAGIC1: usize = 0;
    pub const EXTENDED_SIZE: usize = 4;
    pub const XFEATURES: usize = 8;
    pub const XSTATE_SIZE: usize = 16;
}

/// How this machine saves a thread's FPU state, chosen once at boot; it decides
/// the fpstate part of every signal frame.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FpuFormat {
    /// No XSAVE: the 512-byte FXSAVE image (x87 and SSE).
    Fxsave,
    /// Standard-format XSAVE of the components `features` (= XCR0), `size`
    /// bytes (CPUID.(EAX=0DH,ECX=0):EBX for that XCR0).
    Xsave {
        /// Size of the XSAVE image.
        size: usize,
        /// The enabled state components (XCR0).
        features: u64,
    },
}

impl FpuFormat {
    /// Size of the thread's saved image (Linux's `fpstate->user_size`).
    pub const fn image_size(self) -> usize {
        match self {
            FpuFormat::Fxsave => FXSAVE_SIZE,
            FpuFormat::Xsave { size, .. } => size,
        }
    }

    /// Bytes the fpstate takes in a signal frame (`xstate_sigframe_size`):
    /// the image, plus FP_XSTATE_MAGIC2 with XSAVE.
    pub const fn sigframe_size(self) -> usize {
        match self {
            FpuFormat::Fxsave => FXSAVE_SIZE,
            FpuFormat::Xsave { size, .. } => size + FP_XSTATE_MAGIC2_SIZE,
        }
    }

    /// The state components user space may see (`fpstate->user_xfeatures`).
    pub const fn user_features(self) -> u64 {
        match self {
            FpuFormat::Fxsave => XFEATURE_MASK_FPSSE,
            FpuFormat::Xsave { features, .. } => features,
        }
    }

    /// Whether frames carry extended state (`uc_flags` gets UC_FP_XSTATE).
    pub const fn is_xsave(self) -> bool {
        matches!(self, FpuFormat::Xsave { .. })
    }

    /// AT_MINSIGSTKSZ: the worst-case signal frame, as Linux's
    /// `init_sigframe_size` computes it (frame, padding, fpstate with the
    /// magic and the 32-bit fsave header, alignment), rounded up to 16.
    pub const fn min_signal_stack(self) -> u64 {
        let size = MAX_FRAME_SIGINFO_UCTXT_SIZE
            + MAX_FRAME_PADDING
            + self.sigframe_size() as u64
            + FREGS_STATE_SIZE
            + MAX_XSAVE_PADDING;
        size.next_multiple_of(16)
    }

    /// Alignment the fpstate pointer needs for the restore instruction
    /// (FXRSTOR 16, XRSTOR 64); a misaligned pointer faults on Linux.
    const fn alignment(self, extended: bool) -> u64 {
        if extended {
            64
        } else {
            16
        }
    }
}

/// A thread's saved FPU registers: the image as FXSAVE or XSAVE stored it, and its format.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FpuImage<'a> {
    /// How the image is laid out.
    pub format: FpuFormat,
    /// At least [`FpuFormat::image_size`] bytes.
    pub bytes: &'a [u8],
}

/// Writes the fpstate of a signal frame into `out` ([`FpuFormat::sigframe_size`]
/// bytes) from the thread's saved `image` (at least [`FpuFormat::image_size`]
/// bytes, as FXSAVE or XSAVE stored it): the image, `_fpx_sw_bytes` in the
/// sw_reserved bytes and, with XSAVE, a clean header whose XSTATE_BV always has
/// the x87 and SSE bits (so legacy handlers' edits are restored) and
/// FP_XSTATE_MAGIC2 after the image.
pub fn write_sigframe_fpstate(format: FpuFormat, image: &[u8], out: &mut [u8]) {
    let size = format.image_size();
    out[..size].copy_from_slice(&image[..size]);
    let swr = &mut out[offsets::FX_SW_RESERVED..FXSAVE_SIZE];
    swr.fill(0);
    put_u32(swr, sw::MAGIC1, FP_XSTATE_MAGIC1);
    put_u32(
        swr,
        sw::EXTENDED_SIZE,
        (size + FP_XSTATE_MAGIC2_SIZE) as u32,
    );
    put_u64(swr, sw::XFEATURES, format.user_features());
    put_u32(swr, sw::XSTATE_SIZE, size as u32);
    if let FpuFormat::Xsave { .. } = format {
        let xstate_bv = get_u64(out, XSAVE_HEADER) | XFEATURE_MASK_FPSSE;
        out[XSAVE_HEADER..XSAVE_HEADER + XSAVE_HEADER_SIZE].fill(0);
        put_u64(out, XSAVE_HEADER, xstate_bv);
        put_u32(out, size, FP_XSTATE_MAGIC2);
    }
}

/// Reads the fpstate at `addr` that `rt_sigreturn` found in `sigcontext.fpstate`
/// and returns the image to load ([`FpuFormat::image_size`] bytes, safe for
/// FXRSTOR/XRSTOR of every enabled component). `read(addr, buf)` copies user
/// memory and returns false on a fault.
///
/// As Linux: with XSAVE, magic1 in sw_reserved and FP_XSTATE_MAGIC2 at
/// `addr + image_size` select the full image, restoring the components in
/// `_fpx_sw_bytes.xfeatures` and resetting the others; otherwise only the
/// legacy x87/SSE part is taken and everything else is reset. What the
/// restore instruction would fault on is refused (Linux then sends SIGSEGV):
/// a pointer misaligned for it, MXCSR bits outside `mxcsr_mask`, XSTATE_BV
/// bits that are not enabled, or a non-zero XCOMP_BV or reserved header word.
pub fn read_sigreturn_fpstate(
    format: FpuFormat,
    addr: u64,
    mxcsr_mask: u32,
    read: &mut dyn FnMut(u64, &mut [u8]) -> bool,
) -> Result<Vec<u8>, FrameError> {
    let mut legacy = [0u8; FXSAVE_SIZE];
    if !read(addr, &mut legacy) {
        return Err(FrameError::Fault(addr));
    }
    let extended = match format {
        FpuFormat::Fxsave => false,
        FpuFormat::Xsave { size, .. } => {
            get_u32(&legacy, offsets::FX_SW_RESERVED + sw::MAGIC1) == FP_XSTATE_MAGIC1 && {
                let at = addr
                    .checked_add(size as u64)
                    .ok_or(FrameError::Fault(addr))?;
                let mut magic2 = [0u8; FP_XSTATE_MAGIC2_SIZE];
                if !read(at, &mut magic2) {
                    return Err(FrameError::Fault(at));
                }
                u32::from_le_bytes(magic2) == FP_XSTATE_MAGIC2
            }
        }
    };
    if !addr.is_multiple_of(format.alignment(extended)) {
        return Err(FrameError::MisalignedFpstate(addr));
    }
    let mut image = vec![0u8; format.image_size()];
    if !extended {
        check_mxcsr(&legacy, mxcsr_mask)?;
        image[..FXSAVE_SIZE].copy_from_slice(&legacy);
        if format.is_xsave() {
            put_u64(&mut image, XSAVE_HEADER, XFEATURE_MASK_FPSSE);
        }
        return Ok(image);
    }
    if !read(addr, &mut image) {
        return Err(FrameError::Fault(addr));
    }
    let features = format.user_features();
    check_xsave_header(&image, features)?;
    let requested = get_u64(&image, offsets::FX_SW_RESERVED + sw::XFEATURES) & features;
    if requested & MXCSR_USERS != 0 {
        check_mxcsr(&image, mxcsr_mask)?;
    } else {
        put_u32(&mut image, offsets::FX_MXCSR, MXCSR_DEFAULT);
    }
    // Components not requested go to their initial state: clear their XSTATE_BV bits.
    let xstate_bv = get_u64(&image, XSAVE_HEADER) & requested;
    image[XSAVE_HEADER..XSAVE_HEADER + XSAVE_HEADER_SIZE].fill(0);
    put_u64(&mut image, XSAVE_HEADER, xstate_bv);
    Ok(image)
}

/// Checks an XSAVE image before XRSTOR (standard format) with `features`
/// enabled: XSTATE_BV only has enabled components, XCOMP_BV and the next
/// reserved word (header bytes 8..24) are zero, and MXCSR is valid for
/// `mxcsr_mask`. XRSTOR raises #GP otherwise.
pub fn check_xsave_image(image: &[u8], features: u64, mxcsr_mask: u32) -> Result<(), FrameError> {
    if image.len() < XSAVE_HEADER + XSAVE_HEADER_SIZE {
        return Err(FrameError::Truncated(image.len()));
    }
    check_xsave_header(image, features)?;
    check_mxcsr(image, mxcsr_mask)
}

fn check_xsave_header(image: &[u8], features: u64) -> Result<(), FrameError> {
    let xstate_bv = get_u64(image, XSAVE_HEADER);
    if xstate_bv & !features != 0 {
        return Err(FrameError::BadXstateHeader);
    }
    if image[XSAVE_HEADER + 8..XSAVE_HEADER + 24]
        .iter()
        .any(|&b| b != 0)
    {
        return Err(FrameError::BadXstateHeader);
    }
    Ok(())
}

fn check_mxcsr(image: &[u8], mxcsr_mask: u32) -> Result<(), FrameError> {
    let mxcsr = get_u32(image, offsets::FX_MXCSR);
    if mxcsr & !mxcsr_mask != 0 {
        return Err(FrameError::BadMxcsr(mxcsr));
    }
    Ok(())
}

fn put_u32(buf: &mut [u8], offset: usize, value: u32) {
    buf[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
}

fn put_u64(buf: &mut [u8], offset: usize, value: u64) {
    buf[offset..offset + 8].copy_from_slice(&value.to_le_bytes());
}

fn get_u32(buf: &[u8], offset: usize) -> u32 {
    let mut raw = [0u8; 4];
    raw.copy_from_slice(&buf[offset..offset + 4]);
    u32::from_le_bytes(raw)
}

fn get_u64(buf: &[u8], offset: usize) -> u64 {
    let mut raw = [0u8; 8];
    raw.copy_from_slice(&buf[offset..offset + 8]);
    u64::from_le_bytes(raw)
}
