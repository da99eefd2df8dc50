//! [`build_stack`]: the initial user stack of a new process, laid out as the
//! x86-64 psABI and Linux's `create_elf_tables` do.
//!
//! From `stack_top` downwards (higher addresses first):
//! ```text
//! 8 zero bytes                      end marker, as Linux leaves one
//! execfn\0                          AT_EXECFN points here
//! envp strings\0 (envp[0] lowest)
//! argv strings\0 (argv[0] lowest)
//! platform\0                        AT_PLATFORM (omitted when empty)
//! padding, then 16 random bytes     AT_RANDOM (16-byte aligned)
//! padding
//! AT_NULL pair                      auxv: given pairs, AT_RANDOM, AT_EXECFN,
//! ... auxv pairs ...                      AT_PLATFORM, AT_NULL
//! NULL, envp pointers
//! NULL, argv pointers
//! argc                              <- sp, 16-byte aligned
//! ```

use alloc::vec::Vec;

use crate::auxv::{AT_EXECFN, AT_NULL, AT_PLATFORM, AT_RANDOM};
use crate::error::StackError;

/// Bytes of one stack slot.
const WORD: u64 = 8;
/// Zero bytes left at the very top, below `stack_top`.
const END_MARKER_LEN: u64 = 8;
/// Size of the AT_RANDOM block.
const RANDOM_LEN: u64 = 16;

/// The finished stack: copy `bytes` to `[sp, stack_top)` and start the
/// process with `rsp = sp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackImage {
    /// Everything from `sp` (first byte) up to `stack_top` (exclusive).
    pub bytes: Vec<u8>,
    /// Initial stack pointer; a multiple of 16, pointing at argc.
    pub sp: u64,
    /// Address of `argv[0]`'s pointer (`sp + 8`).
    pub argv_ptr: u64,
    /// Address of `envp[0]`'s pointer.
    pub envp_ptr: u64,
    /// Address of the first auxv pair (useful for `/proc/<pid>/auxv`).
    pub auxv_ptr: u64,
}

/// What goes on the initial stack. Strings are given without their NUL.
#[derive(Debug, Clone, Copy)]
pub struct StackArgs<'a> {
    /// Argument strings.
    pub argv: &'a [&'a [u8]],
    /// Environment strings (`NAME=value`).
    pub envp: &'a [&'a [u8]],
    /// Auxiliary vector pairs other than AT_NULL, AT_RANDOM, AT_EXECFN and
    /// AT_PLATFORM, which `build_stack` adds itself.
    pub auxv: &'a [(u64, u64)],
    /// The 16 bytes AT_RANDOM points at.
    pub random: [u8; 16],
    /// File name passed to execve (AT_EXECFN).
    pub execfn: &'a [u8],
    /// Platform string such as `x86_64` (AT_PLATFORM); empty = no AT_PLATFORM.
    pub platform: &'a [u8],
}

/// Depths (distances below `stack_top`) of each part of the layout.
struct Layout {
    execfn: u64,
    strings: u64,
    platform: u64,
    random: u64,
    sp: u64,
}

/// Builds the initial stack ending at `stack_top` (exclusive; need not be
/// aligned). Fails with [`StackError::TooBig`] when it would take more than
/// `max_bytes` (the kernel turns that into E2BIG).
pub fn build_stack(
    stack_top: u64,
    args: &StackArgs,
    max_bytes: usize,
) -> Result<StackImage, StackError> {
    check_inputs(args)?;
    let layout = compute_layout(stack_top, args, max_bytes)?;
    let sp = stack_top
        .checked_sub(layout.sp)
        .ok_or(StackError::StackTopTooLow)?;
    let capacity = usize::try_from(layout.sp).map_err(|_| too_big(max_bytes))?;

    let mut bytes = Vec::with_capacity(capacity);
    let argc = args.argv.len() as u64;
    push_word(&mut bytes, argc);
    // Every depth is at most layout.sp, which compute_layout checked is not
    // above stack_top, so the address arithmetic below cannot wrap.
    let at_depth = |depth: u64| stack_top.saturating_sub(depth);
    let offset_addr = |bytes: &Vec<u8>| sp.saturating_add(bytes.len() as u64);
    let mut string_addr = at_depth(layout.strings);
    let argv_ptr = sp.saturating_add(WORD);
    for arg in args.argv {
        push_word(&mut bytes, string_addr);
        string_addr = string_addr.saturating_add(nul_terminated_len(arg));
    }
    push_word(&mut bytes, 0);
    let envp_ptr = offset_addr(&bytes);
    for var in args.envp {
        push_word(&mut bytes, string_addr);
        string_addr = string_addr.saturating_add(nul_terminated_len(var));
    }
    push_word(&mut bytes, 0);
    let auxv_ptr = offset_addr(&bytes);
    for &(key, value) in args.auxv {
        push_word(&mut bytes, key);
        push_word(&mut bytes, value);
    }
    for (key, value) in [
        (AT_RANDOM, at_depth(layout.random)),
        (AT_EXECFN, at_depth(layout.execfn)),
    ] {
        push_word(&mut bytes, key);
        push_word(&mut bytes, value);
    }
    if !args.platform.is_empty() {
        push_word(&mut bytes, AT_PLATFORM);
        push_word(&mut bytes, at_depth(layout.platform));
    }
    push_word(&mut bytes, AT_NULL);
    push_word(&mut bytes, 0);

    pad_to_depth(&mut bytes, &layout, layout.random);
    bytes.extend_from_slice(&args.random);
    pad_to_depth(&mut bytes, &layout, layout.platform);
    if !args.platform.is_empty() {
        push_string(&mut bytes, args.platform);
    }
    for string in args.argv.iter().chain(args.envp) {
        push_string(&mut bytes, string);
    }
    push_string(&mut bytes, args.execfn);
    bytes.extend_from_slice(&[0; END_MARKER_LEN as usize]);

    Ok(StackImage {
        bytes,
        sp,
        argv_ptr,
        envp_ptr,
        auxv_ptr,
    })
}

fn too_big(limit: usize) -> StackError {
    StackError::TooBig {
        needed: usize::MAX,
        limit,
    }
}

fn check_inputs(args: &StackArgs) -> Result<(), StackError> {
    let strings = args
        .argv
        .iter()
        .chain(args.envp)
        .chain([&args.execfn, &args.platform]);
    for string in strings {
        if string.contains(&0) {
            return Err(StackError::InteriorNul);
        }
    }
    for &(key, _) in args.auxv {
        if matches!(key, AT_NULL | AT_RANDOM | AT_EXECFN | AT_PLATFORM) {
            return Err(StackError::ReservedAuxType { key });
        }
    }
    Ok(())
}

fn compute_layout(
    stack_top: u64,
    args: &StackArgs,
    max_bytes: usize,
) -> Result<Layout, StackError> {
    let overflow = || too_big(max_bytes);
    let execfn = END_MARKER_LEN
        .checked_add(nul_terminated_len(args.execfn))
        .ok_or_else(overflow)?;
    let strings = execfn
        .checked_add(total_strings_len(args.envp).ok_or_else(overflow)?)
        .and_then(|depth| depth.checked_add(total_strings_len(args.argv)?))
        .ok_or_else(overflow)?;
    let platform_len = if args.platform.is_empty() {
        0
    } else {
        nul_terminated_len(args.platform)
    };
    let platform = strings.checked_add(platform_len).ok_or_else(overflow)?;
    let random = platform
        .checked_add(RANDOM_LEN)
        .and_then(|depth| align_depth(stack_top, depth))
        .ok_or_else(overflow)?;
    let sp = table_words(args)
        .and_then(|words| words.checked_mul(WORD))
        .and_then(|table_len| random.checked_add(table_len))
        .and_then(|depth| align_depth(stack_top, depth))
        .ok_or_else(overflow)?;

    if usize::try_from(sp).map_or(true, |needed| needed > max_bytes) {
        return Err(StackError::TooBig {
            needed: usize::try_from(sp).unwrap_or(usize::MAX),
            limit: max_bytes,
        });
    }
    if sp > stack_top {
        return Err(StackError::StackTopTooLow);
    }
    Ok(Layout {
        execfn,
        strings,
        platform,
        random,
        sp,
    })
}

/// Number of 8-byte slots from argc to the AT_NULL pair inclusive.
fn table_words(args: &StackArgs) -> Option<u64> {
    let own_aux_pairs: u64 = if args.platform.is_empty() { 3 } else { 4 };
    let aux_pairs = u64::try_from(args.auxv.len())
        .ok()?
        .checked_add(own_aux_pairs)?;
    let argc = u64::try_from(args.argv.len()).ok()?;
    let envc = u64::try_from(args.envp.len()).ok()?;
    // argc + argv + NULL + envp + NULL + auxv pairs.
    argc.checked_add(envc)?
        .checked_add(3)?
        .checked_add(aux_pairs.checked_mul(2)?)
}

/// Grows `depth` so that `stack_top - depth` is a multiple of 16. Wrapping
/// subtraction is exact modulo 16 because 2^64 is a multiple of 16.
fn align_depth(stack_top: u64, depth: u64) -> Option<u64> {
    depth.checked_add(stack_top.wrapping_sub(depth) & 15)
}

fn nul_terminated_len(string: &[u8]) -> u64 {
    (string.len() as u64).saturating_add(1)
}

fn total_strings_len(strings: &[&[u8]]) -> Option<u64> {
    strings.iter().try_fold(0u64, |total, string| {
        total.checked_add(nul_terminated_len(string))
    })
}

fn push_word(bytes: &mut Vec<u8>, word: u64) {
    bytes.extend_from_slice(&word.to_le_bytes());
}

fn push_string(bytes: &mut Vec<u8>, string: &[u8]) {
    bytes.extend_from_slice(string);
    bytes.push(0);
}

/// Zero-fills up to the byte that lies `depth` below the stack top.
fn pad_to_depth(bytes: &mut Vec<u8>, layout: &Layout, depth: u64) {
    let target = layout.sp.saturating_sub(depth);
    let target = usize::try_from(target).unwrap_or(usize::MAX);
    if target > bytes.len() {
        bytes.resize(target, 0);
    }
}
