//! The 32-bit entry points (PVH and Multiboot2) and the switch to long mode.
//!
//! Both boot protocols enter in 32-bit protected mode with paging off. The code here builds early page tables
//! (identity + direct map of the first 4 GiB and the kernel's higher-half window), enables long mode, zeroes `.bss`
//! and calls [`crate::kernel_entry`] on the boot stack with the protocol and the physical address of its boot-info
//! structure. It records the TSC at entry so that boot time can be measured from the very first instruction.

use core::arch::global_asm;

/// Which boot protocol handed over control (passed from the assembly entry in `edi`).
pub const BOOT_PROTOCOL_PVH: u32 = 1;
/// Multiboot2 (GRUB).
pub const BOOT_PROTOCOL_MULTIBOOT2: u32 = 2;
/// A Multiboot2 entry whose magic number was wrong.
pub const BOOT_PROTOCOL_UNKNOWN: u32 = 0;

/// Size of the boot processor's stack.
pub const BOOT_STACK_SIZE: usize = 64 * 1024;

#[repr(C, align(4096))]
pub struct BootStack(pub [u8; BOOT_STACK_SIZE]);

/// The boot processor's stack. Only the entry assembly names it.
#[no_mangle]
pub static mut BOOT_STACK: BootStack = BootStack([0; BOOT_STACK_SIZE]);

global_asm!(
    r#"
    .set MB2_MAGIC, 0xe85250d6
    .set MB2_BOOT_MAGIC, 0x36d76289
    .set KERNEL_VMA, 0xffffffff80000000

    /* ---------------- Multiboot2 header (GRUB) ---------------- */
    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long MB2_MAGIC
    .long 0                                  /* architecture: i386 protected mode */
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + (mb2_header_end - mb2_header))
    /* information request: cmdline, modules, memory map, framebuffer, ACPI RSDPs */
    .balign 8
    .short 1, 1                              /* optional: boot even if some are missing */
    .long 8 + 4 * 6
    .long 1, 3, 6, 8, 14, 15
    .balign 8
    .short 0, 0                              /* end tag */
    .long 8
mb2_header_end:

    /* ---------------- PVH entry note (qemu -kernel, Firecracker, Cloud Hypervisor) ---------------- */
    .section .note.Xen, "a"
    .balign 4
    .long 4                                  /* name size */
    .long 4                                  /* descriptor size */
    .long 18                                 /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long pvh_entry

    /* ---------------- 32-bit entry code ---------------- */
    .section .boot.text, "ax"
    .code32
    .global mb2_entry
mb2_entry:
    cli
    mov edi, {unknown}
    cmp eax, MB2_BOOT_MAGIC
    jne 1f
    mov edi, {mb2}
1:  mov esi, ebx
    jmp boot32_common

    .global pvh_entry
pvh_entry:
    cli
    mov edi, {pvh}
    mov esi, ebx

boot32_common:
    cld
    /* TSC at the first instruction we control: the start of "time to /init". */
    rdtsc
    mov [boot_entry_tsc], eax
    mov [boot_entry_tsc + 4], edx

    /* Long mode present? (CPUID 0x80000001: EDX bit 29) */
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb no_long_mode
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29
    jz no_long_mode

    /* Clear the early page tables (7 pages, contiguous). There is no stack yet: keep edi in ebp. */
    mov ebp, edi
    lea edi, [boot_pml4]
    xor eax, eax
    mov ecx, 7 * 1024
    rep stosd
    mov edi, ebp

    /* PML4[0] (identity) and PML4[256] (direct map at 0xffff800000000000) -> low PDPT covering 4 GiB. */
    lea eax, [boot_pdpt_low + 3]
    mov [boot_pml4], eax
    mov [boot_pml4 + 256 * 8], eax
    /* PML4[511] -> high PDPT; its entries 510 and 511 map -2 GiB .. 0 onto physical 0 .. 2 GiB. */
    lea eax, [boot_pdpt_high + 3]
    mov [boot_pml4 + 511 * 8], eax
    lea eax, [boot_pd + 3]
    mov [boot_pdpt_low], eax
    mov [boot_pdpt_high + 510 * 8], eax
    lea eax, [boot_pd + 4096 + 3]
    mov [boot_pdpt_low + 8], eax
    mov [boot_pdpt_high + 511 * 8], eax
    lea eax, [boot_pd + 2 * 4096 + 3]
    mov [boot_pdpt_low + 16], eax
    lea eax, [boot_pd + 3 * 4096 + 3]
    mov [boot_pdpt_low + 24], eax

    /* 2048 2 MiB pages: physical 0 .. 4 GiB, present + writable + huge. */
    lea ebx, [boot_pd]
    mov eax, 0x83
    xor ecx, ecx
2:  mov [ebx + ecx * 8], eax
    mov dword ptr [ebx + ecx * 8 + 4], 0
    add eax, 0x200000
    inc ecx
    cmp ecx, 2048
    jne 2b

    /* PAE on, CR3, EFER.LME, paging on. */
    mov eax, cr4
    or eax, 1 << 5
    mov cr4, eax
    lea eax, [boot_pml4]
    mov cr3, eax
    mov ecx, 0xc0000080
    rdmsr
    or eax, 1 << 8
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | (1 << 16) | 1
    mov cr0, eax

    lgdt [boot_gdt_pointer]
    /* Far return into the 64-bit code segment (on a tiny stack: the loaders give none). */
    lea esp, [boot_stack32_top]
    push 0x08
    lea eax, [boot64]
    push eax
    retf

no_long_mode:
    /* Say why on COM1 and stop: nothing else can run. */
    lea esi, [no_long_mode_message]
3:  lodsb
    test al, al
    jz 5f
    mov ah, al
    mov dx, 0x3fd
4:  in al, dx
    test al, 0x20
    jz 4b
    mov dx, 0x3f8
    mov al, ah
    out dx, al
    jmp 3b
5:  hlt
    jmp 5b

    .code64
boot64:
    xor eax, eax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax

    /* Zero .bss (it holds the boot stack, so before using it); keep rdi in r8 meanwhile. */
    mov r8, rdi
    movabs rdi, offset __bss_start
    movabs rcx, offset __bss_end
    sub rcx, rdi
    shr rcx, 3
    xor eax, eax
    rep stosq
    mov rdi, r8

    movabs rsp, offset BOOT_STACK + {stack_size}
    xor ebp, ebp
    movabs rax, offset {kernel_entry}
    call rax
6:  hlt
    jmp 6b

    .section .boot.data, "a"
    .balign 8
    .global boot_entry_tsc
boot_entry_tsc:
    .quad 0
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff                 /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff                 /* 0x10: data */
boot_gdt_end:
    .balign 8
    .short 0
boot_gdt_pointer:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt
no_long_mode_message:
    .asciz "Basalt: this CPU cannot run 64-bit code (no long mode); halting.\r\n"

    .section .boot.bss, "aw", @nobits
    .balign 4096
    .global boot_pml4
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4 * 4096
boot_stack32:   .skip 64
boot_stack32_top:
    "#,
    unknown = const BOOT_PROTOCOL_UNKNOWN,
    mb2 = const BOOT_PROTOCOL_MULTIBOOT2,
    pvh = const BOOT_PROTOCOL_PVH,
    stack_size = const BOOT_STACK_SIZE,
    kernel_entry = sym crate::kernel_entry,
);

extern "C" {
    static boot_entry_tsc: u64;
    static boot_pml4: u8;
}

/// The TSC value at the first boot instruction.
pub fn entry_tsc() -> u64 {
    // SAFETY: written once by the entry assembly before any Rust code runs; read-only afterwards. The .boot
    // section is identity-mapped only during boot, so read it through the direct map.
    unsafe {
        let phys = core::ptr::addr_of!(boot_entry_tsc) as u64;
        core::ptr::read_volatile(super::paging::phys_to_virt(phys) as *const u64)
    }
}

/// Physical address of the early page tables (identity + higher half), which AP start-up reuses.
pub fn boot_pml4_phys() -> u64 {
    core::ptr::addr_of!(boot_pml4) as u64
}

/// Top of the boot processor's stack (the kernel stack for entries from user mode until tasks have their own).
pub fn boot_stack_top() -> u64 {
    core::ptr::addr_of!(BOOT_STACK) as u64 + BOOT_STACK_SIZE as u64
}

extern "C" {
    static __kernel_phys_start: u8;
    static __kernel_phys_end: u8;
}

/// Physical memory the kernel image occupies (boot code, page tables, text, data, bss), page-aligned.
pub fn kernel_phys_range() -> core::ops::Range<u64> {
    let (start, end) = (
        core::ptr::addr_of!(__kernel_phys_start) as u64,
        core::ptr::addr_of!(__kernel_phys_end) as u64,
    );
    (start & !4095)..end.next_multiple_of(4096)
}
