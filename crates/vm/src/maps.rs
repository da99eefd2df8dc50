//! `/proc/<pid>/maps`, formatted exactly as Linux's `show_map_vma` does.

use crate::space::Vmas;
use crate::vma::{Backing, Sharing, Vma, VmaKind};
use alloc::string::String;
use core::fmt::Write;

/// How a mapped file appears in `/proc/<pid>/maps`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileIdentity {
    /// Major number of the file system's device.
    pub major: u32,
    /// Minor number of the file system's device.
    pub minor: u32,
    /// Inode number.
    pub inode: u64,
    /// The path shown (e.g. `/bin/busybox`, `/dev/zero (deleted)`).
    pub path: String,
}

/// Linux pads the fields before the name to this width (`25 + 6 * sizeof(void *) - 1`).
const NAME_COLUMN: usize = 72;

impl Vmas {
    /// The text of `/proc/<pid>/maps`: one line per area, such as
    /// `00400000-00401000 r-xp 00000000 08:01 1234        /bin/true`. `identify` describes
    /// a file by its identifier; a file it does not know is shown like anonymous memory.
    pub fn format_maps(&self, identify: impl Fn(u64) -> Option<FileIdentity>) -> String {
        let mut out = String::new();
        for vma in self.iter() {
            format_line(&mut out, vma, &identify);
        }
        out
    }
}

fn format_line(out: &mut String, vma: &Vma, identify: &impl Fn(u64) -> Option<FileIdentity>) {
    let line_start = out.len();
    let (offset, file) = match vma.backing {
        Backing::File { file_id, offset } => (offset, identify(file_id)),
        Backing::Anonymous => (0, None),
    };
    let (major, minor, inode) = file
        .as_ref()
        .map_or((0, 0, 0), |file| (file.major, file.minor, file.inode));
    let shared = if vma.sharing == Sharing::Shared {
        's'
    } else {
        'p'
    };
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{:08x}-{:08x} {}{} {:08x} {:02x}:{:02x} {} ",
        vma.start, vma.end, vma.prot, shared, offset, major, minor, inode
    );
    let name = match (&file, vma.backing, vma.kind) {
        (Some(file), _, _) => Some(file.path.as_str()),
        (None, Backing::File { .. }, _) => None,
        (None, Backing::Anonymous, VmaKind::Heap) => Some("[heap]"),
        (None, Backing::Anonymous, VmaKind::Stack) => Some("[stack]"),
        (None, Backing::Anonymous, VmaKind::Special(name)) => Some(name),
        (None, Backing::Anonymous, _) => None,
    };
    if let Some(name) = name {
        let width = out.len() - line_start;
        for _ in width..NAME_COLUMN {
            out.push(' ');
        }
        out.push(' ');
        out.push_str(name);
    }
    out.push('\n');
}
