//! Per-CPU state: the GDT and TSS (with IST stacks) of each CPU and the block that `GS` points at in kernel mode.
//!
//! The segment layout copies Linux's so that user programs see the same selectors (`CS=0x33`, `SS=0x2b`):
//! 1 kernel 32-bit code, 2 kernel code (0x10), 3 kernel data (0x18), 4 user 32-bit code (0x23), 5 user data (0x2b),
//! 6 user code (0x33), 8–9 TSS (0x40).

use alloc::boxed::Box;
use core::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use x86_64::instructions::segmentation::{Segment, CS, DS, ES, SS};
use x86_64::instructions::tables::load_tss;
use x86_64::registers::model_specific::{GsBase, KernelGsBase};
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;
use x86_64::{PrivilegeLevel, VirtAddr};

/// Most CPUs the kernel drives.
pub const MAX_CPUS: usize = 64;

pub const KERNEL_CS: u16 = 0x10;
pub const KERNEL_DS: u16 = 0x18;
pub const USER_CS: u16 = 0x33;
pub const USER_DS: u16 = 0x2b;

/// IST slots (1-based in the IDT; index-1 in the TSS table).
pub const IST_DOUBLE_FAULT: u16 = 1;
pub const IST_NMI: u16 = 2;
pub const IST_MACHINE_CHECK: u16 = 3;
const IST_STACK_ORDER: usize = 2; // 16 KiB each

/// The block `GS` points at while in the kernel. The first fields are read by assembly at fixed offsets.
#[repr(C)]
pub struct PerCpu {
    /// gs:0 — this block's own address.
    self_ptr: u64,
    /// gs:8 — kernel stack top for entries from user mode (syscalls).
    pub kernel_rsp: u64,
    /// gs:16 — scratch for the user stack pointer during syscall entry.
    pub user_rsp_scratch: u64,
    /// Index of this CPU (0 = boot CPU).
    pub index: usize,
    /// Local APIC id.
    pub apic_id: u32,
    /// Timer interrupts taken on this CPU.
    pub timer_ticks: AtomicU64,
    /// Opaque to this module: the scheduler's per-CPU state (an index into its table).
    pub sched_slot: usize,
    gdt: GlobalDescriptorTable<10>,
    tss: TaskStateSegment,
}

pub const PERCPU_KERNEL_RSP: usize = 8;
pub const PERCPU_USER_RSP: usize = 16;

static CPUS: [AtomicPtr<PerCpu>; MAX_CPUS] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; MAX_CPUS];
static ONLINE: AtomicUsize = AtomicUsize::new(0);

fn ist_stack() -> u64 {
    match crate::mm::frames::alloc_pages(IST_STACK_ORDER) {
        Ok(phys) => super::paging::phys_to_virt(phys) + (4096u64 << IST_STACK_ORDER),
        Err(_) => panic!("out of memory for interrupt stacks"),
    }
}

/// Set up this CPU's GDT, TSS and GS block and load them. `kernel_stack_top` is the stack used for entries from
/// user mode until a scheduler assigns per-task stacks.
pub fn init_this_cpu(index: usize, apic_id: u32, kernel_stack_top: u64) -> &'static PerCpu {
    let mut tss = TaskStateSegment::new();
    tss.privilege_stack_table[0] = VirtAddr::new(kernel_stack_top);
    tss.interrupt_stack_table[(IST_DOUBLE_FAULT - 1) as usize] = VirtAddr::new(ist_stack());
    tss.interrupt_stack_table[(IST_NMI - 1) as usize] = VirtAddr::new(ist_stack());
    tss.interrupt_stack_table[(IST_MACHINE_CHECK - 1) as usize] = VirtAddr::new(ist_stack());

    let cpu: &'static mut PerCpu = Box::leak(Box::new(PerCpu {
        self_ptr: 0,
        kernel_rsp: kernel_stack_top,
        user_rsp_scratch: 0,
        index,
        apic_id,
        timer_ticks: AtomicU64::new(0),
        sched_slot: index,
        gdt: GlobalDescriptorTable::empty(),
        tss,
    }));
    cpu.self_ptr = cpu as *mut PerCpu as u64;

    let gdt = &mut cpu.gdt;
    gdt.append(Descriptor::UserSegment(0x00cf_9a00_0000_ffff)); // 0x08 kernel 32-bit code
    gdt.append(Descriptor::kernel_code_segment()); // 0x10
    gdt.append(Descriptor::kernel_data_segment()); // 0x18
    gdt.append(Descriptor::UserSegment(0x00cf_fa00_0000_ffff)); // 0x23 user 32-bit code
    gdt.append(Descriptor::user_data_segment()); // 0x2b
    gdt.append(Descriptor::user_code_segment()); // 0x33
    gdt.append(Descriptor::UserSegment(0)); // 0x38 unused
                                            // SAFETY: the TSS lives in a leaked box, so it is 'static.
    let tss_ref: &'static TaskStateSegment = unsafe { &*(&cpu.tss as *const TaskStateSegment) };
    let tss_sel = gdt.append(Descriptor::tss_segment(tss_ref)); // 0x40

    // SAFETY: the GDT lives in a leaked box ('static) and holds the selectors loaded right after; GS base points at
    // this CPU's block for the kernel, and user mode starts with GS base 0 (swapped in by swapgs).
    unsafe {
        let gdt_ref: &'static GlobalDescriptorTable<10> =
            &*(&cpu.gdt as *const GlobalDescriptorTable<10>);
        gdt_ref.load();
        CS::set_reg(SegmentSelector::new(KERNEL_CS / 8, PrivilegeLevel::Ring0));
        SS::set_reg(SegmentSelector::new(KERNEL_DS / 8, PrivilegeLevel::Ring0));
        DS::set_reg(SegmentSelector::NULL);
        ES::set_reg(SegmentSelector::NULL);
        load_tss(tss_sel);
        GsBase::write(VirtAddr::new(cpu.self_ptr));
        KernelGsBase::write(VirtAddr::new(0));
    }
    CPUS[index].store(cpu as *mut PerCpu, Ordering::Release);
    ONLINE.fetch_add(1, Ordering::AcqRel);
    cpu
}

/// This CPU's block.
pub fn this_cpu() -> &'static PerCpu {
    let ptr: u64;
    // SAFETY: in kernel mode GS base always points at this CPU's PerCpu (set in init_this_cpu; swapgs on every
    // entry from user mode), whose first field is its own address.
    unsafe {
        core::arch::asm!("mov {}, gs:0", out(reg) ptr, options(nostack, readonly, preserves_flags));
        &*(ptr as *const PerCpu)
    }
}

/// Whether this CPU has its per-CPU block yet (false early in boot).
pub fn this_cpu_ready() -> bool {
    GsBase::read().as_u64() != 0
}

/// A CPU's block by index, if that CPU is online.
pub fn cpu(index: usize) -> Option<&'static PerCpu> {
    let p = CPUS.get(index)?.load(Ordering::Acquire);
    // SAFETY: non-null pointers stored here come from Box::leak and are never freed.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// Number of CPUs that have finished their per-CPU set-up.
pub fn online_count() -> usize {
    ONLINE.load(Ordering::Acquire)
}

/// Set the stack used for the next entry from user mode on this CPU (TSS.RSP0 and the syscall stack).
/// Called by the scheduler when it switches threads, with interrupts disabled.
pub fn set_kernel_stack(top: u64) {
    let cpu = this_cpu() as *const PerCpu as *mut PerCpu;
    // SAFETY: only this CPU writes its own block's kernel_rsp and TSS, with interrupts disabled; the CPU reads RSP0
    // only on the next privilege change, and the syscall entry reads kernel_rsp only on the next syscall.
    unsafe {
        core::ptr::write_volatile(core::ptr::addr_of_mut!((*cpu).kernel_rsp), top);
        core::ptr::write_volatile(
            core::ptr::addr_of_mut!((*cpu).tss.privilege_stack_table[0]),
            VirtAddr::new(top),
        );
    }
}
