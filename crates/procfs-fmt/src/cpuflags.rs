//! `flags` of `/proc/cpuinfo`: Linux's names of CPUID feature bits (the common ones), in Linux's order.

/// (register, bit, name): registers are 0 = leaf 1 EDX, 1 = leaf 1 ECX, 2 = leaf 0x80000001 EDX,
/// 3 = leaf 0x80000001 ECX, 4 = leaf 7 EBX, 5 = leaf 7 ECX.
const FLAGS: &[(usize, u32, &str)] = &[
    (0, 0, "fpu"),
    (0, 1, "vme"),
    (0, 2, "de"),
    (0, 3, "pse"),
    (0, 4, "tsc"),
    (0, 5, "msr"),
    (0, 6, "pae"),
    (0, 7, "mce"),
    (0, 8, "cx8"),
    (0, 9, "apic"),
    (0, 11, "sep"),
    (0, 12, "mtrr"),
    (0, 13, "pge"),
    (0, 14, "mca"),
    (0, 15, "cmov"),
    (0, 16, "pat"),
    (0, 17, "pse36"),
    (0, 19, "clflush"),
    (0, 23, "mmx"),
    (0, 24, "fxsr"),
    (0, 25, "sse"),
    (0, 26, "sse2"),
    (0, 27, "ss"),
    (0, 28, "ht"),
    (2, 11, "syscall"),
    (2, 20, "nx"),
    (2, 26, "pdpe1gb"),
    (2, 27, "rdtscp"),
    (2, 29, "lm"),
    (1, 0, "pni"),
    (1, 1, "pclmulqdq"),
    (1, 9, "ssse3"),
    (1, 12, "fma"),
    (1, 13, "cx16"),
    (1, 17, "pcid"),
    (1, 19, "sse4_1"),
    (1, 20, "sse4_2"),
    (1, 21, "x2apic"),
    (1, 22, "movbe"),
    (1, 23, "popcnt"),
    (1, 24, "tsc_deadline_timer"),
    (1, 25, "aes"),
    (1, 26, "xsave"),
    (1, 28, "avx"),
    (1, 29, "f16c"),
    (1, 30, "rdrand"),
    (1, 31, "hypervisor"),
    (3, 0, "lahf_lm"),
    (3, 5, "abm"),
    (3, 8, "3dnowprefetch"),
    (4, 0, "fsgsbase"),
    (4, 3, "bmi1"),
    (4, 5, "avx2"),
    (4, 7, "smep"),
    (4, 8, "bmi2"),
    (4, 9, "erms"),
    (4, 10, "invpcid"),
    (4, 16, "avx512f"),
    (4, 17, "avx512dq"),
    (4, 18, "rdseed"),
    (4, 19, "adx"),
    (4, 20, "smap"),
    (4, 23, "clflushopt"),
    (4, 24, "clwb"),
    (4, 28, "avx512cd"),
    (4, 29, "sha_ni"),
    (4, 30, "avx512bw"),
    (4, 31, "avx512vl"),
    (5, 1, "avx512vbmi"),
    (5, 2, "umip"),
    (5, 3, "pku"),
    (5, 8, "gfni"),
    (5, 9, "vaes"),
    (5, 10, "vpclmulqdq"),
    (5, 22, "rdpid"),
];

/// The flag names of the set bits of the six feature registers (see [`FLAGS`]'s order).
pub fn cpu_flags(registers: [u32; 6]) -> alloc::vec::Vec<&'static str> {
    FLAGS
        .iter()
        .filter(|&&(reg, bit, _)| registers[reg] & (1 << bit) != 0)
        .map(|&(_, _, name)| name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_bits() {
        assert_eq!(
            cpu_flags([1 | (1 << 25), 0, 1 << 29, 0, 0, 0]),
            alloc::vec!["fpu", "sse", "lm"]
        );
        assert!(cpu_flags([0; 6]).is_empty());
    }
}
