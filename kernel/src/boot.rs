//! The boot sequence, from the first Rust instruction to init.
#![forbid(unsafe_code)]

use crate::arch::{
    acpi, apic, boot as entry, clock, cpu, idt, ioapic, paging, percpu, physmem, power, smp,
    syscall, usercopy,
};
use crate::task::{self, exec, process, sched};
use crate::{console, initramfs, klog, ktest, mm, time};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use basalt_bootinfo::BootInfo;
use basalt_cmdline::Cmdline;

/// The kernel command line as the boot loader gave it (/proc/cmdline).
static KERNEL_CMDLINE: spin::Once<alloc::string::String> = spin::Once::new();

/// The kernel command line (empty before boot parsed it).
pub fn kernel_cmdline() -> &'static str {
    KERNEL_CMDLINE.get().map_or("", |s| s.as_str())
}
use core::ops::Range;
use spin::Mutex;

static BOOT_INFO: Mutex<BootInfo> = Mutex::new(BootInfo::empty());

fn kernel_image_range() -> Range<u64> {
    entry::kernel_phys_range()
}

/// The boot CPU's path from entry to init. Never returns.
pub fn start(protocol: u32, info_phys: u64) -> ! {
    console::init();
    klog::init();

    let boot_info: &'static mut BootInfo = spin::MutexGuard::leak(BOOT_INFO.lock());
    let parsed = match protocol {
        entry::BOOT_PROTOCOL_PVH => {
            basalt_bootinfo::parse_pvh_into(boot_info, &physmem::BootMemory, info_phys)
        }
        entry::BOOT_PROTOCOL_MULTIBOOT2 => {
            basalt_bootinfo::parse_multiboot2_into(boot_info, &physmem::BootMemory, info_phys)
        }
        _ => panic!("started by an unknown boot loader (no PVH start info, no Multiboot2 magic)"),
    };
    if let Err(e) = parsed {
        panic!("cannot read the boot information: {e}");
    }
    let boot_info: &'static BootInfo = boot_info;
    let cmdline = Cmdline::parse(boot_info.cmdline());
    match cmdline.loglevel() {
        Ok(Some(level)) => klog::set_console_loglevel(level),
        Ok(None) => {}
        Err(e) => log::warn!("{e}"),
    }
    log::info!(
        "Basalt {} (x86_64) booting via {:?}",
        env!("CARGO_PKG_VERSION"),
        boot_info.protocol()
    );
    log::info!("Command line: {}", boot_info.cmdline());
    if let Some(console) = cmdline.get("console") {
        if !console.starts_with("ttyS0") {
            log::warn!("console={console}: only ttyS0 exists; using it");
        }
    }
    let test = cmdline.get("basalt.test");
    crate::panic::set_test_mode(test.is_some());

    let features = cpu::features();
    // NX must be on before the kernel page tables (which use it) are loaded.
    cpu::enable_protections(&features);
    crate::arch::fpu::init_boot_cpu();
    init_memory(
        boot_info,
        &features,
        boot_structure_range(protocol, info_phys),
    );
    // From here on the heap works.
    warn_unknown_params(&cmdline);
    init_cpu0(&features);
    let platform = init_platform(boot_info);
    init_clocks(&features, &platform);
    start_other_cpus(&platform, &features);

    // The heap works by now.
    KERNEL_CMDLINE.call_once(|| alloc::string::String::from(boot_info.cmdline()));
    if let Some(initrd) = boot_info.initrd() {
        let raw = physmem::reserved_bytes(initrd.start, initrd.end - initrd.start);
        match initramfs::init(raw) {
            Ok(size) => {
                log::info!("Unpacked initramfs: {} KiB", size / 1024);
                if let Some(image) = initramfs::image() {
                    if let Err(e) = crate::fs::root::init(image) {
                        log::error!("root filesystem: {e}");
                    }
                }
            }
            Err(e) => log::error!("initramfs unpacking failed: {e}"),
        }
    } else {
        log::warn!("no initramfs given");
    }

    if let Some(list) = test {
        let ok = ktest::run(list);
        power::qemu_test_exit(ok);
        // Without the debug-exit device, fall through to the normal end of a test run: power off.
        power::power_off();
        cpu::halt_forever();
    }

    run_init(&cmdline)
}

fn warn_unknown_params(cmdline: &Cmdline) {
    let mut unknown = cmdline.unknown().peekable();
    if unknown.peek().is_none() {
        return;
    }
    let mut list = alloc::string::String::new();
    for p in unknown {
        if !list.is_empty() {
            list.push(' ');
        }
        list.push_str(p.key);
        if let Some(v) = p.value {
            list.push('=');
            list.push_str(v);
        }
    }
    log::warn!("Unknown kernel command line parameters \"{list}\", will be passed to user space.");
}

/// The boot loader's information structure, kept out of the allocator: the Multiboot2 one holds the copy of the
/// ACPI RSDP that the kernel reads after memory management is up.
fn boot_structure_range(protocol: u32, info_phys: u64) -> Range<u64> {
    let mut size = [0u8; 4];
    let len = match protocol {
        entry::BOOT_PROTOCOL_MULTIBOOT2 if physmem::read(info_phys, &mut size) => {
            u32::from_le_bytes(size) as u64
        }
        _ => 4096,
    };
    info_phys & !4095..(info_phys + len.min(1 << 20)).next_multiple_of(4096)
}

fn init_memory(boot_info: &'static BootInfo, features: &cpu::Features, boot_structure: Range<u64>) {
    let kernel = kernel_image_range();
    let initrd = boot_info.initrd().unwrap_or(0..0);
    let reserved = [
        kernel.clone(),
        initrd.start & !4095..initrd.end.next_multiple_of(4096),
        boot_structure,
    ];
    match mm::frames::init(boot_info, &reserved) {
        Ok(bytes) => log::info!(
            "Memory: {}K available ({}K kernel, {}K initrd)",
            bytes / 1024,
            (kernel.end - kernel.start) / 1024,
            (initrd.end - initrd.start) / 1024
        ),
        Err(e) => panic!("cannot set up the frame allocator: {e}"),
    }
    if let Err(e) = paging::init_kernel_space(
        boot_info.max_usable_address(),
        features.nx,
        features.huge_1g,
    ) {
        panic!("cannot build the kernel page tables: {e:?}");
    }
    if mm::pageref::init(boot_info.max_usable_address().div_ceil(4096)).is_err() {
        panic!("out of memory for the page sharing table");
    }
}

fn init_cpu0(features: &cpu::Features) {
    usercopy::init(cpu::smap_enabled());
    idt::init();
    idt::load();
    let initial_apic_id = cpu::cpuid(1, 0).1 >> 24;
    percpu::init_this_cpu(0, initial_apic_id, entry::boot_stack_top());
    syscall::init_this_cpu();
    log::info!(
        "CPU: NX {}, SMEP {}, SMAP {}, 1G pages {}, x2APIC {}, invariant TSC {}",
        on_off(features.nx),
        on_off(features.smep),
        on_off(features.smap),
        on_off(features.huge_1g),
        on_off(features.x2apic),
        on_off(features.invariant_tsc)
    );
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

fn init_platform(boot_info: &BootInfo) -> acpi::Platform {
    let platform = match acpi::discover(boot_info.rsdp()) {
        Ok(p) => p,
        Err(e) => panic!("ACPI tables not usable ({:?}); Basalt needs ACPI to find CPUs and interrupt controllers", e.0),
    };
    ioapic::disable_legacy_pic();
    if let Err(e) = apic::init_mapping(platform.local_apic_address) {
        panic!("cannot map the local APIC: {e:?}");
    }
    apic::enable_this_cpu();
    apic::set_bsp_id(apic::id());
    power::init(&platform);
    log::info!(
        "ACPI: {} CPUs, {} I/O APIC(s), HPET {}, S5 {}",
        platform.cpu_count,
        ioapic::count(),
        if platform.hpet_address.is_some() {
            "yes"
        } else {
            "no"
        },
        if platform.s5.is_some() { "yes" } else { "no" }
    );
    platform
}

fn init_clocks(features: &cpu::Features, platform: &acpi::Platform) {
    if let Some(hpet) = platform.hpet_address {
        if let Err(e) = clock::init_hpet(hpet) {
            log::warn!("hpet: cannot map it: {e:?}");
        }
    }
    if let Some(port) = platform.pm_timer_port {
        clock::set_pm_timer_port(port);
    }
    time::calibrate(features);
    apic::start_periodic_timer();
    x86_64::instructions::interrupts::enable();
    let now = time::init_wall_clock();
    log::info!(
        "clocksource: tsc {}.{:03} MHz (reference: {}), APIC timer {} kHz, {} Hz tick",
        time::tsc_hz() / 1_000_000,
        (time::tsc_hz() / 1000) % 1000,
        clock::reference_name().unwrap_or("none"),
        apic::timer_rate() / 1000,
        apic::TIMER_HZ
    );
    log::info!(
        "rtc: {:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        now.year,
        now.month,
        now.day,
        now.hour,
        now.minute,
        now.second
    );
}

fn start_other_cpus(platform: &acpi::Platform, features: &cpu::Features) {
    let ids = &platform.cpu_apic_ids[..platform.cpu_count];
    let expected = ids.len().max(1);
    if expected > 1 {
        smp::start_aps(ids, features.nx);
        let deadline = time::monotonic_ns() + 2_000_000_000;
        while percpu::online_count() < expected && time::monotonic_ns() < deadline {
            core::hint::spin_loop();
        }
    }
    let online = percpu::online_count();
    if online < expected {
        log::warn!("smp: only {online} of {expected} CPUs came up");
    }
    log::info!("smp: Brought up 1 node, {online} CPUs");
    log::info!("{online} CPUs online");
}

/// Paths tried for init, in Linux's order.
const DEFAULT_INITS: [&str; 5] = ["/init", "/sbin/init", "/etc/init", "/bin/init", "/bin/sh"];

static INIT_CMDLINE: spin::Once<Cmdline<'static>> = spin::Once::new();

/// Create PID 1 (its thread finds and starts the init program), then let the boot CPU schedule.
fn run_init(cmdline: &Cmdline<'static>) -> ! {
    INIT_CMDLINE.call_once(|| *cmdline);
    let mm = match crate::mm::uspace::AddressSpace::new() {
        Ok(mm) => mm,
        Err(_) => panic!("out of memory creating init"),
    };
    let pid = process::alloc_id().unwrap_or(1);
    let init = process::Process::new(pid, None, mm);
    let thread = match task::Task::new(pid, init.clone(), init_thread, 0) {
        Ok(t) => t,
        Err(_) => panic!("out of memory creating init's thread"),
    };
    init.add_thread(&thread);
    // fds 0, 1, 2: the console, opened once read-write (as Linux's console_on_rootfs does).
    let console = crate::fs::OpenFile::new(crate::tty::console::open(5, 1), crate::fs::O_RDWR);
    for _ in 0..3 {
        if init.files().lock().install(console.clone(), false).is_err() {
            panic!("cannot open the console for init");
        }
    }
    if crate::tty::console::start_input_thread().is_err() {
        panic!("out of memory starting the console input thread");
    }
    console::enable_input();
    if sched::start_housekeeping().is_err() {
        panic!("out of memory starting the housekeeping thread");
    }
    sched::spawn(thread);
    sched::run_idle()
}

/// PID 1's first kernel code: try the init candidates like Linux's `kernel_init`, then enter user mode.
extern "C" fn init_thread(_arg: u64) -> ! {
    sched::finish_switch();
    let Some(cmdline) = INIT_CMDLINE.get() else {
        panic!("init started without a command line")
    };
    let mut candidates: [Option<&str>; 7] = [None; 7];
    candidates[0] = cmdline.get("rdinit");
    candidates[1] = cmdline.get("init");
    for (slot, path) in candidates[2..].iter_mut().zip(DEFAULT_INITS) {
        *slot = Some(path);
    }
    for path in candidates.into_iter().flatten() {
        match initramfs::find_following_links(path) {
            Ok(Some(e)) if e.is_file() => {}
            Ok(Some(_)) => {
                log::warn!("Failed to execute {path} (not a regular file)");
                continue;
            }
            Ok(None) => {
                if cmdline.get("rdinit") == Some(path) || cmdline.get("init") == Some(path) {
                    log::warn!("Failed to execute {path} (error -2)");
                }
                continue;
            }
            Err(e) => {
                log::error!("initramfs is damaged: {e}");
                break;
            }
        };
        let args: Vec<String> = cmdline.init_args().map(|p| p.to_string()).collect();
        let env: Vec<String> = cmdline.init_env().map(|p| p.to_string()).collect();
        let mut argv: Vec<&[u8]> = alloc::vec![path.as_bytes()];
        argv.extend(args.iter().map(|a| a.as_bytes()));
        let mut envp: Vec<&[u8]> = alloc::vec![b"HOME=/".as_slice(), b"TERM=linux".as_slice()];
        envp.extend(env.iter().map(|e| e.as_bytes()));
        // The initramfs is the root filesystem by now: load the program from there, paged in on demand.
        let file =
            crate::fs::root::resolve_absolute(path.as_bytes()).and_then(exec::ExecFile::open);
        let loaded = match file {
            Ok(file) => exec::load(path, file, &argv, &envp),
            Err(errno) => {
                log::warn!("Failed to execute {path} ({errno})");
                continue;
            }
        };
        match loaded {
            Ok(loaded) => {
                let Some(me) = sched::current() else {
                    panic!("init thread lost its task")
                };
                me.process.replace_address_space(loaded.mm);
                me.process.set_name(path);
                *me.process.image.lock() =
                    alloc::sync::Arc::new(crate::task::process::ProgramImage::new(
                        crate::syscall::path::canonical_path(
                            crate::syscall::path::AT_FDCWD,
                            path.as_bytes(),
                        )
                        .unwrap_or_else(|_| path.as_bytes().to_vec()),
                        &argv,
                        &envp,
                    ));
                sched::activate_current_mm();
                drop(me);
                log::info!("Run {path} as init process");
                crate::boot_time::report_init_start(path);
                syscall::enter_user(loaded.frame);
            }
            Err(err) => log::warn!("Failed to execute {path} ({err})"),
        }
    }
    panic!("No working init found.  Try passing init= option to kernel.");
}
