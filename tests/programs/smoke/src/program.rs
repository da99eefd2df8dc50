//! The checks, on raw system calls.

use basalt_linux_abi::{nr, reboot};
use core::arch::{asm, global_asm};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

global_asm!(
    ".globl smoke_restorer",
    "smoke_restorer:",
    "mov eax, 15",
    "syscall",
    "ud2",
    ".globl _start",
    "_start:",
    "xor ebp, ebp",
    "mov rdi, rsp",
    "and rsp, -16",
    "call {main}",
    "ud2",
    main = sym smoke_main,
);

/// Raw system call with up to six arguments; returns the kernel's value (negative errno on failure).
fn syscall(n: usize, a: [usize; 6]) -> isize {
    let r: isize;
    // SAFETY: every caller passes arguments valid for the call (pointers to live buffers of the right size).
    unsafe {
        asm!("syscall", inlateout("rax") n as isize => r, in("rdi") a[0], in("rsi") a[1], in("rdx") a[2],
             in("r10") a[3], in("r8") a[4], in("r9") a[5], lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    r
}

fn write(fd: usize, b: &[u8]) {
    syscall(nr::WRITE, [fd, b.as_ptr() as usize, b.len(), 0, 0, 0]);
}

fn exit(code: usize) -> ! {
    syscall(nr::EXIT_GROUP, [code, 0, 0, 0, 0, 0]);
    loop {
        core::hint::spin_loop();
    }
}

static FAILURES: AtomicU32 = AtomicU32::new(0);

fn report(name: &str, ok: bool, detail: isize) {
    write(1, b"smoke: ");
    write(1, name.as_bytes());
    if ok {
        write(1, b": ok\n");
    } else {
        FAILURES.fetch_add(1, Ordering::Relaxed);
        write(1, b": FAILED (");
        write_number(detail);
        write(1, b")\n");
    }
}

fn write_number(v: isize) {
    let mut buf = [0u8; 24];
    let mut i = buf.len();
    let neg = v < 0;
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    write(1, &buf[i..]);
}

fn wait_for(pid: isize) -> (isize, i32) {
    let mut status: i32 = 0;
    let r = syscall(
        nr::WAIT4,
        [pid as usize, &mut status as *mut i32 as usize, 0, 0, 0, 0],
    );
    (r, status)
}

fn check_fork_pipe_wait() {
    let mut fds = [0i32; 2];
    let r = syscall(nr::PIPE2, [fds.as_mut_ptr() as usize, 0, 0, 0, 0, 0]);
    if r != 0 {
        return report("pipe2", false, r);
    }
    let pid = syscall(nr::FORK, [0; 6]);
    if pid == 0 {
        syscall(nr::CLOSE, [fds[0] as usize, 0, 0, 0, 0, 0]);
        write(fds[1] as usize, b"hello");
        exit(7);
    }
    if pid < 0 {
        return report("fork", false, pid);
    }
    syscall(nr::CLOSE, [fds[1] as usize, 0, 0, 0, 0, 0]);
    let mut buf = [0u8; 16];
    let mut got = 0;
    loop {
        let n = syscall(
            nr::READ,
            [
                fds[0] as usize,
                buf[got..].as_mut_ptr() as usize,
                buf.len() - got,
                0,
                0,
                0,
            ],
        );
        if n <= 0 {
            break;
        }
        got += n as usize;
    }
    let (w, status) = wait_for(pid);
    report(
        "fork+pipe: child's bytes arrive, then EOF",
        &buf[..got] == b"hello",
        got as isize,
    );
    report(
        "wait4: child's pid and exit status 7",
        w == pid && status == 7 << 8,
        status as isize,
    );
    let (again, _) = wait_for(-1);
    report("wait4: ECHILD with no children left", again == -10, again);
}

static mut COW_PROBE: u64 = 41;

fn check_copy_on_write() {
    let pid = syscall(nr::FORK, [0; 6]);
    if pid == 0 {
        // SAFETY: single-threaded child writing its own copy of the static.
        unsafe { *core::ptr::addr_of_mut!(COW_PROBE) = 1000 };
        // SAFETY: as above.
        let v = unsafe { *core::ptr::addr_of!(COW_PROBE) };
        exit(if v == 1000 { 0 } else { 1 });
    }
    let (_, status) = wait_for(pid);
    // SAFETY: the parent reads its own copy; the child's write must not be visible.
    let mine = unsafe { *core::ptr::addr_of!(COW_PROBE) };
    report(
        "copy-on-write: child's write stays private",
        status == 0 && mine == 41,
        mine as isize,
    );
}

const STACK_SIZE: usize = 16 * 1024;
#[repr(align(16))]
struct Stack {
    _bytes: [u8; STACK_SIZE],
}
static mut THREAD_STACK: Stack = Stack {
    _bytes: [0; STACK_SIZE],
};
static THREAD_COUNTER: AtomicU64 = AtomicU64::new(0);
static CHILD_TID: AtomicU32 = AtomicU32::new(0);

extern "C" fn thread_body() -> ! {
    THREAD_COUNTER.fetch_add(42, Ordering::SeqCst);
    syscall(nr::EXIT, [0; 6]);
    loop {
        core::hint::spin_loop();
    }
}

fn check_thread_and_futex() {
    // VM, FS, FILES, SIGHAND, THREAD, SYSVSEM, PARENT_SETTID, CHILD_CLEARTID, CHILD_SETTID. PARENT_SETTID puts the
    // tid in CHILD_TID before the thread can run, so a thread that exits at once (clearing it) is not undone.
    const FLAGS: usize =
        0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x100000 | 0x200000 | 0x1000000;
    let stack_top = core::ptr::addr_of_mut!(THREAD_STACK) as usize + STACK_SIZE;
    // The new thread starts on its own stack at the instruction after `syscall`; it jumps to the body.
    let tid: isize;
    // SAFETY: clone with CLONE_VM|THREAD: the child runs on THREAD_STACK and never returns into this frame.
    unsafe {
        asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "call {body}",
            "2:",
            body = sym thread_body,
            inlateout("rax") nr::CLONE as isize => tid,
            in("rdi") FLAGS,
            in("rsi") stack_top,
            in("rdx") CHILD_TID.as_ptr() as usize,
            in("r10") CHILD_TID.as_ptr() as usize,
            in("r8") 0usize,
            lateout("rcx") _,
            lateout("r11") _,
        );
    }
    if tid <= 0 {
        return report("clone thread", false, tid);
    }
    // Join: the kernel clears CHILD_TID and wakes the futex when the thread exits. (Storing the tid here instead
    // would race with a thread that already exited: the join would then wait forever.)
    for _ in 0..1000 {
        let v = CHILD_TID.load(Ordering::SeqCst);
        if v == 0 {
            break;
        }
        syscall(
            nr::FUTEX,
            [CHILD_TID.as_ptr() as usize, 0, v as usize, 0, 0, 0],
        );
    }
    report(
        "clone thread: runs in our memory, join through the futex",
        CHILD_TID.load(Ordering::SeqCst) == 0 && THREAD_COUNTER.load(Ordering::SeqCst) == 42,
        THREAD_COUNTER.load(Ordering::SeqCst) as isize,
    );
    let bad = syscall(nr::FUTEX, [CHILD_TID.as_ptr() as usize, 0, 12345, 0, 0, 0]);
    report("futex: EAGAIN when the value differs", bad == -11, bad);
}

fn check_exec(self_path: *const u8) {
    let pid = syscall(nr::FORK, [0; 6]);
    if pid == 0 {
        let arg1 = b"--exec-child\0";
        let argv = [self_path as usize, arg1.as_ptr() as usize, 0];
        let envp = [0usize];
        let r = syscall(
            nr::EXECVE,
            [
                self_path as usize,
                argv.as_ptr() as usize,
                envp.as_ptr() as usize,
                0,
                0,
                0,
            ],
        );
        exit((-r) as usize & 0x7f);
    }
    let (_, status) = wait_for(pid);
    report(
        "execve: the new program runs and its exit status arrives",
        status == 3 << 8,
        status as isize,
    );
    let missing = b"/no/such/program\0";
    let argv = [missing.as_ptr() as usize, 0];
    let r = syscall(
        nr::EXECVE,
        [
            missing.as_ptr() as usize,
            argv.as_ptr() as usize,
            0,
            0,
            0,
            0,
        ],
    );
    report("execve: ENOENT for a missing file", r == -2, r);
}

fn check_sleep() {
    let mut t0 = [0i64; 2];
    let mut t1 = [0i64; 2];
    syscall(nr::CLOCK_GETTIME, [1, t0.as_mut_ptr() as usize, 0, 0, 0, 0]);
    let req = [0i64, 20_000_000];
    let r = syscall(nr::NANOSLEEP, [req.as_ptr() as usize, 0, 0, 0, 0, 0]);
    syscall(nr::CLOCK_GETTIME, [1, t1.as_mut_ptr() as usize, 0, 0, 0, 0]);
    let elapsed = (t1[0] - t0[0]) * 1_000_000_000 + (t1[1] - t0[1]);
    report(
        "nanosleep: 20 ms pass on CLOCK_MONOTONIC",
        r == 0 && elapsed >= 20_000_000,
        elapsed as isize,
    );
}

extern "C" {
    fn smoke_restorer();
}

static HANDLED: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_usr1(sig: i32) {
    HANDLED.fetch_add(sig as u32, Ordering::SeqCst);
}

const SIGUSR1: usize = 10;

fn sigaction(sig: usize, handler: usize) -> isize {
    const SA_RESTORER: u64 = 0x0400_0000;
    let act: [u64; 4] = [
        handler as u64,
        SA_RESTORER,
        smoke_restorer as *const () as u64,
        0,
    ];
    syscall(nr::RT_SIGACTION, [sig, act.as_ptr() as usize, 0, 8, 0, 0])
}

fn check_signals() {
    let me = syscall(nr::GETPID, [0; 6]) as usize;
    let r = sigaction(SIGUSR1, on_usr1 as *const () as usize);
    syscall(nr::KILL, [me, SIGUSR1, 0, 0, 0, 0]);
    report(
        "signals: a handler runs and returns (rt_sigreturn)",
        r == 0 && HANDLED.load(Ordering::SeqCst) == 10,
        r,
    );
    let set: u64 = 1 << (SIGUSR1 - 1);
    syscall(
        nr::RT_SIGPROCMASK,
        [0, &set as *const u64 as usize, 0, 8, 0, 0],
    );
    syscall(nr::KILL, [me, SIGUSR1, 0, 0, 0, 0]);
    let while_blocked = HANDLED.load(Ordering::SeqCst);
    syscall(
        nr::RT_SIGPROCMASK,
        [1, &set as *const u64 as usize, 0, 8, 0, 0],
    );
    report(
        "signals: a blocked signal waits until unblocked",
        while_blocked == 10 && HANDLED.load(Ordering::SeqCst) == 20,
        HANDLED.load(Ordering::SeqCst) as isize,
    );
    let bad = sigaction(9, on_usr1 as *const () as usize);
    report(
        "signals: SIGKILL cannot be caught (EINVAL)",
        bad == -22,
        bad,
    );

    let pid = syscall(nr::FORK, [0; 6]);
    if pid == 0 {
        // SAFETY: deliberately writing to an unmapped address: the kernel must kill us with SIGSEGV.
        unsafe { core::ptr::write_volatile(0x10 as *mut u64, 1) };
        exit(0);
    }
    let (_, status) = wait_for(pid);
    report(
        "signals: a segfault kills with SIGSEGV",
        status == 11,
        status as isize,
    );

    let pid = syscall(nr::FORK, [0; 6]);
    if pid == 0 {
        let req = [10i64, 0];
        syscall(nr::NANOSLEEP, [req.as_ptr() as usize, 0, 0, 0, 0, 0]);
        exit(0);
    }
    let nap = [0i64, 5_000_000];
    syscall(nr::NANOSLEEP, [nap.as_ptr() as usize, 0, 0, 0, 0, 0]);
    syscall(nr::KILL, [pid as usize, 9, 0, 0, 0, 0]);
    let (_, status) = wait_for(pid);
    report(
        "signals: SIGKILL ends a sleeping child",
        status == 9,
        status as isize,
    );
}

fn check_shared_memory() {
    const PROT_RW: usize = 0x3;
    const MAP_SHARED_ANON: usize = 0x01 | 0x20;
    let addr = syscall(nr::MMAP, [0, 4096, PROT_RW, MAP_SHARED_ANON, usize::MAX, 0]);
    if addr < 0 {
        return report("mmap MAP_SHARED|MAP_ANONYMOUS", false, addr);
    }
    let cell = addr as usize as *mut u64;
    let pid = syscall(nr::FORK, [0; 6]);
    if pid == 0 {
        // SAFETY: `cell` points at the shared page mapped above, inherited by this child.
        unsafe { core::ptr::write_volatile(cell, 42) };
        exit(0);
    }
    wait_for(pid);
    // SAFETY: as above, in the parent.
    let seen = unsafe { core::ptr::read_volatile(cell) };
    report(
        "mmap: a shared anonymous page stays shared across fork",
        seen == 42,
        seen as isize,
    );
}

/// # Safety
/// `stack` is the initial stack pointer the kernel set up (argc, argv, NULL, envp, NULL, auxv).
unsafe extern "C" fn smoke_main(stack: *const usize) -> ! {
    // SAFETY: per the psABI layout, argc then argv pointers.
    let (argc, argv) = unsafe { (*stack, stack.add(1) as *const *const u8) };
    if argc >= 2 {
        // SAFETY: argv[1] exists (argc >= 2) and is NUL-terminated.
        let a1 = unsafe { *argv.add(1) };
        // SAFETY: reading the first bytes of a NUL-terminated string, stopping at the NUL.
        if unsafe { *a1 == b'-' && *a1.add(1) == b'-' && *a1.add(2) == b'e' } {
            exit(3);
        }
    }
    write(1, b"smoke: starting\n");
    check_fork_pipe_wait();
    check_copy_on_write();
    check_thread_and_futex();
    // SAFETY: argv[0] exists (the kernel always passes the path).
    check_exec(unsafe { *argv });
    check_sleep();
    check_signals();
    check_shared_memory();
    let failed = FAILURES.load(Ordering::Relaxed);
    write(1, b"smoke: done, ");
    write_number(failed as isize);
    write(1, b" failed\n");
    if syscall(nr::GETPID, [0; 6]) == 1 {
        syscall(
            nr::REBOOT,
            [
                reboot::MAGIC1 as usize,
                reboot::MAGIC2[0] as usize,
                reboot::CMD_POWER_OFF as usize,
                0,
                0,
                0,
            ],
        );
    }
    exit(failed as usize)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    write(2, b"smoke: panic\n");
    exit(127)
}
