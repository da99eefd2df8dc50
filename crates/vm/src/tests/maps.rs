//! `/proc/<pid>/maps` formatting, compared with lines the host kernel printed.

use super::*;
use crate::{FileIdentity, Sharing, VmaKind};
use std::string::ToString;

fn shm(id: u64) -> Option<FileIdentity> {
    (id == 2).then(|| FileIdentity {
        major: 0,
        minor: 0x1b,
        inode: 2,
        path: "/dev/shm/fprobe".to_string(),
    })
}

#[test]
fn matches_the_host_byte_for_byte() {
    let mut vmas = Vmas::new(AddressSpaceLayout::linux_x86_64(0x55e2_1af7_b000));
    map_file(&mut vmas, 0x40_0000, P, 5, false, 2, P);
    map_anon(&mut vmas, 0x40_1000, P, RW);
    vmas.brk(0x55e2_1af9_c000);
    map_file(&mut vmas, 0x7f00_0000_0000, 2 * P, R, true, 2, 0);
    map_anon(&mut vmas, 0x7f00_0001_0000, P, 0);
    let stack = Vma::anonymous(
        0x7ffe_da35_f000..0x7ffe_da38_0000,
        Prot::READ_WRITE,
        VmaKind::Stack,
    )
    .growing_down();
    vmas.insert_fixed(stack).unwrap();
    let expected = "\
00400000-00401000 r-xp 00001000 00:1b 2                                  /dev/shm/fprobe
00401000-00402000 rw-p 00000000 00:00 0 
55e21af7b000-55e21af9c000 rw-p 00000000 00:00 0                          [heap]
7f0000000000-7f0000002000 r--s 00000000 00:1b 2                          /dev/shm/fprobe
7f0000010000-7f0000011000 ---p 00000000 00:00 0 
7ffeda35f000-7ffeda380000 rw-p 00000000 00:00 0                          [stack]
";
    assert_eq!(vmas.format_maps(shm), expected);
}

#[test]
fn names_of_other_areas() {
    let mut vmas = space();
    let vdso = Vma::anonymous(
        0x7000_0000..0x7000_2000,
        Prot::READ_EXEC,
        VmaKind::Special("[vdso]"),
    );
    vmas.insert_fixed(vdso).unwrap();
    // A file the kernel cannot name shows like anonymous memory, but keeps its offset.
    let unknown = Vma::file(
        0x6000_0000..0x6000_1000,
        Prot::READ,
        99,
        3 * P,
        Sharing::Private,
        VmaKind::Data,
    );
    vmas.insert_fixed(unknown).unwrap();
    // A big device number and inode push the name along.
    map_file(&mut vmas, 0x5000_0000, P, R, true, 2, 0);
    let wide = |id| {
        (id == 2).then(|| FileIdentity {
            major: 0x103,
            minor: 0x12345,
            inode: 123_456_789_012,
            path: "/x".to_string(),
        })
    };
    let text = vmas.format_maps(wide);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("50000000-50001000 r--s 00000000 103:12345 123456789012 "));
    // Names start in column 73, whatever the width of the fields before them.
    assert_eq!(lines[0].find("/x"), Some(73));
    assert_eq!(lines[2].find("[vdso]"), Some(73));
    assert_eq!(lines[1], "60000000-60001000 r--p 00003000 00:00 0 ");
    assert_eq!(
        lines[2],
        "70000000-70002000 r-xp 00000000 00:00 0                                  [vdso]"
    );
    assert_eq!(space().format_maps(shm), "");
}
