//! Links /init as a plain static executable.
//!
//! x86_64-unknown-none defaults to static-pie; the kernel's first ELF loader
//! only needs to handle ET_EXEC without PT_INTERP or relocations, so we ask the
//! linker for exactly that. Host builds (clippy/check) get no extra arguments.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("TARGET").as_deref() != Ok("x86_64-unknown-none") {
        return;
    }
    for arg in [
        "--no-pie",
        "--no-dynamic-linker",
        "--image-base=0x400000",
        "-znoexecstack",
        "-zmax-page-size=4096",
        // Symbols stay for backtraces; DWARF would only bloat the initramfs.
        "--strip-debug",
    ] {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
}
