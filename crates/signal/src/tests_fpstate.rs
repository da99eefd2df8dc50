//! The fpstate of signal frames: XSAVE layout, magic words, AT_MINSIGSTKSZ,
//! and the checks rt_sigreturn makes on what user space hands back.

use alloc::vec;
use alloc::vec::Vec;

use crate::tests_pending::XorShift;
use crate::*;

/// x87, SSE and AVX: the XSAVE area QEMU's `-cpu max` gives without AVX-512.
const AVX: FpuFormat = FpuFormat::Xsave {
    size: 832,
    features: 0b111,
};
const MASK: u32 = 0xffff;

fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    u32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap())
}

fn u64_at(bytes: &[u8], offset: usize) -> u64 {
    u64::from_le_bytes(bytes[offset..offset + 8].try_into().unwrap())
}

/// What XSAVE would store: a recognisable pattern, valid MXCSR, XSTATE_BV with
/// x87 and AVX (SSE in its initial state), garbage in the header bytes XSAVE
/// leaves alone.
fn xsave_image(format: FpuFormat) -> Vec<u8> {
    let mut image: Vec<u8> = (0..format.image_size())
        .map(|i| (i % 253) as u8 | 1)
        .collect();
    image[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
    if format.is_xsave() {
        image[512..576].fill(0xee);
        image[512..520].copy_from_slice(&0b101u64.to_le_bytes());
    }
    image
}

fn action() -> SigAction {
    SigAction {
        handler: Handler::User(0x40_1000),
        flags: flags::SA_RESTORER | flags::SA_SIGINFO,
        restorer: 0x40_2000,
        mask: SigSet::EMPTY,
    }
}

fn regs(rsp: u64) -> UserRegs {
    UserRegs {
        rsp,
        ..UserRegs::default()
    }
}

/// User memory holding `bytes` at `base`; reads outside it fault.
fn memory(base: u64, bytes: &[u8]) -> impl FnMut(u64, &mut [u8]) -> bool + '_ {
    move |addr, buf| {
        let Some(start) = addr.checked_sub(base) else {
            return false;
        };
        let start = start as usize;
        match bytes.get(start..start + buf.len()) {
            Some(src) => {
                buf.copy_from_slice(src);
                true
            }
            None => false,
        }
    }
}

/// rt_sigreturn's read of the fpstate at `addr` from user memory holding `bytes` at `base`.
fn restore(
    format: FpuFormat,
    addr: u64,
    mask: u32,
    base: u64,
    bytes: &[u8],
) -> Result<Vec<u8>, FrameError> {
    let mut user = memory(base, bytes);
    read_sigreturn_fpstate(format, addr, mask, &mut user)
}

/// A signal frame fpstate written at `addr` (64-aligned) for `image`.
fn sigframe_fpstate(format: FpuFormat, image: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; format.sigframe_size()];
    write_sigframe_fpstate(format, image, &mut out);
    out
}

#[test]
fn sizes_and_min_signal_stack() {
    assert_eq!(FpuFormat::Fxsave.image_size(), 512);
    assert_eq!(FpuFormat::Fxsave.sigframe_size(), 512);
    assert_eq!(FpuFormat::Fxsave.user_features(), 3);
    assert_eq!(FpuFormat::Fxsave.min_signal_stack(), 1440);
    assert_eq!(AVX.sigframe_size(), 836);
    assert!(AVX.is_xsave() && !FpuFormat::Fxsave.is_xsave());
    // Linux 6.18 on a CPU with AVX-512 and AMX (XCR0 0x600e7, XSAVE size 11008)
    // reports AT_MINSIGSTKSZ 11952.
    let host = FpuFormat::Xsave {
        size: 11008,
        features: 0x600e7,
    };
    assert_eq!(host.min_signal_stack(), 11952);
    for size in [576, 832, 2696, 11008] {
        let f = FpuFormat::Xsave { size, features: 7 };
        assert_eq!(f.min_signal_stack() % 16, 0);
        assert!(f.min_signal_stack() >= (RT_SIGFRAME_SIZE + size + 4 + 63 + 15) as u64);
    }
}

#[test]
fn xsave_frame_layout_and_magic_words() {
    let image = xsave_image(AVX);
    let rsp = 0x7fff_ffff_e123u64;
    let frame = build_rt_sigframe(
        &regs(rsp),
        &SigInfo::kernel(SIGUSR1),
        SigSet::EMPTY,
        &AltStack::NONE,
        &action(),
        FpuImage {
            format: AVX,
            bytes: &image,
        },
        TrapState::default(),
    )
    .unwrap();
    let fp = (rsp - RED_ZONE - 836) & !63;
    assert_eq!(frame.fpstate_addr, fp);
    assert_eq!(frame.frame_addr, ((fp - 440) & !15) - 8);
    assert_eq!(frame.bytes.len() as u64, fp + 836 - frame.frame_addr);
    let b = &frame.bytes;
    assert_eq!(
        u64_at(b, offsets::UC_FLAGS),
        UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS
    );
    assert_eq!(u64_at(b, offsets::UC_MCONTEXT + offsets::SC_FPSTATE), fp);

    let x = &b[(fp - frame.frame_addr) as usize..];
    assert_eq!(&x[..464], &image[..464], "legacy area as saved");
    assert_eq!(u32_at(x, 464), FP_XSTATE_MAGIC1);
    assert_eq!(u32_at(x, 468), 836, "extended_size");
    assert_eq!(u64_at(x, 472), 7, "xfeatures");
    assert_eq!(u32_at(x, 480), 832, "xstate_size");
    assert!(x[484..512].iter().all(|&v| v == 0));
    assert_eq!(u64_at(x, 512), 0b111, "XSTATE_BV gains x87 and SSE");
    assert!(x[520..576].iter().all(|&v| v == 0), "clean header");
    assert_eq!(&x[576..832], &image[576..832], "YMM upper halves");
    assert_eq!(u32_at(x, 832), FP_XSTATE_MAGIC2);

    // The image must be as large as the format says.
    assert_eq!(
        build_rt_sigframe(
            &regs(rsp),
            &SigInfo::kernel(SIGUSR1),
            SigSet::EMPTY,
            &AltStack::NONE,
            &action(),
            FpuImage {
                format: AVX,
                bytes: &image[..600],
            },
            TrapState::default(),
        ),
        Err(FrameError::ShortFpuImage(600))
    );
}

#[test]
fn large_xsave_area_on_a_small_alternate_stack() {
    let big = FpuFormat::Xsave {
        size: 2696,
        features: 0x207,
    };
    let alt = AltStack {
        sp: 0x10_0000,
        size: 2048,
        flags: 0,
    };
    let mut onstack = action();
    onstack.flags |= flags::SA_ONSTACK;
    let build = |alt: &AltStack| {
        build_rt_sigframe(
            &regs(0x7000_0000),
            &SigInfo::kernel(SIGUSR1),
            SigSet::EMPTY,
            alt,
            &onstack,
            FpuImage {
                format: big,
                bytes: &xsave_image(big),
            },
            TrapState::default(),
        )
    };
    assert_eq!(build(&alt), Err(FrameError::AltStackOverflow));
    let enough = AltStack {
        size: big.min_signal_stack(),
        ..alt
    };
    let frame = build(&enough).unwrap();
    assert!(enough.contains(frame.frame_addr));
    assert_eq!(frame.fpstate_addr, (0x10_0000 + enough.size - 2700) & !63);
}

#[test]
fn sigreturn_roundtrip_restores_the_image() {
    let image = xsave_image(AVX);
    let addr = 0x7000_1000;
    let fpstate = sigframe_fpstate(AVX, &image);
    let back = restore(AVX, addr, MASK, addr, &fpstate).unwrap();
    assert_eq!(back.len(), 832);
    assert_eq!(&back[..464], &image[..464]);
    assert_eq!(u64_at(&back, 512), 0b111);
    assert!(back[520..576].iter().all(|&v| v == 0));
    assert_eq!(&back[576..], &image[576..]);
    assert_eq!(check_xsave_image(&back, 7, MASK), Ok(()));

    // A handler edits a YMM upper half in the frame: that is what comes back.
    let mut edited = fpstate.clone();
    edited[600] ^= 0xff;
    let back = restore(AVX, addr, MASK, addr, &edited).unwrap();
    assert_eq!(back[600], image[600] ^ 0xff);
}

#[test]
fn sigreturn_rejects_a_corrupt_xsave_header() {
    let addr = 0x7000_1000;
    let good = sigframe_fpstate(AVX, &xsave_image(AVX));
    let with = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut f = good.clone();
        edit(&mut f);
        restore(AVX, addr, MASK, addr, &f)
    };
    // A component that is not enabled (AVX-512 opmask).
    assert_eq!(
        with(&|f| f[512] |= 1 << 5),
        Err(FrameError::BadXstateHeader)
    );
    assert_eq!(with(&|f| f[519] |= 0x80), Err(FrameError::BadXstateHeader));
    // XCOMP_BV (compacted format) and the reserved word after it.
    assert_eq!(with(&|f| f[527] = 0x80), Err(FrameError::BadXstateHeader));
    assert_eq!(with(&|f| f[530] = 1), Err(FrameError::BadXstateHeader));
    // The rest of the header is ignored by XRSTOR's standard form, and cleaned.
    let back = with(&|f| f[560] = 0x5a).unwrap();
    assert!(back[520..576].iter().all(|&v| v == 0));
    // MXCSR with reserved bits.
    assert_eq!(
        with(&|f| f[24..28].copy_from_slice(&0x1_0000u32.to_le_bytes())),
        Err(FrameError::BadMxcsr(0x1_0000))
    );
    // Misaligned for XRSTOR.
    let off = addr + 16;
    assert_eq!(
        restore(AVX, off, MASK, off, &good),
        Err(FrameError::MisalignedFpstate(off))
    );
    // The image or magic2 lies in unmapped memory.
    assert_eq!(
        restore(AVX, addr, MASK, addr, &good[..700]),
        Err(FrameError::Fault(addr + 832))
    );
    assert_eq!(
        restore(AVX, addr, MASK, addr, &good[..100]),
        Err(FrameError::Fault(addr))
    );
}

#[test]
fn sigreturn_without_magic_restores_the_legacy_part_only() {
    let addr = 0x7000_1010; // 16-aligned is enough for FXRSTOR
    let image = xsave_image(AVX);
    let good = sigframe_fpstate(AVX, &image);
    for broken in [464, 832] {
        let mut f = good.clone();
        f[broken] ^= 1; // magic1 or magic2
        let back = restore(AVX, addr, MASK, addr, &f).unwrap();
        assert_eq!(&back[..464], &image[..464]);
        assert_eq!(u64_at(&back, 512), 3, "x87 and SSE only");
        assert!(back[520..].iter().all(|&v| v == 0), "AVX state reset");
    }
    // Legacy only: MXCSR still checked, alignment 16.
    let mut f = good.clone();
    f[464] = 0;
    f[24..28].copy_from_slice(&0x1fc0u32.to_le_bytes());
    assert_eq!(
        restore(AVX, addr, 0xffbf, addr, &f),
        Err(FrameError::BadMxcsr(0x1fc0))
    );
    assert_eq!(
        restore(AVX, addr + 8, MASK, addr + 8, &f),
        Err(FrameError::MisalignedFpstate(addr + 8))
    );
    // Only 512 bytes are read when there is no magic1.
    f[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
    let back = restore(AVX, addr, MASK, addr, &f[..512]).unwrap();
    assert_eq!(u64_at(&back, 512), 3);
}

#[test]
fn sigreturn_restores_only_the_requested_components() {
    let addr = 0x7000_1000;
    let mut f = sigframe_fpstate(AVX, &xsave_image(AVX));
    f[472..480].copy_from_slice(&3u64.to_le_bytes()); // xfeatures: x87 and SSE
    let back = restore(AVX, addr, MASK, addr, &f).unwrap();
    assert_eq!(u64_at(&back, 512), 3, "AVX goes to its initial state");
    // Without SSE and AVX, MXCSR is not loaded from the frame: not checked, reset.
    f[472..480].copy_from_slice(&1u64.to_le_bytes());
    f[24..28].copy_from_slice(&0xffff_ffffu32.to_le_bytes());
    let back = restore(AVX, addr, MASK, addr, &f).unwrap();
    assert_eq!(u64_at(&back, 512), 1);
    assert_eq!(u32_at(&back, 24), MXCSR_DEFAULT);
    // Unknown bits in xfeatures are ignored.
    f[472..480].copy_from_slice(&u64::MAX.to_le_bytes());
    f[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
    let back = restore(AVX, addr, MASK, addr, &f).unwrap();
    assert_eq!(u64_at(&back, 512), 0b111);
}

#[test]
fn fxsave_frames_ignore_the_magic() {
    let image: Vec<u8> = xsave_image(FpuFormat::Fxsave);
    let fpstate = sigframe_fpstate(FpuFormat::Fxsave, &image);
    assert_eq!(fpstate.len(), 512);
    assert_eq!(u32_at(&fpstate, 464), FP_XSTATE_MAGIC1);
    let addr = 0x6000_0040;
    let back = restore(FpuFormat::Fxsave, addr, MASK, addr, &fpstate).unwrap();
    assert_eq!(back.len(), 512);
    assert_eq!(&back[..464], &image[..464]);
    assert_eq!(
        restore(FpuFormat::Fxsave, 8, MASK, 8, &fpstate),
        Err(FrameError::MisalignedFpstate(8))
    );
}

#[test]
fn check_xsave_image_mirrors_xrstor() {
    let mut image = vec![0u8; 832];
    image[24..28].copy_from_slice(&MXCSR_DEFAULT.to_le_bytes());
    assert_eq!(check_xsave_image(&image, 7, MXCSR_MASK_DEFAULT), Ok(()));
    image[512] = 0b1000;
    assert_eq!(
        check_xsave_image(&image, 7, MXCSR_MASK_DEFAULT),
        Err(FrameError::BadXstateHeader)
    );
    image[512] = 0b111;
    image[24] |= 0x40; // DAZ on a CPU without it
    assert_eq!(
        check_xsave_image(&image, 7, MXCSR_MASK_DEFAULT),
        Err(FrameError::BadMxcsr(0x1fc0))
    );
    assert_eq!(
        check_xsave_image(&image[..100], 7, MASK),
        Err(FrameError::Truncated(100))
    );
}

#[test]
fn random_user_edits_never_yield_a_faulting_image() {
    let mut rng = XorShift(0x0123_4567_89ab_cdef);
    let addr = 0x7000_1000;
    let good = sigframe_fpstate(AVX, &xsave_image(AVX));
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..5000 {
        let mut f = good.clone();
        for _ in 0..1 + rng.below(4) {
            // Mostly the sensitive bytes: MXCSR, sw_reserved, the header, magic2.
            let at = match rng.below(5) {
                0 => 24 + rng.below(4),
                1 => 464 + rng.below(24),
                2 => 512 + rng.below(64),
                3 => 832 + rng.below(4),
                _ => rng.below(836),
            } as usize;
            f[at] = rng.next() as u8;
        }
        match restore(AVX, addr, MASK, addr, &f) {
            Ok(image) => {
                assert_eq!(image.len(), 832);
                assert_eq!(check_xsave_image(&image, 7, MASK), Ok(()));
                ok += 1;
            }
            Err(_) => refused += 1,
        }
    }
    assert!(ok > 0 && refused > 0);
}
