//! Tests for `build_stack`: decode the produced image like libc would.

use std::string::ToString;
use std::vec;
use std::vec::Vec;

use crate::auxv::*;
use crate::{build_stack, StackArgs, StackError, StackImage};

const TOP: u64 = 0x7fff_ffff_f000;
const RANDOM: [u8; 16] = *b"0123456789abcdef";

/// What a process would see at entry.
#[derive(Debug)]
struct Decoded {
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    auxv: Vec<(u64, u64)>,
}

fn word(image: &StackImage, addr: u64) -> u64 {
    let at = (addr - image.sp) as usize;
    u64::from_le_bytes(image.bytes[at..at + 8].try_into().unwrap())
}

fn c_string(image: &StackImage, addr: u64) -> Vec<u8> {
    let at = (addr - image.sp) as usize;
    let len = image.bytes[at..].iter().position(|&b| b == 0).unwrap();
    image.bytes[at..at + len].to_vec()
}

fn decode(image: &StackImage, top: u64) -> Decoded {
    assert_eq!(image.sp % 16, 0, "sp must be 16-byte aligned at entry");
    assert_eq!(image.sp + image.bytes.len() as u64, top);
    assert!(image.bytes.ends_with(&[0; 8]), "end marker");
    let argc = word(image, image.sp);
    assert_eq!(image.argv_ptr, image.sp + 8);
    let argv: Vec<_> = (0..argc)
        .map(|i| c_string(image, word(image, image.argv_ptr + 8 * i)))
        .collect();
    assert_eq!(word(image, image.argv_ptr + 8 * argc), 0);
    assert_eq!(image.envp_ptr, image.argv_ptr + 8 * (argc + 1));
    let mut envp = Vec::new();
    let mut at = image.envp_ptr;
    while word(image, at) != 0 {
        envp.push(c_string(image, word(image, at)));
        at += 8;
    }
    assert_eq!(image.auxv_ptr, at + 8);
    let mut auxv = Vec::new();
    let mut at = image.auxv_ptr;
    loop {
        let (key, value) = (word(image, at), word(image, at + 8));
        auxv.push((key, value));
        if key == AT_NULL {
            break;
        }
        at += 16;
    }
    Decoded { argv, envp, auxv }
}

fn aux(decoded: &Decoded, key: u64) -> Option<u64> {
    decoded
        .auxv
        .iter()
        .find(|pair| pair.0 == key)
        .map(|pair| pair.1)
}

fn args<'a>(argv: &'a [&'a [u8]], envp: &'a [&'a [u8]], auxv: &'a [(u64, u64)]) -> StackArgs<'a> {
    StackArgs {
        argv,
        envp,
        auxv,
        random: RANDOM,
        execfn: b"/bin/prog",
        platform: b"x86_64",
    }
}

#[test]
fn layout_matches_abi() {
    let argv: &[&[u8]] = &[b"/bin/prog", b"-l", b""];
    let envp: &[&[u8]] = &[b"HOME=/", b"PATH=/bin"];
    let auxv = [(AT_PAGESZ, 4096), (AT_ENTRY, 0x40_1000), (AT_SECURE, 0)];
    let image = build_stack(TOP, &args(argv, envp, &auxv), 1 << 20).unwrap();
    let decoded = decode(&image, TOP);
    assert_eq!(
        decoded.argv,
        argv.iter().map(|a| a.to_vec()).collect::<Vec<_>>()
    );
    assert_eq!(
        decoded.envp,
        envp.iter().map(|e| e.to_vec()).collect::<Vec<_>>()
    );
    assert_eq!(&decoded.auxv[..3], &auxv);
    assert_eq!(decoded.auxv.len(), 3 + 4);
    assert_eq!(decoded.auxv.last(), Some(&(AT_NULL, 0)));
    let random = aux(&decoded, AT_RANDOM).unwrap();
    let at = (random - image.sp) as usize;
    assert_eq!(image.bytes[at..at + 16], RANDOM);
    assert_eq!(random % 16, 0);
    let execfn = aux(&decoded, AT_EXECFN).unwrap();
    assert_eq!(c_string(&image, execfn), b"/bin/prog");
    // Linux puts execfn highest, just below the 8-byte end marker.
    assert_eq!(execfn, TOP - 8 - 10);
    let platform = aux(&decoded, AT_PLATFORM).unwrap();
    assert_eq!(c_string(&image, platform), b"x86_64");
    // Strings sit above the random bytes, which sit above the tables.
    assert!(random + 16 <= platform);
    assert!(image.auxv_ptr + 16 * 7 <= random);
    // argv strings are contiguous, argv[0] lowest.
    let first = word(&image, image.argv_ptr);
    assert_eq!(word(&image, image.argv_ptr + 8), first + 10);
}

#[test]
fn empty_everything_and_no_platform() {
    let image = build_stack(
        TOP,
        &StackArgs {
            argv: &[],
            envp: &[],
            auxv: &[],
            random: [7; 16],
            execfn: b"",
            platform: b"",
        },
        4096,
    )
    .unwrap();
    let decoded = decode(&image, TOP);
    assert!(decoded.argv.is_empty() && decoded.envp.is_empty());
    let keys: Vec<u64> = decoded.auxv.iter().map(|pair| pair.0).collect();
    assert_eq!(keys, vec![AT_RANDOM, AT_EXECFN, AT_NULL]);
    assert_eq!(c_string(&image, aux(&decoded, AT_EXECFN).unwrap()), b"");
}

#[test]
fn unaligned_top_still_gives_aligned_sp() {
    for offset in 0..32 {
        let top = TOP - offset;
        let argv: &[&[u8]] = &[b"a"];
        let image = build_stack(top, &args(argv, &[], &[]), 4096).unwrap();
        let decoded = decode(&image, top);
        assert_eq!(decoded.argv, vec![b"a".to_vec()]);
        assert_eq!(aux(&decoded, AT_RANDOM).unwrap() % 16, 0);
    }
}

#[test]
fn size_limit_is_exact() {
    let argv: &[&[u8]] = &[b"prog", b"argument"];
    let needed = build_stack(TOP, &args(argv, &[], &[]), 1 << 20)
        .unwrap()
        .bytes
        .len();
    assert!(build_stack(TOP, &args(argv, &[], &[]), needed).is_ok());
    assert_eq!(
        build_stack(TOP, &args(argv, &[], &[]), needed - 1),
        Err(StackError::TooBig {
            needed,
            limit: needed - 1
        })
    );
}

#[test]
fn too_big_argument_list() {
    let big = vec![b'x'; 200_000];
    let argv: &[&[u8]] = &[&big];
    assert!(matches!(
        build_stack(TOP, &args(argv, &[], &[]), 128 * 1024),
        Err(StackError::TooBig { limit: 131_072, .. })
    ));
}

#[test]
fn stack_top_too_low() {
    assert_eq!(
        build_stack(64, &args(&[b"prog"], &[], &[]), 1 << 20),
        Err(StackError::StackTopTooLow)
    );
}

#[test]
fn rejects_nul_and_reserved_aux() {
    let argv: &[&[u8]] = &[b"a\0b"];
    assert_eq!(
        build_stack(TOP, &args(argv, &[], &[]), 4096),
        Err(StackError::InteriorNul)
    );
    let mut bad = args(&[], &[], &[]);
    bad.execfn = b"/x\0";
    assert_eq!(build_stack(TOP, &bad, 4096), Err(StackError::InteriorNul));
    for key in [AT_NULL, AT_RANDOM, AT_EXECFN, AT_PLATFORM] {
        let auxv = [(AT_PAGESZ, 4096), (key, 1)];
        assert_eq!(
            build_stack(TOP, &args(&[], &[], &auxv), 4096),
            Err(StackError::ReservedAuxType { key })
        );
    }
}

#[test]
fn errors_display() {
    let errors = [
        StackError::TooBig {
            needed: 10,
            limit: 5,
        },
        StackError::StackTopTooLow,
        StackError::InteriorNul,
        StackError::ReservedAuxType { key: 25 },
    ];
    for error in errors {
        assert!(!error.to_string().is_empty());
    }
    assert_eq!(
        StackError::TooBig {
            needed: 10,
            limit: 5
        }
        .to_string(),
        "initial stack needs 10 bytes, more than the limit of 5"
    );
}

/// xorshift64*: small deterministic PRNG for the stress test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn string(&mut self) -> Vec<u8> {
        let max_len = if self.below(10) == 0 { 3000 } else { 20 };
        let len = self.below(max_len);
        (0..len).map(|_| 1 + self.below(255) as u8).collect()
    }
}

#[test]
fn random_sizes_never_panic_and_decode() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let (mut built, mut refused) = (0, 0);
    for _ in 0..3000 {
        let argv: Vec<Vec<u8>> = (0..rng.below(40)).map(|_| rng.string()).collect();
        let envp: Vec<Vec<u8>> = (0..rng.below(40)).map(|_| rng.string()).collect();
        let auxv: Vec<(u64, u64)> = (0..rng.below(20))
            .map(|_| (AT_MINSIGSTKSZ + rng.below(100), rng.next()))
            .collect();
        let argv_refs: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        let envp_refs: Vec<&[u8]> = envp.iter().map(Vec::as_slice).collect();
        let execfn = rng.string();
        let platform = rng.string();
        let stack_args = StackArgs {
            argv: &argv_refs,
            envp: &envp_refs,
            auxv: &auxv,
            random: rng.next().to_le_bytes().repeat(2).try_into().unwrap(),
            execfn: &execfn,
            platform: &platform,
        };
        let top = match rng.below(4) {
            0 => rng.below(1 << 16),
            1 => u64::MAX - rng.below(64),
            _ => TOP - rng.below(64),
        };
        let limit = rng.below(1 << 17) as usize;
        match build_stack(top, &stack_args, limit) {
            Ok(image) => {
                built += 1;
                assert!(image.bytes.len() <= limit);
                let decoded = decode(&image, top);
                assert_eq!(decoded.argv, argv);
                assert_eq!(decoded.envp, envp);
                assert_eq!(&decoded.auxv[..auxv.len()], auxv.as_slice());
                let execfn_addr = aux(&decoded, AT_EXECFN).unwrap();
                assert_eq!(c_string(&image, execfn_addr), execfn);
            }
            Err(StackError::TooBig { needed, limit: l }) => {
                refused += 1;
                assert!(needed > l);
            }
            Err(StackError::StackTopTooLow) => refused += 1,
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert!(
        built > 100 && refused > 100,
        "{built} built, {refused} refused"
    );
}
