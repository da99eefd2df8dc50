//! rt_sigframe building and rt_sigreturn parsing.

use crate::tests_pending::XorShift;
use crate::*;

fn word(bytes: &[u8], offset: usize) -> u64 {
    u64::from_le_bytes(bytes[offset..offset + 8].try_into().unwrap())
}

fn regs_with(rsp: u64) -> UserRegs {
    let mut regs =
        UserRegs::from_sigcontext_order(core::array::from_fn(|i| 0x1000 + i as u64), 0x7777);
    regs.rsp = rsp;
    regs.eflags = 0x202 | RFLAGS_DF | RFLAGS_TF | RFLAGS_CF;
    regs
}

fn handler_action(extra: u64) -> SigAction {
    SigAction {
        handler: Handler::User(0x40_1000),
        flags: flags::SA_RESTORER | extra,
        restorer: 0x40_2000,
        mask: SigSet::EMPTY,
    }
}

fn fx_image() -> [u8; FXSAVE_SIZE] {
    core::array::from_fn(|i| (i % 251) as u8 | 1)
}

#[test]
fn frame_layout_on_normal_stack() {
    let regs = regs_with(0x7fff_ffff_e123);
    let info = SigInfo::fault(SIGSEGV, code::SEGV_MAPERR, 0xdead);
    let blocked = SigSet::only(SIGINT);
    let trap = TrapState {
        trapno: 14,
        err: 6,
        cr2: 0xdead,
    };
    let frame = build_rt_sigframe(
        &regs,
        &info,
        blocked,
        &AltStack::NONE,
        &handler_action(flags::SA_SIGINFO),
        FpuImage {
            format: FpuFormat::Fxsave,
            bytes: &fx_image(),
        },
        trap,
    )
    .unwrap();
    let fp = (0x7fff_ffff_e123u64 - RED_ZONE - 512) & !63;
    assert_eq!(frame.fpstate_addr, fp);
    assert_eq!(frame.frame_addr, ((fp - 440) & !15) - 8);
    assert_eq!((frame.new_sp + 8) % 16, 0);
    assert_eq!(frame.bytes.len() as u64, fp + 512 - frame.frame_addr);
    assert_eq!((frame.new_rip, frame.rdi), (0x40_1000, 11));
    assert_eq!(frame.rsi, frame.frame_addr + 312);
    assert_eq!(frame.rdx, frame.frame_addr + 8);

    let b = &frame.bytes;
    assert_eq!(word(b, 0), 0x40_2000, "pretcode = restorer");
    assert_eq!(word(b, 8), UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
    assert_eq!(word(b, 16), 0, "uc_link");
    assert_eq!(&b[24..48], &AltStack::NONE.saved().to_user_bytes());
    let sc = 48;
    for (i, value) in regs.sigcontext_order().into_iter().enumerate() {
        assert_eq!(word(b, sc + i * 8), value);
    }
    assert_eq!(word(b, sc + 120), regs.rsp);
    assert_eq!(word(b, sc + 128), regs.rip);
    assert_eq!(&b[sc + 144..sc + 152], &[0x33, 0, 0, 0, 0, 0, 0x2b, 0]);
    assert_eq!(word(b, sc + 152), 6, "err");
    assert_eq!(word(b, sc + 160), 14, "trapno");
    assert_eq!(word(b, sc + 168), blocked.0, "oldmask");
    assert_eq!(word(b, sc + 176), 0xdead, "cr2");
    assert_eq!(word(b, sc + 184), fp, "fpstate pointer");
    assert!(b[sc + 192..sc + 256].iter().all(|x| *x == 0), "reserved1");
    assert_eq!(word(b, 304), blocked.0, "uc_sigmask");
    assert_eq!(&b[312..440], &info.to_user_bytes());
    let image = &b[b.len() - 512..];
    assert_eq!(&image[..464], &fx_image()[..464]);
    // Linux fills _fpx_sw_bytes even without XSAVE (no magic2 follows, though).
    assert_eq!(&image[464..468], &FP_XSTATE_MAGIC1.to_le_bytes());
    assert_eq!(&image[468..472], &516u32.to_le_bytes(), "extended_size");
    assert_eq!(word(image, 472), 3, "xfeatures: x87 and SSE");
    assert_eq!(&image[480..484], &512u32.to_le_bytes(), "xstate_size");
    assert!(image[484..].iter().all(|x| *x == 0), "padding");

    let entry = frame.handler_regs(&regs);
    assert_eq!(
        (entry.rsp, entry.rip, entry.rdi, entry.rsi, entry.rdx, entry.rax),
        (frame.new_sp, 0x40_1000, 11, frame.rsi, frame.rdx, 0)
    );
    assert_eq!(entry.eflags, 0x202 | RFLAGS_CF, "DF, TF cleared");
    assert_eq!((entry.rbx, entry.fs_base), (regs.rbx, regs.fs_base));
}

#[test]
fn siginfo_written_only_with_sa_siginfo() {
    let regs = regs_with(0x7000_0000);
    let info = SigInfo::kill(SIGUSR1, 3, 4);
    let frame = build_rt_sigframe(
        &regs,
        &info,
        SigSet::EMPTY,
        &AltStack::NONE,
        &handler_action(0),
        FpuImage {
            format: FpuFormat::Fxsave,
            bytes: &fx_image(),
        },
        TrapState::default(),
    )
    .unwrap();
    assert!(frame.bytes[312..440].iter().all(|x| *x == 0));
    assert_eq!(frame.rsi, frame.frame_addr + 312, "rsi still points at it");
}

#[test]
fn frame_errors() {
    let regs = regs_with(0x7000_0000);
    let info = SigInfo::kernel(SIGTERM);
    let build = |action: &SigAction, regs: &UserRegs, alt: &AltStack| {
        build_rt_sigframe(
            regs,
            &info,
            SigSet::EMPTY,
            alt,
            action,
            FpuImage {
                format: FpuFormat::Fxsave,
                bytes: &fx_image(),
            },
            TrapState::default(),
        )
    };
    let no_restorer = SigAction {
        flags: 0,
        ..handler_action(0)
    };
    assert_eq!(
        build(&no_restorer, &regs, &AltStack::NONE),
        Err(FrameError::NoRestorer)
    );
    assert_eq!(
        build(&SigAction::DEFAULT, &regs, &AltStack::NONE),
        Err(FrameError::NotAHandler)
    );
    let ignore = SigAction {
        handler: Handler::Ignore,
        ..handler_action(0)
    };
    assert_eq!(
        build(&ignore, &regs, &AltStack::NONE),
        Err(FrameError::NotAHandler)
    );
    for sp in [0, 100, 700, 1100] {
        assert_eq!(
            build(&handler_action(0), &regs_with(sp), &AltStack::NONE),
            Err(FrameError::AddressOverflow),
            "sp {sp}"
        );
    }
    let wrapping = AltStack {
        sp: u64::MAX - 100,
        size: 4096,
        flags: 0,
    };
    assert_eq!(
        build(&handler_action(flags::SA_ONSTACK), &regs, &wrapping),
        Err(FrameError::AddressOverflow)
    );
    let tiny = AltStack {
        sp: 0x10_0000,
        size: 0x300,
        flags: 0,
    };
    assert_eq!(
        build(&handler_action(flags::SA_ONSTACK), &regs, &tiny),
        Err(FrameError::AltStackOverflow)
    );
    // Nested on the alternate stack, near its bottom.
    let alt = AltStack {
        sp: 0x10_0000,
        size: 0x4000,
        flags: 0,
    };
    assert_eq!(
        build(
            &handler_action(flags::SA_ONSTACK),
            &regs_with(0x10_0400),
            &alt
        ),
        Err(FrameError::AltStackOverflow)
    );
    // Without SA_ONSTACK too: a signal arriving while on the alternate stack stays on it.
    assert_eq!(
        build(&handler_action(0), &regs_with(0x10_0400), &alt),
        Err(FrameError::AltStackOverflow)
    );
    assert_eq!(
        std::format!("{}", FrameError::NoRestorer),
        "sigaction without SA_RESTORER"
    );
}

#[test]
fn alternate_stack_selection() {
    let alt = AltStack {
        sp: 0x10_0000,
        size: 0x4000,
        flags: 0,
    };
    let info = SigInfo::kernel(SIGSEGV);
    let build = |rsp: u64, extra: u64, alt: &AltStack| {
        build_rt_sigframe(
            &regs_with(rsp),
            &info,
            SigSet::EMPTY,
            alt,
            &handler_action(extra),
            FpuImage {
                format: FpuFormat::Fxsave,
                bytes: &fx_image(),
            },
            TrapState::default(),
        )
        .unwrap()
    };
    // Entering: the frame goes at the top of the alternate stack.
    let entering = build(0x7000_0000, flags::SA_ONSTACK, &alt);
    let top = 0x10_4000u64;
    assert_eq!(entering.fpstate_addr, (top - 512) & !63);
    assert_eq!(&entering.bytes[24..48], &alt.saved().to_user_bytes());
    // Without SA_ONSTACK the normal stack is used.
    assert!(build(0x7000_0000, 0, &alt).frame_addr > 0x6000_0000);
    // Already on it: nest below the current rsp, not at the top again.
    let nested = build(0x10_3000, flags::SA_ONSTACK, &alt);
    assert_eq!(nested.fpstate_addr, (0x10_3000 - 128 - 512) & !63);
    // rsp just above the stack top minus the red zone is "on" the stack for Linux's check.
    let edge = build(top + 100, flags::SA_ONSTACK, &alt);
    assert_eq!(edge.fpstate_addr, (top + 100 - 128 - 512) & !63);
    // SS_AUTODISARM: never "on" the stack, so the frame restarts at its top.
    let auto = AltStack {
        flags: SS_AUTODISARM,
        ..alt
    };
    assert_eq!(
        build(0x10_3000, flags::SA_ONSTACK, &auto).fpstate_addr,
        (top - 512) & !63
    );
    // Disabled stack: normal stack even with SA_ONSTACK.
    assert!(build(0x7000_0000, flags::SA_ONSTACK, &AltStack::RESET).frame_addr > 0x6000_0000);
}

#[test]
fn sigreturn_roundtrip_and_sanitising() {
    let regs = regs_with(0x7fff_0000_1008);
    let blocked = SigSet::only(SIGHUP) | SigSet::only(SIGRTMAX);
    let alt = AltStack {
        sp: 0x5000,
        size: 0x8000,
        flags: SS_AUTODISARM,
    };
    let frame = build_rt_sigframe(
        &regs,
        &SigInfo::kernel(SIGALRM),
        blocked,
        &alt,
        &handler_action(flags::SA_SIGINFO),
        FpuImage {
            format: FpuFormat::Fxsave,
            bytes: &fx_image(),
        },
        TrapState::default(),
    )
    .unwrap();
    let current = UserRegs {
        eflags: 0x246,
        fs_base: 0x9999,
        ..UserRegs::default()
    };
    let back = parse_rt_sigreturn(&frame.bytes, &current).unwrap();
    let expected_flags = (0x246 & !FIX_EFLAGS) | (regs.eflags & FIX_EFLAGS);
    assert_eq!(
        back.regs,
        UserRegs {
            eflags: expected_flags,
            fs_base: 0x9999,
            ..regs
        }
    );
    assert_eq!(back.blocked, blocked);
    assert_eq!(back.altstack, alt.saved());
    assert_eq!(back.fpstate_addr, Some(frame.fpstate_addr));
    assert_eq!(back.uc_flags, 6);

    // User space edits the frame: privileged flag bits and KILL/STOP are refused.
    let mut edited = frame.bytes.clone();
    let eflags_at = offsets::UC_MCONTEXT + 17 * 8;
    edited[eflags_at..eflags_at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    edited[offsets::UC_SIGMASK..offsets::UC_SIGMASK + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    edited[offsets::UC_MCONTEXT + offsets::SC_CS] = 0x08; // kernel CS: ignored
    edited[offsets::UC_MCONTEXT + offsets::SC_FPSTATE
        ..offsets::UC_MCONTEXT + offsets::SC_FPSTATE + 8]
        .fill(0);
    let back = parse_rt_sigreturn(&edited[..RT_SIGFRAME_SIZE], &current).unwrap();
    assert_eq!(back.regs.eflags, (0x246 & !FIX_EFLAGS) | FIX_EFLAGS);
    assert_eq!(back.regs.eflags & (3 << 12), 0, "IOPL stays 0");
    assert_eq!(back.blocked, SigSet::FULL.blockable());
    assert_eq!(back.fpstate_addr, None);
    assert_eq!(FIX_EFLAGS, 0x50dd5);

    assert_eq!(
        parse_rt_sigreturn(&frame.bytes[..439], &current),
        Err(FrameError::Truncated(439))
    );
}

#[test]
fn fxsave_check() {
    let mut image = [0u8; FXSAVE_SIZE];
    image[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
    assert_eq!(check_fxsave(&image, 0xffbf), Ok(()));
    image[24..28].copy_from_slice(&0x1_1f80u32.to_le_bytes());
    assert_eq!(
        check_fxsave(&image, 0xffff),
        Err(FrameError::BadMxcsr(0x1_1f80))
    );
    image[24..28].copy_from_slice(&0x1fc0u32.to_le_bytes()); // DAZ
    assert_eq!(
        check_fxsave(&image, 0xffbf),
        Err(FrameError::BadMxcsr(0x1fc0))
    );
    assert_eq!(check_fxsave(&image, 0xffff), Ok(()));
}

#[test]
fn randomized_frames_roundtrip() {
    let mut rng = XorShift(0xfeed_beef_1234_5678);
    for _ in 0..2000 {
        let gprs: [u64; 18] = core::array::from_fn(|_| rng.next());
        let mut regs = UserRegs::from_sigcontext_order(gprs, rng.next());
        regs.rsp = 0x1_0000 + rng.below(0x7fff_0000_0000);
        let alt = match rng.below(3) {
            0 => AltStack::NONE,
            _ => AltStack {
                sp: rng.below(0x7000_0000_0000) & !15,
                size: 0x800 + rng.below(0x10000),
                flags: if rng.below(2) == 0 { 0 } else { SS_AUTODISARM },
            },
        };
        let extra = if rng.below(2) == 0 {
            flags::SA_ONSTACK
        } else {
            0
        } | flags::SA_SIGINFO;
        let blocked = SigSet(rng.next());
        let result = build_rt_sigframe(
            &regs,
            &SigInfo::kernel(SIGUSR2),
            blocked,
            &alt,
            &handler_action(extra),
            FpuImage {
                format: FpuFormat::Fxsave,
                bytes: &fx_image(),
            },
            TrapState::default(),
        );
        let Ok(frame) = result else {
            assert_eq!(result, Err(FrameError::AltStackOverflow));
            continue;
        };
        assert_eq!((frame.new_sp + 8) % 16, 0);
        assert_eq!(frame.fpstate_addr % 64, 0);
        assert!(frame.frame_addr + RT_SIGFRAME_SIZE as u64 <= frame.fpstate_addr);
        let on_alt = alt.contains(frame.frame_addr) && alt.size != 0;
        if !on_alt {
            assert!(frame.fpstate_addr + 512 <= regs.rsp - 128, "red zone kept");
        }
        let current = UserRegs {
            eflags: 0x202,
            ..UserRegs::default()
        };
        let back = parse_rt_sigreturn(&frame.bytes, &current).unwrap();
        assert_eq!(
            back.regs.eflags,
            (0x202 & !FIX_EFLAGS) | (regs.eflags & FIX_EFLAGS)
        );
        assert_eq!(
            UserRegs {
                eflags: regs.eflags,
                fs_base: regs.fs_base,
                ..back.regs
            },
            regs
        );
        assert_eq!(back.blocked, blocked.blockable());
    }
}
