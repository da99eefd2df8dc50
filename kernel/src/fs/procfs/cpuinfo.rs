//! `/proc/cpuinfo` from CPUID (all CPUs are alike here: the boot CPU's answers, with each CPU's number).
#![forbid(unsafe_code)]

use crate::arch::cpu::cpuid;
use alloc::string::String;
use alloc::vec::Vec;
use basalt_procfs_fmt::{cpu_flags, CpuInfo};

fn text_of(words: &[u32]) -> String {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).trim().into()
}

/// One block per online CPU.
pub fn processors(count: usize) -> Vec<CpuInfo> {
    let (max_leaf, b, c, d) = cpuid(0, 0);
    let vendor = text_of(&[b, d, c]);
    let (eax1, ebx1, ecx1, edx1) = cpuid(1, 0);
    let (_, ebx7, ecx7, _) = if max_leaf >= 7 {
        cpuid(7, 0)
    } else {
        (0, 0, 0, 0)
    };
    let (max_ext, ..) = cpuid(0x8000_0000, 0);
    let (_, _, ecx81, edx81) = if max_ext >= 0x8000_0001 {
        cpuid(0x8000_0001, 0)
    } else {
        (0, 0, 0, 0)
    };
    let model_name = if max_ext >= 0x8000_0004 {
        let mut words = Vec::new();
        for leaf in 0x8000_0002..=0x8000_0004u32 {
            let (a, b, c, d) = cpuid(leaf, 0);
            words.extend_from_slice(&[a, b, c, d]);
        }
        text_of(&words)
    } else {
        String::new()
    };
    let (addr_bits, ..) = if max_ext >= 0x8000_0008 {
        cpuid(0x8000_0008, 0)
    } else {
        (0x3024, 0, 0, 0)
    };
    // Family and model as Linux's x86_family/x86_model combine the extended fields.
    let base_family = (eax1 >> 8) & 0xf;
    let family = if base_family == 0xf {
        base_family + ((eax1 >> 20) & 0xff)
    } else {
        base_family
    };
    let mut model = (eax1 >> 4) & 0xf;
    if base_family >= 6 {
        model += ((eax1 >> 16) & 0xf) << 4;
    }
    let flags = cpu_flags([edx1, ecx1, edx81, ecx81, ebx7, ecx7]);
    (0..count)
        .map(|cpu| CpuInfo {
            processor: cpu as u32,
            vendor_id: vendor.clone(),
            family,
            model,
            model_name: model_name.clone(),
            stepping: eax1 & 0xf,
            mhz: crate::time::tsc_hz() / 1_000_000,
            apic_id: crate::arch::percpu::cpu(cpu).map_or(cpu as u32, |c| c.apic_id),
            cpus: count as u32,
            cpuid_level: max_leaf,
            flags: flags.clone(),
            clflush_size: ((ebx1 >> 8) & 0xff) * 8,
            physical_bits: addr_bits & 0xff,
            virtual_bits: (addr_bits >> 8) & 0xff,
        })
        .collect()
}
